"""An order as the store keeps it: lines, shipping (pick-up by location name), notes, refunds."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

ORDER_STATUSES = (
    "pending",
    "processing",
    "on-hold",
    "completed",
    "cancelled",
    "refunded",
    "failed",
    "checkout-draft",
)
# Order web hooks skip these entirely (FACTS.md §1.1); checkout-draft is not among them.
UNDELIVERED_STATUSES = frozenset({"draft", "auto-draft", "new"})
# Statuses at which an order has taken its stock (wc_maybe_reduce_stock_levels).
STOCK_TAKING_STATUSES = frozenset({"processing", "on-hold", "completed"})
PICKUP_METHOD = "pickup_location"
CENT = Decimal("0.01")


def money(value: Decimal) -> str:
    """Money as WooCommerce prints it: a string with two decimals."""
    return str(value.quantize(CENT))


@dataclass
class MetaItem:
    """One meta entry of an order item (shown with its display key and value)."""

    id: int
    key: str
    value: str
    display_key: str
    display_value: str

    def to_json(self) -> dict[str, Any]:
        """As the REST API shows it."""
        return {
            "id": self.id,
            "key": self.key,
            "value": self.value,
            "display_key": self.display_key,
            "display_value": self.display_value,
        }


@dataclass
class LineItem:
    """A product line."""

    id: int
    name: str
    product_id: int
    variation_id: int
    quantity: int
    price: Decimal
    sku: str

    @property
    def total(self) -> Decimal:
        """Line total (the fake has no discounts or taxes)."""
        return self.price * self.quantity


@dataclass
class ShippingLine:
    """A shipping line; a pick-up names its location only by name (FACTS.md §3.1)."""

    id: int
    method_id: str
    method_title: str
    instance_id: str
    total: Decimal
    meta: list[MetaItem] = field(default_factory=list)

    @property
    def pickup_location(self) -> str | None:
        """The pick-up location's name, for a pickup_location line."""
        if self.method_id != PICKUP_METHOD:
            return None
        return next((m.value for m in self.meta if m.key == "pickup_location"), None)


@dataclass
class Note:
    """An order note (a comment, so adding one does not save the order)."""

    id: int
    note: str
    customer_note: bool
    added_by_user: bool
    author: str
    created_at: float


@dataclass
class RefundLine:
    """One refunded line: negative quantity and total, as WooCommerce stores them."""

    id: int
    line_item_id: int
    name: str
    product_id: int
    variation_id: int
    quantity: int
    total: Decimal
    sku: str


@dataclass
class Refund:
    """A refund of part of an order."""

    id: int
    amount: Decimal
    reason: str
    refunded_by: int
    refunded_payment: bool
    created_at: float
    lines: list[RefundLine] = field(default_factory=list)


@dataclass
class Order:
    """One order."""

    id: int
    order_key: str
    status: str
    currency: str
    created_via: str
    created_at: float
    modified_at: float
    billing: dict[str, str]
    shipping: dict[str, str]
    payment_method: str
    payment_method_title: str
    customer_id: int = 0
    customer_note: str = ""
    transaction_id: str = ""
    paid_at: float | None = None
    completed_at: float | None = None
    line_items: list[LineItem] = field(default_factory=list)
    shipping_lines: list[ShippingLine] = field(default_factory=list)
    meta: list[dict[str, Any]] = field(default_factory=list)
    notes: list[Note] = field(default_factory=list)
    refunds: list[Refund] = field(default_factory=list)
    stock_reduced: bool = False
    announced: bool = False  # order.created fired (a draft's fires when it leaves draft)

    @property
    def shipping_total(self) -> Decimal:
        """Sum of the shipping lines."""
        return sum((s.total for s in self.shipping_lines), Decimal(0))

    @property
    def total(self) -> Decimal:
        """Lines plus shipping (refunds do not change an order's total)."""
        return sum((li.total for li in self.line_items), Decimal(0)) + self.shipping_total

    @property
    def refunded(self) -> Decimal:
        """Everything refunded so far."""
        return sum((r.amount for r in self.refunds), Decimal(0))
