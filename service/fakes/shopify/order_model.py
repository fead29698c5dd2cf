"""The order side of the shop's state: orders, lines, fulfillment orders, transactions, refunds."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

PICK_UP = "PICK_UP"
SHIPPING = "SHIPPING"


@dataclass
class LineItem:
    """One order line."""

    number: int
    title: str
    quantity: int
    price: Decimal
    sku: str | None = None
    variant: int | None = None
    product: int | None = None
    variant_title: str | None = None
    requires_shipping: bool = True
    gift_card: bool = False
    taxable: bool = True
    refunded: int = 0  # units removed by refunds or the cancel
    fulfilled: int = 0

    @property
    def current_quantity(self) -> int:
        """Units still on the order after refunds."""
        return self.quantity - self.refunded

    @property
    def name(self) -> str:
        """Shopify's line name: title - variant title."""
        return f"{self.title} - {self.variant_title}" if self.variant_title else self.title


@dataclass
class FulfillmentOrderLine:
    """A line of a fulfillment order, pointing at an order line."""

    number: int
    line_item: int
    total: int
    remaining: int


@dataclass
class FulfillmentOrder:
    """The unit of fulfilment: one location, one delivery method."""

    number: int
    order: int
    location: int
    method_type: str
    method_number: int
    status: str = "OPEN"
    request_status: str = "UNSUBMITTED"
    prepared_for_pickup: bool = False
    lines: list[FulfillmentOrderLine] = field(default_factory=list)
    fulfillments: list[int] = field(default_factory=list)
    created_at: float = 0.0
    updated_at: float = 0.0


@dataclass
class Fulfillment:
    """A fulfilment made from fulfillment orders."""

    number: int
    order: int
    location: int
    lines: list[tuple[int, int]]  # (order line, quantity)
    status: str = "SUCCESS"
    tracking_number: str | None = None
    tracking_url: str | None = None
    tracking_company: str | None = None
    created_at: float = 0.0
    updated_at: float = 0.0


@dataclass
class Transaction:
    """An order transaction (a gift-card payment is gateway gift_card, kind SALE)."""

    number: int
    order: int
    kind: str
    gateway: str
    amount: Decimal
    status: str = "SUCCESS"
    receipt: dict[str, Any] = field(default_factory=dict)
    parent: int | None = None
    created_at: float = 0.0


@dataclass
class RefundLine:
    """Units of one order line given back by a refund."""

    number: int
    line_item: int
    quantity: int
    restock_type: str
    location: int | None
    subtotal: Decimal


@dataclass
class Refund:
    """A refund: lines, money moved back, a note."""

    number: int
    order: int
    note: str | None
    restock: bool
    lines: list[RefundLine]
    transactions: list[int]
    created_at: float = 0.0


@dataclass
class Order:
    """An order as the shop holds it."""

    number: int
    name: str
    order_number: int
    currency: str
    lines: list[LineItem]
    email: str | None = None
    phone: str | None = None
    note: str | None = None
    tags: list[str] = field(default_factory=list)
    note_attributes: list[dict[str, Any]] = field(default_factory=list)
    shipping_lines: list[dict[str, Any]] = field(default_factory=list)
    shipping_address: dict[str, Any] | None = None
    billing_address: dict[str, Any] | None = None
    customer: dict[str, Any] | None = None
    source_name: str = "web"
    test: bool = False
    taxes_included: bool = True
    total_tax: Decimal = Decimal(0)
    shipping_price: Decimal = Decimal(0)
    total_discounts: Decimal = Decimal(0)
    financial_status: str = "paid"
    cancelled_at: float | None = None
    cancel_reason: str | None = None
    closed_at: float | None = None
    created_at: float = 0.0
    updated_at: float = 0.0
    processed_at: float = 0.0
    fulfillment_orders: list[int] = field(default_factory=list)
    fulfillments: list[int] = field(default_factory=list)
    transactions: list[int] = field(default_factory=list)
    refunds: list[int] = field(default_factory=list)

    @property
    def line_total(self) -> Decimal:
        """Sum of the lines as ordered."""
        return sum((line.price * line.quantity for line in self.lines), Decimal(0))

    @property
    def total_price(self) -> Decimal:
        """What the customer paid at checkout."""
        extra = Decimal(0) if self.taxes_included else self.total_tax
        return self.line_total - self.total_discounts + self.shipping_price + extra

    def line(self, number: int) -> LineItem:
        """One of the order's lines."""
        for line in self.lines:
            if line.number == number:
                return line
        raise KeyError(number)
