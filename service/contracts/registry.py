"""Which event types exist, which stream carries each, and how their payloads validate."""

from __future__ import annotations

import enum
import hashlib
import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal

from pydantic import BaseModel, ValidationError

from service.contracts.envelope import Envelope, InvalidEntry, describe_validation_error
from service.contracts.giftcards import (
    GiftCardBalance,
    GiftCardIssued,
    GiftCardRedeem,
    GiftCardRefund,
)
from service.contracts.orders import OrderCancelled, OrderPlaced, OrderRefunded
from service.contracts.results import UNKNOWN_TYPE
from service.contracts.sanity import TIME_BOUNDS, TimeBounds
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
        EventKind("order.refunded", OrderRefunded, frozenset({Channel.ORDERS})),
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


def known_type(event_type: str | None) -> str:
    """The type as it may be named outward: a known event type, otherwise ``unknown``.

    What an inbound entry claims to be is untrusted: as a result event's type, a dead
    letter's type, a reply's type or a metric label it would let any producer mint new
    names (and new metric series). Only the registry's names pass.
    """
    return event_type if event_type in EVENT_KINDS else UNKNOWN_TYPE


def content_digest(event_type: str, payload: BaseModel) -> str:
    """``sha256:<hex>`` of the event's content in canonical form.

    The content is the type, the schema version and the payload as validated (defaults
    filled in), in one spelling (:func:`canonical`): sorted keys, no whitespace, UTF-8,
    every number as its shortest exact decimal. Key order, spacing, escapes and ``7`` against
    ``"7.000"`` do not make two events different; any changed value does. ``occurred_at``,
    ``source`` and ``correlation_id`` are not content.
    """
    text = canonical({"type": event_type, "schema_version": 1, "data": payload.model_dump()})
    return "sha256:" + hashlib.sha256(text.encode()).hexdigest()


def canonical(value: object) -> str:
    """One JSON spelling of validated values: equal values, equal text."""
    return json.dumps(
        _canonical_values(value), sort_keys=True, separators=(",", ":"), ensure_ascii=False
    )


def _canonical_values(value: object) -> object:
    if isinstance(value, dict):
        return {str(k): _canonical_values(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_canonical_values(v) for v in value]
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return value
    if isinstance(value, int | float | Decimal):
        # Exact and shortest: 7, 7.0 and "7.000" are one number; -0 is 0.
        number = Decimal(value) if not isinstance(value, float) else Decimal(repr(value))
        return {"#": f"{number.normalize():f}" if number else "0"}
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat()
    if isinstance(value, enum.Enum):
        return _canonical_values(value.value)
    raise TypeError(f"no canonical form for {type(value).__name__}")


@dataclass(frozen=True, slots=True)
class InboundEvent:
    """A validated envelope with its typed payload."""

    envelope: Envelope
    payload: BaseModel
    digest: str = field(default="", compare=False)

    def __post_init__(self) -> None:
        if not self.digest:
            object.__setattr__(self, "digest", content_digest(self.envelope.type, self.payload))

    @property
    def event_id(self) -> str:
        """The idempotency root."""
        return self.envelope.event_id

    @property
    def type(self) -> str:
        """The event type."""
        return self.envelope.type


def validate_payload(
    envelope: Envelope, channel: Channel, *, bounds: TimeBounds | None = None
) -> InboundEvent:
    """The typed event, or InvalidEntry naming what is wrong (unknown type, bad field, …)."""
    kind = EVENT_KINDS.get(envelope.type)
    if kind is None:
        # Not echoed: the entry kept in the dead letter shows what was sent.
        raise InvalidEntry(
            "unknown event type (known: " + ", ".join(sorted(EVENT_KINDS)) + ")",
            envelope=envelope,
        )
    if channel not in kind.channels:
        raise InvalidEntry(
            f"event type {envelope.type!r} is not accepted on the {channel.value} stream",
            envelope=envelope,
        )
    try:
        # Strict, like the envelope: no lax conversions ("1" to 1, true to 1, 1.0 to 1).
        payload = kind.payload.model_validate(
            envelope.data, strict=True, context={TIME_BOUNDS: bounds}
        )
    except ValidationError as exc:
        raise InvalidEntry(
            f"invalid {envelope.type}: " + describe_validation_error(exc, prefix="data."),
            envelope=envelope,
        ) from None
    return InboundEvent(envelope=envelope, payload=payload)
