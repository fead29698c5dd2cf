"""Order events from the webshop: order.placed and order.cancelled."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from service.contracts.examples import schema_examples
from service.contracts.fields import (
    Currency,
    Identifier,
    Money,
    Name,
    PositiveMoney,
    Quantity,
    ShortText,
    Sku,
    VatRate,
)

_STRICT = ConfigDict(extra="forbid", frozen=True)


class Customer(BaseModel):
    """Who placed the order."""

    model_config = _STRICT

    email: Annotated[str, Field(max_length=200, pattern=r"^[^@\s]+@[^@\s]+$")] | None = None
    first_name: Name | None = None
    last_name: Name | None = None
    phone: Annotated[str, Field(max_length=40, pattern=r"^[0-9+() -]+$")] | None = None


class Address(BaseModel):
    """A delivery address."""

    model_config = _STRICT

    name: Name
    street: ShortText
    postal_code: Annotated[str, Field(min_length=1, max_length=20, pattern=r"^[A-Za-z0-9 -]+$")]
    city: Name
    country: Annotated[str, Field(pattern=r"^[A-Z]{2}$")] = Field(
        description="ISO 3166-1 alpha-2 code, e.g. SE."
    )


class StoreRef(BaseModel):
    """A Sitoo store, by its storeid or its externalid (exactly one)."""

    model_config = _STRICT

    store_id: Annotated[int, Field(strict=True, ge=1)] | None = None
    store_externalid: Identifier | None = None

    @model_validator(mode="after")
    def _exactly_one(self) -> StoreRef:
        if (self.store_id is None) == (self.store_externalid is None):
            raise ValueError("give exactly one of store_id and store_externalid")
        return self


class Pickup(StoreRef):
    """Click-and-collect in a store: no delivery address, stock reserved in the store."""

    kind: Literal["pickup"]


class Delivery(BaseModel):
    """Delivered to the customer; optionally shipped from a store's warehouse."""

    model_config = _STRICT

    kind: Literal["delivery"]
    address: Address
    ship_from: StoreRef | None = None


class OrderLine(BaseModel):
    """One product line; prices include VAT."""

    model_config = _STRICT

    sku: Sku
    name: Name
    quantity: Quantity
    unit_price: Money = Field(description="Price of one unit including VAT, before discounts.")
    discount: Money = Field(
        default=Decimal(0), description="Discount on the whole line including VAT."
    )
    vat_rate: VatRate

    @model_validator(mode="after")
    def _discount_within_line(self) -> OrderLine:
        if self.discount > self.unit_price * self.quantity:
            raise ValueError("discount exceeds the line total")
        return self


class Shipping(BaseModel):
    """The shipping charge; becomes its own order line in Sitoo."""

    model_config = _STRICT

    name: Name = "Shipping"
    price: Money = Field(description="Including VAT, before discount.")
    discount: Money = Decimal(0)
    vat_rate: VatRate
    sku: Sku | None = Field(
        default=None, description="SKU of a shipping product in Sitoo, if the merchant has one."
    )

    @model_validator(mode="after")
    def _discount_within_price(self) -> Shipping:
        if self.discount > self.price:
            raise ValueError("discount exceeds the shipping price")
        return self


class Payment(BaseModel):
    """A payment towards the order."""

    model_config = _STRICT

    method: Name = Field(description="Shown in Sitoo, e.g. Klarna, Card, Gift card.")
    amount: PositiveMoney
    state: Literal["captured", "authorised"]
    reference: Identifier | None = Field(
        default=None, description="The payment provider's reference."
    )


class OrderPlaced(BaseModel):
    """``order.placed``: an order was placed in the webshop.

    Prices include VAT. ``total`` is what the customer pays; it must equal the lines after
    their discounts, minus ``order_discount``, plus shipping after its discount, and the
    payments must add up to it. The order becomes one Sitoo order whose externalid is
    derived from ``order_id``.
    """

    model_config = ConfigDict(
        extra="forbid",
        frozen=True,
        json_schema_extra={"examples": schema_examples("order.placed")},
    )

    order_id: Identifier = Field(description="The webshop's order id.")
    currency: Currency
    customer: Customer = Customer()
    fulfilment: Annotated[Pickup | Delivery, Field(discriminator="kind")]
    lines: Annotated[list[OrderLine], Field(min_length=1, max_length=500)]
    order_discount: Money = Field(
        default=Decimal(0),
        description="Discount on the whole order (e.g. a voucher), spread over the lines.",
    )
    shipping: Shipping | None = None
    payments: Annotated[list[Payment], Field(min_length=1, max_length=10)]
    total: Money

    @model_validator(mode="after")
    def _sums_agree(self) -> OrderPlaced:
        lines = sum(
            (line.unit_price * line.quantity - line.discount for line in self.lines), Decimal(0)
        )
        if self.order_discount > lines:
            raise ValueError("order_discount exceeds the lines after their discounts")
        shipping = self.shipping.price - self.shipping.discount if self.shipping else Decimal(0)
        expected = lines - self.order_discount + shipping
        if expected != self.total:
            raise ValueError(f"total {self.total} does not match lines and shipping ({expected})")
        paid = sum((p.amount for p in self.payments), Decimal(0))
        if paid != self.total:
            raise ValueError(f"payments add up to {paid}, not the total {self.total}")
        return self


class OrderCancelled(BaseModel):
    """``order.cancelled``: the webshop cancelled an order.

    The Sitoo order is set to state 20 (Cancelled) and every gift-card redemption made for
    the order is rolled back. If it arrives before its ``order.placed``, it leaves a tombstone
    and the placement later creates no order at all.
    """

    model_config = ConfigDict(
        extra="forbid",
        frozen=True,
        json_schema_extra={"examples": schema_examples("order.cancelled")},
    )

    order_id: Identifier
    reason: ShortText | None = None


class RefundedLine(BaseModel):
    """Units of one order line given back."""

    model_config = _STRICT

    sku: Sku
    quantity: Quantity
    restock_warehouse_id: Annotated[int, Field(strict=True, ge=1)] | None = Field(
        default=None,
        description=(
            "The Sitoo warehouse the units went back into, when the webshop restocked them at "
            "a place whose stock Sitoo keeps. Stock is added there only if the Sitoo order was "
            "already delivered (closed); before that the units never left."
        ),
    )


class OrderRefunded(BaseModel):
    """``order.refunded``: the webshop refunded some or all of an order.

    Sitoo has no refund to write for a web order (its refunds are made in the POS), so the
    refund is recorded on the Sitoo order (``additionaldata`` key ``refund-<refund_id>``)
    where store staff see it before handing the order over. Restocked lines of a delivered
    order go back into their warehouse. When ``complete`` (after this refund nothing of the
    order is left) an open Sitoo order is cancelled and the order's gift-card redemptions
    are rolled back, once, as ``order.cancelled`` does, including its tombstone when the
    order is not placed yet. Any other refund of an order not in Sitoo is retried, then
    dead-lettered.
    """

    model_config = ConfigDict(
        extra="forbid",
        frozen=True,
        json_schema_extra={"examples": schema_examples("order.refunded")},
    )

    order_id: Identifier
    refund_id: Identifier = Field(description="The webshop's refund id; one event per refund.")
    currency: Currency
    amount: Money = Field(description="Money given back, including VAT (0: nothing paid back).")
    lines: Annotated[list[RefundedLine], Field(max_length=500)] = Field(default_factory=list)
    complete: bool = Field(
        default=False, description="After this refund, every unit of the order is refunded."
    )
    note: ShortText | None = None
