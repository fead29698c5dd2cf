"""Which event types exist, which stream carries each, and how their payloads validate."""

from __future__ import annotations

import enum
from dataclasses import dataclass

from pydantic import BaseModel, ValidationError

from service.contracts.envelope import Envelope, InvalidEntry, describe_validation_error
from service.contracts.giftcards import (
    GiftCardBalance,
    GiftCardIssued,
    GiftCardRedeem,
    GiftCardRefund,
)
from service.contracts.orders import OrderCancelled, OrderPlaced
from service.contracts.stock import StockAdjusted, StockSet


class Channel(enum.Enum):
    """The role of an inbound stream; names come from the settings."""

    ORDERS = "orders"
    GIFTCARDS = "giftcards"
    GIFTCARD_REQUESTS = "giftcard_requests"
    STOCK = "stock"


@dataclass(frozen=True, slots=True)
class EventKind:
    """One inbound event type."""

    name: str
    payload: type[BaseModel]
    channels: frozenset[Channel]


EVENT_KINDS: dict[str, EventKind] = {
    kind.name: kind
    for kind in (
        EventKind("order.placed", OrderPlaced, frozenset({Channel.ORDERS})),
        EventKind("order.cancelled", OrderCancelled, frozenset({Channel.ORDERS})),
        EventKind("giftcard.issued", GiftCardIssued, frozenset({Channel.GIFTCARDS})),
        EventKind(
            "giftcard.redeem",
            GiftCardRedeem,
            frozenset({Channel.GIFTCARDS, Channel.GIFTCARD_REQUESTS}),
        ),
        EventKind("giftcard.refund", GiftCardRefund, frozenset({Channel.GIFTCARDS})),
        EventKind(
            "giftcard.balance",
            GiftCardBalance,
            frozenset({Channel.GIFTCARDS, Channel.GIFTCARD_REQUESTS}),
        ),
        EventKind("stock.adjusted", StockAdjusted, frozenset({Channel.STOCK})),
        EventKind("stock.set", StockSet, frozenset({Channel.STOCK})),
    )
}


@dataclass(frozen=True, slots=True)
class InboundEvent:
    """A validated envelope with its typed payload."""

    envelope: Envelope
    payload: BaseModel

    @property
    def event_id(self) -> str:
        """The idempotency root."""
        return self.envelope.event_id

    @property
    def type(self) -> str:
        """The event type."""
        return self.envelope.type


def validate_payload(envelope: Envelope, channel: Channel) -> InboundEvent:
    """The typed event, or InvalidEntry naming what is wrong (unknown type, bad field, …)."""
    kind = EVENT_KINDS.get(envelope.type)
    if kind is None:
        raise InvalidEntry(f"unknown event type {envelope.type!r}", envelope=envelope)
    if channel not in kind.channels:
        raise InvalidEntry(
            f"event type {envelope.type!r} is not accepted on the {channel.value} stream",
            envelope=envelope,
        )
    try:
        payload = kind.payload.model_validate(envelope.data)
    except ValidationError as exc:
        raise InvalidEntry(
            f"invalid {envelope.type}: " + describe_validation_error(exc, prefix="data."),
            envelope=envelope,
        ) from None
    return InboundEvent(envelope=envelope, payload=payload)
