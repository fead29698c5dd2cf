"""The envelope every event travels in, and how a plain stream entry becomes one."""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainSerializer,
    TypeAdapter,
    ValidationError,
    ValidationInfo,
)

from service.contracts.fields import Identifier
from service.contracts.sanity import TIME_BOUNDS, InsaneInput, TimeBounds, load_json

SCHEMA_VERSION = 1
EVENT_FIELD = "event"
REPLY_TO_FIELD = "reply_to"


_RFC3339 = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{1,6})?(?:Z|[+-]\d{2}:\d{2})$")


def _parse_rfc3339(value: object) -> object:
    """Only RFC 3339 text with seconds and an offset; no numbers, no other ISO 8601 forms."""
    if isinstance(value, datetime):
        return value  # built in code (outbound events), not read from input
    if not isinstance(value, str) or not _RFC3339.fullmatch(value):
        raise ValueError(
            "must be an RFC 3339 timestamp with seconds and an offset, "
            "e.g. 2026-03-01T12:00:00Z or 2026-03-01T13:00:00.5+01:00"
        )
    return datetime.fromisoformat(value)


def _whole_number(value: object) -> object:
    """A JSON integer only: a Literal would also take ``true`` and ``1.0`` for ``1``."""
    if type(value) is not int:
        raise ValueError("must be a JSON integer")
    return value


def _to_utc(value: datetime, info: ValidationInfo) -> datetime:
    """In UTC, and within the inbound time bounds when the validation carries them."""
    bounds = info.context.get(TIME_BOUNDS) if isinstance(info.context, dict) else None
    utc = value.astimezone(UTC)
    return bounds.check(utc) if isinstance(bounds, TimeBounds) else utc


def _rfc3339(value: datetime) -> str:
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z")


UtcTimestamp = Annotated[
    AwareDatetime,
    BeforeValidator(_parse_rfc3339),
    AfterValidator(_to_utc),
    PlainSerializer(_rfc3339, return_type=str, when_used="json"),
]
"""RFC 3339 with seconds and an offset (``2026-03-01T12:00:00Z``); stored in UTC.

Nothing else is read as a time: no Unix numbers, no dates alone, no space for ``T``, no
timestamp without its offset.

Inbound, every timestamp is also held to the :class:`TimeBounds` of the delivery: not
before 2000 and not further ahead than the configured clock skew.
"""

EventId = Annotated[str, Field(min_length=1, max_length=200, pattern=r"^[\x21-\x7e]+$")]
"""Printable ASCII without spaces, 1-200 characters; the root of every idempotency key."""

_EVENT_ID: TypeAdapter[str] = TypeAdapter(EventId)

EventType = Annotated[str, Field(min_length=1, max_length=100, pattern=r"^[a-z][a-z0-9_.-]*$")]


class Envelope(BaseModel):
    """What every entry's ``event`` field holds, inbound and outbound."""

    model_config = ConfigDict(
        extra="forbid",
        frozen=True,
        json_schema_extra={
            "examples": [
                {
                    "event_id": "shop-7f3a9c1e-order-placed",
                    "type": "order.placed",
                    "schema_version": 1,
                    "occurred_at": "2026-03-01T12:00:00Z",
                    "source": "webshop",
                    "correlation_id": "checkout-5521",
                    "data": {"...": "the type's payload"},
                }
            ]
        },
    )

    event_id: EventId = Field(
        description="Unique per event; redelivering the same event must reuse it."
    )
    type: EventType = Field(description="Event type, e.g. order.placed.")
    schema_version: Annotated[Literal[1], BeforeValidator(_whole_number)] = Field(
        description="Version of the type's payload schema."
    )
    occurred_at: UtcTimestamp = Field(description="When it happened at the source (RFC 3339).")
    source: Identifier = Field(description="The producing system, e.g. webshop.")
    correlation_id: Annotated[str, Field(max_length=200, pattern=r"^[\x20-\x7e]*$")] | None = Field(
        default=None, description="Carried into logs and result events."
    )
    data: dict[str, Any] = Field(description="The payload; its shape depends on type.")


class InvalidEntry(Exception):
    """A stream entry that can never be processed; the message is the operator's reason."""

    def __init__(self, reason: str, *, envelope: Envelope | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.envelope = envelope


def describe_validation_error(error: ValidationError, *, prefix: str = "") -> str:
    """A short, input-free description of what failed (hostile input never echoes back)."""
    parts = []
    for item in error.errors(include_url=False, include_input=False)[:5]:
        location = ".".join(str(p) for p in item["loc"])
        parts.append(f"{prefix}{location}: {item['msg']}" if location else item["msg"])
    more = len(error.errors()) - 5
    if more > 0:
        parts.append(f"and {more} more")
    return "; ".join(parts)


def entry_size(fields: Mapping[bytes, bytes]) -> int:
    """Bytes an entry occupies (field names and values)."""
    return sum(len(k) + len(v) for k, v in fields.items())


def decode_envelope(
    fields: Mapping[bytes, bytes], *, max_bytes: int, bounds: TimeBounds | None = None
) -> Envelope:
    """The envelope in a plain stream entry; raises InvalidEntry with the reason otherwise.

    The sanity rule (:mod:`service.contracts.sanity`) holds for the whole document, the
    payload included, before any model sees it; ``bounds`` applies to every timestamp.
    """
    size = entry_size(fields)
    if size > max_bytes:
        raise InvalidEntry(f"entry of {size} bytes exceeds the limit of {max_bytes} bytes")
    raw = fields.get(EVENT_FIELD.encode())
    if raw is None:
        names = ", ".join(sorted(k.decode("utf-8", "replace")[:40] for k in fields)[:5])
        raise InvalidEntry(f"entry has no '{EVENT_FIELD}' field (fields: {names or 'none'})")
    try:
        document = load_json(raw)
    except InsaneInput as exc:
        raise InvalidEntry(f"'{EVENT_FIELD}': {exc}") from None
    if not isinstance(document, dict):
        raise InvalidEntry(f"'{EVENT_FIELD}' must be a JSON object")
    try:
        # Strict: no value is converted into another type ("1" is not 1, true is not 1).
        return Envelope.model_validate(document, strict=True, context={TIME_BOUNDS: bounds})
    except ValidationError as exc:
        raise InvalidEntry("invalid envelope: " + describe_validation_error(exc)) from None


def best_effort_event_id(fields: Mapping[bytes, bytes]) -> str | None:
    """The event id of an entry that failed validation, when one can still be read safely."""
    raw = fields.get(EVENT_FIELD.encode())
    if raw is None:
        return None
    try:
        document = load_json(raw)
    except InsaneInput:
        return None
    if not isinstance(document, dict):
        return None
    try:
        return _EVENT_ID.validate_python(document.get("event_id"))
    except ValidationError:
        return None


def encode_envelope(envelope: Envelope) -> dict[str, str]:
    """The plain stream fields for an outbound envelope."""
    return {EVENT_FIELD: envelope.model_dump_json()}
