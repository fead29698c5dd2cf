"""Typed views of WooCommerce's REST resources, keeping the raw JSON for what they leave out."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import Any, Literal, TypeVar

from service.adapters.woocommerce.errors import UnexpectedResponse

T = TypeVar("T")
ManageStock = bool | Literal["parent"]
PICKUP_METHOD = "pickup_location"


def parsed(build: Callable[[Any], T], raw: Any, *, what: str) -> T:  # noqa: ANN401 - raw JSON
    """Build a model; a missing or mistyped field is UnexpectedResponse, not a crash."""
    try:
        return build(raw)
    except (KeyError, TypeError, ValueError, AttributeError, InvalidOperation) as exc:
        raise UnexpectedResponse(
            f"{what}: unexpected shape ({type(exc).__name__}: {exc})"
        ) from None


def gmt(text: object) -> datetime | None:
    """A ``*_gmt`` field (ISO 8601 without an offset, UTC) as an aware datetime."""
    if not isinstance(text, str) or not text:
        return None
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def money(text: object) -> Decimal:
    """A money string ("29.35") as a Decimal."""
    return Decimal(str(text))


@dataclass(frozen=True, slots=True)
class ProductRef:
    """What stock writes need to know about a product or variation found by SKU."""

    id: int
    sku: str
    type: str
    parent_id: int
    manage_stock: ManageStock
    stock_quantity: int | None

    @property
    def is_variation(self) -> bool:
        """Variations are written through their parent's variations endpoint."""
        return self.type == "variation"

    @classmethod
    def from_json(cls, raw: Any) -> ProductRef:  # noqa: ANN401 - raw JSON
        """From a product (or variation) resource."""
        manage = raw["manage_stock"]
        quantity = raw.get("stock_quantity")
        return cls(
            id=int(raw["id"]),
            sku=str(raw["sku"]),
            type=str(raw["type"]),
            parent_id=int(raw.get("parent_id") or 0),
            manage_stock="parent" if manage == "parent" else bool(manage),
            stock_quantity=None if quantity is None else int(quantity),
        )


@dataclass(frozen=True, slots=True)
class LineItem:
    """An order line."""

    id: int
    sku: str
    quantity: int
    product_id: int
    variation_id: int
    total: Decimal

    @classmethod
    def from_json(cls, raw: Any) -> LineItem:  # noqa: ANN401 - raw JSON
        """From an order's (or refund's) line item."""
        return cls(
            id=int(raw["id"]),
            sku=str(raw.get("sku") or ""),
            quantity=int(raw["quantity"]),
            product_id=int(raw.get("product_id") or 0),
            variation_id=int(raw.get("variation_id") or 0),
            total=money(raw["total"]),
        )


@dataclass(frozen=True, slots=True)
class ShippingLine:
    """A shipping line; a Checkout-block pick-up names its location only by name."""

    method_id: str
    method_title: str
    meta: dict[str, str]

    @property
    def pickup_location(self) -> str | None:
        """The pick-up location's name on a ``pickup_location`` line (FACTS.md §3.1)."""
        return self.meta.get("pickup_location") if self.method_id == PICKUP_METHOD else None


@dataclass(frozen=True, slots=True)
class Order:
    """An order: the fields the adapter reads, and ``raw`` for everything else."""

    id: int
    status: str
    currency: str
    total: Decimal
    date_created_gmt: datetime | None
    date_modified_gmt: datetime | None
    line_items: tuple[LineItem, ...]
    shipping_lines: tuple[ShippingLine, ...]
    refund_ids: tuple[int, ...]
    raw: dict[str, Any] = field(repr=False, compare=False)

    @property
    def pickup_location(self) -> str | None:
        """The name of the pick-up location chosen at checkout, if any."""
        return next((s.pickup_location for s in self.shipping_lines if s.pickup_location), None)

    @classmethod
    def from_json(cls, raw: Any) -> Order:  # noqa: ANN401 - raw JSON
        """From an order resource (the REST answer or a web-hook body)."""
        return cls(
            id=int(raw["id"]),
            status=str(raw["status"]),
            currency=str(raw["currency"]),
            total=money(raw["total"]),
            date_created_gmt=gmt(raw.get("date_created_gmt")),
            date_modified_gmt=gmt(raw.get("date_modified_gmt")),
            line_items=tuple(LineItem.from_json(li) for li in raw["line_items"]),
            shipping_lines=tuple(
                ShippingLine(
                    method_id=str(s["method_id"]),
                    method_title=str(s.get("method_title") or ""),
                    meta={str(m["key"]): str(m.get("value")) for m in s.get("meta_data") or []},
                )
                for s in raw.get("shipping_lines") or []
            ),
            refund_ids=tuple(int(r["id"]) for r in raw.get("refunds") or []),
            raw=raw,
        )


@dataclass(frozen=True, slots=True)
class OrderNote:
    """An order note."""

    id: int
    note: str
    customer_note: bool
    author: str
    date_created_gmt: datetime | None

    @classmethod
    def from_json(cls, raw: Any) -> OrderNote:  # noqa: ANN401 - raw JSON
        """From a note resource."""
        return cls(
            id=int(raw["id"]),
            note=str(raw["note"]),
            customer_note=bool(raw["customer_note"]),
            author=str(raw.get("author") or ""),
            date_created_gmt=gmt(raw.get("date_created_gmt")),
        )


@dataclass(frozen=True, slots=True)
class Refund:
    """A refund of an order (line quantities are negative, as WooCommerce stores them)."""

    id: int
    amount: Decimal
    reason: str
    date_created_gmt: datetime | None
    lines: tuple[LineItem, ...]

    @classmethod
    def from_json(cls, raw: Any) -> Refund:  # noqa: ANN401 - raw JSON
        """From a refund resource."""
        return cls(
            id=int(raw["id"]),
            amount=money(raw["amount"]),
            reason=str(raw.get("reason") or ""),
            date_created_gmt=gmt(raw.get("date_created_gmt")),
            lines=tuple(LineItem.from_json(li) for li in raw.get("line_items") or []),
        )


@dataclass(frozen=True, slots=True)
class Webhook:
    """A web hook; ``status`` ``disabled`` means WooCommerce turned it off after failures."""

    id: int
    name: str
    status: str
    topic: str
    delivery_url: str

    @classmethod
    def from_json(cls, raw: Any) -> Webhook:  # noqa: ANN401 - raw JSON
        """From a web-hook resource."""
        return cls(
            id=int(raw["id"]),
            name=str(raw.get("name") or ""),
            status=str(raw["status"]),
            topic=str(raw["topic"]),
            delivery_url=str(raw["delivery_url"]),
        )
