"""Outbound events: what changed in Sitoo, published on the outbound stream for the webshop.

Every outbound event travels in the common :class:`~service.contracts.envelope.Envelope`
with ``source`` ``"sitoo"``. Its ``event_id`` is derived from the change itself (never
from when or by which path it was seen), so the pollers and the Events SPI consumer
publish the same id for the same change and a consumer can de-duplicate on it.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, PlainSerializer

from service.contracts.envelope import SCHEMA_VERSION, Envelope, UtcTimestamp
from service.contracts.outbound_examples import outbound_schema_examples

OUTBOUND_SOURCE = "sitoo"


def _as_text(value: Decimal) -> str:
    return f"{value:f}"


Amount = Annotated[Decimal, PlainSerializer(_as_text, return_type=str, when_used="json")]
"""A signed decimal as a string (money with two decimals, quantities with three)."""

_OUT = ConfigDict(extra="forbid", frozen=True)


def derive_event_id(kind: str, *parts: object) -> str:
    """``<kind>-<32 hex>``: the same kind and parts always give the same id."""
    material = "\x1f".join(str(part) for part in (kind, *parts))
    return f"{kind}-{hashlib.blake2b(material.encode('utf-8'), digest_size=16).hexdigest()}"


class StockChanged(BaseModel):
    """``stock.changed``: a SKU's stock level in a Sitoo warehouse moved.

    Published only when total, reserved or available differ from the last published
    values for that warehouse and SKU; ``version`` counts the changes published for it,
    so a consumer can ignore an older level arriving late.
    """

    model_config = ConfigDict(
        **_OUT,
        json_schema_extra={"examples": outbound_schema_examples("stock.changed")},
    )

    sku: str = Field(description="The SKU.")
    warehouse_id: int = Field(description="Sitoo's warehouseid.")
    store_id: int | None = Field(description="The store owning the warehouse, if any.")
    store_externalid: str | None = Field(description="That store's externalid, if any.")
    total: Amount = Field(description="On hand.")
    reserved: Amount = Field(description="Held by open orders.")
    available: Amount = Field(description="total minus reserved; may be negative.")
    version: int = Field(ge=1, description="1 for the first level published, then +1 each.")
    modified_at: UtcTimestamp | None = Field(
        description="Sitoo's datelastmodified: the item's last stock transaction."
    )
    at: UtcTimestamp = Field(description="When sitoo-sync read this level.")


class OrderLineOut(BaseModel):
    """One line of a recorded order; amounts include VAT."""

    model_config = _OUT

    line_id: int | None = Field(description="Sitoo's orderitemid (0-based line index).")
    sku: str | None = Field(description="The line's SKU.")
    name: str | None = Field(description="The product name on the line.")
    quantity: int = Field(description="Negative on a return line.")
    row_price: Amount = Field(description="Row total including VAT, before the row discount.")
    row_discount: Amount = Field(description="Discount of the row including VAT.")
    vat_rate: Amount | None = Field(description="VAT in percent.")
    giftcard_cardnumber: str | None = Field(description="Set when the line sold a gift card.")


class PaymentOut(BaseModel):
    """A payment recorded on an order."""

    model_config = _OUT

    name: str | None = Field(description="The payment method's name.")
    amount: Amount = Field(description="Amount paid, two decimals.")
    giftcard_cardnumber: str | None = Field(description="Set when paid with a gift card.")


class OrderRecorded(BaseModel):
    """``order.recorded``: a new order reached Sitoo that sitoo-sync did not create.

    Mostly POS sales and returns (``kind`` ``return`` when the lines add up to less than
    zero), including offline sales that arrive late.
    """

    model_config = ConfigDict(
        **_OUT,
        json_schema_extra={"examples": outbound_schema_examples("order.recorded")},
    )

    order_id: int = Field(description="Sitoo's orderid.")
    externalid: str | None = Field(description="Sitoo's externalid, if the order has one.")
    kind: Literal["sale", "return"] = Field(description="return when the total is negative.")
    order_type_id: int | None = Field(description="Sitoo's ordertypeid (10 = order).")
    state: Literal["open", "closed", "cancelled", "abandoned", "unknown"] = Field(
        description="Sitoo's order state when read."
    )
    warehouse_id: int | None = Field(description="The warehouse the order belongs to.")
    store_externalid: str | None = Field(description="additionaldata store-externalid.")
    receipt_id: str | None = Field(description="additionaldata pos-receiptid.")
    currency: str | None = Field(description="ISO 4217 code.")
    total: Amount = Field(description="Sum of the lines after their discounts, incl. VAT.")
    ordered_at: UtcTimestamp | None = Field(description="Time of sale (Sitoo's orderdate).")
    lines: list[OrderLineOut] = Field(description="The order's lines.")
    payments: list[PaymentOut] = Field(description="The order's payments.")


class PickupProgress(BaseModel):
    """The common fields of the click-and-collect lifecycle events."""

    model_config = _OUT

    order_id: int = Field(description="Sitoo's orderid.")
    externalid: str | None = Field(description="The Sitoo externalid sitoo-sync gave the order.")
    webshop_order_id: str | None = Field(description="The webshop's order id, when recorded.")
    warehouse_id: int | None = Field(description="The pickup store's warehouse.")
    at: UtcTimestamp = Field(description="When it happened in Sitoo, or when it was seen.")


class OrderPickupReady(PickupProgress):
    """``order.pickup_ready``: store staff marked the order ready (order log item 900)."""

    model_config = ConfigDict(
        **_OUT, json_schema_extra={"examples": outbound_schema_examples("order.pickup_ready")}
    )


class OrderPickupRejected(PickupProgress):
    """``order.pickup_rejected``: the store rejected the pickup (order log item 910)."""

    model_config = ConfigDict(
        **_OUT,
        json_schema_extra={"examples": outbound_schema_examples("order.pickup_rejected")},
    )

    reason: str | None = Field(description="The log item's text, if any.")


class OrderPickedUp(PickupProgress):
    """``order.picked_up``: the customer collected the order (Sitoo closed it)."""

    model_config = ConfigDict(
        **_OUT, json_schema_extra={"examples": outbound_schema_examples("order.picked_up")}
    )


class OrderCancelledInSitoo(PickupProgress):
    """``order.cancelled``: the order was cancelled in Sitoo (state 20)."""

    model_config = ConfigDict(
        **_OUT, json_schema_extra={"examples": outbound_schema_examples("order.cancelled")}
    )


class GiftCardTransactionOut(BaseModel):
    """The transaction that moved a gift card's balance last."""

    model_config = _OUT

    transaction_id: str | None = Field(description="Sitoo's id of the transaction.")
    amount: Amount | None = Field(description="Negative for a redemption.")
    transaction_reference: str | None = Field(description="The POS puts the receipt id here.")
    merchant_reference: str | None = Field(description="The store or merchant reference.")
    at: UtcTimestamp | None = Field(description="When the transaction was made.")


class GiftCardBalanceChanged(BaseModel):
    """``giftcard.balance_changed``: a tracked card's balance moved (e.g. used in a store)."""

    model_config = ConfigDict(
        **_OUT,
        json_schema_extra={"examples": outbound_schema_examples("giftcard.balance_changed")},
    )

    cardnumber: str = Field(description="The card's number.")
    balance: Amount = Field(description="The balance now, two decimals.")
    previous_balance: Amount | None = Field(description="The last balance published, if any.")
    currency: str | None = Field(description="ISO 4217 code of the card.")
    redeemable: bool | None = Field(description="Whether Sitoo lets the card be used now.")
    last_transaction: GiftCardTransactionOut | None = Field(
        description="The newest transaction on the card, if any."
    )
    at: UtcTimestamp = Field(description="When sitoo-sync read the card.")


@dataclass(frozen=True, slots=True)
class OutboundKind:
    """One outbound event type and its payload model."""

    name: str
    payload: type[BaseModel]


OUTBOUND_KINDS: dict[str, OutboundKind] = {
    kind.name: kind
    for kind in (
        OutboundKind("stock.changed", StockChanged),
        OutboundKind("order.recorded", OrderRecorded),
        OutboundKind("order.pickup_ready", OrderPickupReady),
        OutboundKind("order.pickup_rejected", OrderPickupRejected),
        OutboundKind("order.picked_up", OrderPickedUp),
        OutboundKind("order.cancelled", OrderCancelledInSitoo),
        OutboundKind("giftcard.balance_changed", GiftCardBalanceChanged),
    )
}
_TYPE_OF = {kind.payload: name for name, kind in OUTBOUND_KINDS.items()}


def outbound_envelope(event_id: str, payload: BaseModel, *, occurred_at: datetime) -> Envelope:
    """The envelope carrying ``payload`` on the outbound stream."""
    return Envelope(
        event_id=event_id,
        type=_TYPE_OF[type(payload)],
        schema_version=SCHEMA_VERSION,
        occurred_at=occurred_at,
        source=OUTBOUND_SOURCE,
        data=payload.model_dump(mode="json"),
    )
