"""Hypothesis strategies derived from the contract's JSON schemas, and hostile mutations.

Payloads are drawn from each inbound model's own JSON schema (the one the AsyncAPI document
publishes), so a field added to the contract is generated without anyone listing it. Seeds
that the demo sandbox accepts give the mutations something valid to break.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from hypothesis import strategies as st

from service.contracts.registry import EVENT_KINDS, Channel
from service.webhooks.intake import SitooEvent

_MAX_ITEMS = 3  # arrays are drawn short: the bounds are tested elsewhere, speed matters here
_CHANNEL_NAMES = {
    Channel.ORDERS: "orders",
    Channel.GIFTCARDS: "giftcards",
    Channel.GIFTCARD_REQUESTS: "giftcard_requests",
    Channel.STOCK: "stock",
}
CARD = "95000000000000000001"

# Events the demo sandbox accepts: mutations of these break something that worked.
SEEDS: dict[str, dict[str, Any]] = {
    "order.placed": {
        "order_id": "fuzz-@id",  # the driver puts the fresh event id here too
        "currency": "SEK",
        "customer": {"email": "anna@example.com", "first_name": "Anna"},
        "fulfilment": {"kind": "pickup", "store_externalid": "STORE-1"},
        "lines": [
            {
                "sku": "SKU-0001",
                "name": "Shirt",
                "quantity": 1,
                "unit_price": "100.00",
                "vat_rate": "25",
            }
        ],
        "payments": [{"method": "Card", "amount": "100.00", "state": "captured"}],
        "total": "100.00",
    },
    "order.cancelled": {"order_id": "fuzz-order", "reason": "changed mind"},
    # Complete: an order not in Sitoo is then recorded as cancelled, so the seed succeeds.
    "order.refunded": {
        "order_id": "fuzz-order",
        "refund_id": "fuzz-refund",
        "currency": "SEK",
        "amount": "0.00",
        "complete": True,
    },
    "giftcard.issued": {"amount": "50.00", "currency": "SEK"},
    "giftcard.redeem": {"card_number": CARD, "amount": "0.01", "currency": "SEK"},
    "giftcard.refund": {"card_number": CARD, "amount": "0.01", "currency": "SEK"},
    # With its currency: the lenient "data key named twice" spelling must repeat a key here too.
    "giftcard.balance": {"card_number": CARD, "currency": "SEK"},
    "stock.adjusted": {"warehouse_id": 1, "items": [{"sku": "SKU-0001", "delta": "1"}]},
    "stock.set": {
        "warehouse_externalid": "WH-WEB",
        "items": [{"sku": "SKU-0002", "quantity": "7"}],
    },
}


@dataclass(frozen=True)
class EntryCase:
    """One stream entry to send, and what the test knows about it beforehand."""

    channel: str  # a StreamSettings field name: orders, giftcards, giftcard_requests, stock
    event: bytes  # the `event` field, exactly as sent
    reply_to: str | None = None  # a ReplyTarget kind, resolved by the driver
    label: str = ""
    extra: dict[str, bytes] = field(default_factory=dict)
    refused_because: str | None = None  # known to break the contract when it was built


@dataclass(frozen=True)
class ConflictCase:
    """A valid event, then another entry with the same event id and other content.

    With ``same_content`` the second is the first re-serialised (other key order, spacing,
    escapes, numbers as JSON numbers): the same event, which must not be a conflict.
    """

    first: EntryCase
    reused: EntryCase
    same_content: bool = False


@dataclass(frozen=True)
class WebhookCase:
    """One POST to the web hook."""

    body: bytes
    authorised: bool
    label: str = ""


def _schema_strategy(schema: dict[str, Any], defs: dict[str, Any]) -> st.SearchStrategy[Any]:  # noqa: C901, PLR0911, PLR0912 - one branch per schema form
    if "$ref" in schema:
        return st.deferred(lambda: _schema_strategy(defs[schema["$ref"].rsplit("/", 1)[-1]], defs))
    if "const" in schema:
        return st.just(schema["const"])
    if "enum" in schema:
        return st.sampled_from(schema["enum"])
    options = schema.get("anyOf") or schema.get("oneOf")
    if options:
        kinds = {o.get("type") for o in options}
        if {"number", "string"} <= kinds and ("ge" in schema or "le" in schema or "gt" in schema):
            return _amounts(schema)
        return st.one_of([_schema_strategy(o, defs) for o in options])
    kind = schema.get("type")
    if kind == "string":
        if "pattern" in schema:
            limit = schema.get("maxLength", 200)
            return st.from_regex(schema["pattern"], fullmatch=True).filter(
                lambda t: len(t) <= limit
            )
        return st.text(
            min_size=schema.get("minLength", 0), max_size=min(schema.get("maxLength", 40), 60)
        )
    if kind == "integer":
        return st.integers(schema.get("minimum", -(10**6)), schema.get("maximum", 10**6))
    if kind == "number":
        return st.floats(allow_nan=False, allow_infinity=False, width=32)
    if kind == "boolean":
        return st.booleans()
    if kind == "null":
        return st.none()
    if kind == "array":
        low = schema.get("minItems", 0)
        high = max(low, min(schema.get("maxItems", _MAX_ITEMS), _MAX_ITEMS))
        return st.lists(
            _schema_strategy(schema.get("items", {}), defs), min_size=low, max_size=high
        )
    if kind == "object" or "properties" in schema:
        return _object(schema, defs)
    return st.none() | st.integers() | st.text(max_size=10)


def _amounts(schema: dict[str, Any]) -> st.SearchStrategy[Any]:
    low = Decimal(str(schema.get("ge", schema.get("gt", 0))))
    high = min(Decimal(str(schema.get("le", 1000))), Decimal(1000))
    decimals = st.decimals(min_value=low, max_value=high, places=2)
    return decimals.map(lambda d: f"{d:f}") | st.integers(0, 1000)


def _object(schema: dict[str, Any], defs: dict[str, Any]) -> st.SearchStrategy[dict[str, Any]]:
    properties = schema.get("properties", {})
    required = set(schema.get("required", []))
    needed = {k: _schema_strategy(v, defs) for k, v in properties.items() if k in required}
    optional = {k: _schema_strategy(v, defs) for k, v in properties.items() if k not in required}
    if not properties and schema.get("additionalProperties", False):
        return st.dictionaries(
            st.text(max_size=10), st.integers() | st.text(max_size=10), max_size=3
        )
    return st.fixed_dictionaries(needed, optional=optional)


def payloads(event_type: str) -> st.SearchStrategy[dict[str, Any]]:
    """Payloads of ``event_type`` drawn from its model's JSON schema."""
    schema = EVENT_KINDS[event_type].payload.model_json_schema(mode="validation")
    return _schema_strategy(schema, schema.get("$defs", {}))


def sitoo_events() -> st.SearchStrategy[dict[str, Any]]:
    """Events of a web-hook batch drawn from the SitooEvent model, with plausible ids."""
    schema = SitooEvent.model_json_schema(mode="validation")
    drawn = _schema_strategy(schema, schema.get("$defs", {}))
    plausible = st.fixed_dictionaries(
        {
            "event_id": st.uuids().map(str),
            "event_type": st.sampled_from(["order", "booking", "warehouse-transaction", "user"]),
            "event_date": st.integers(1_700_000_000, 1_800_000_000),
            "account_id": st.just(90001),
            "data": st.fixed_dictionaries({"order_id": st.integers(1, 60)}),
        }
    )
    return plausible | drawn


def channel_of(event_type: str) -> str:
    """The stream field an event type goes to: its own stream, never the request stream
    (a request there needs a reply target; the callers that want one choose it)."""
    channels = EVENT_KINDS[event_type].channels - {Channel.GIFTCARD_REQUESTS}
    return _CHANNEL_NAMES[min(channels, key=lambda c: c.value)]


def envelope_bytes(event_type: str, data: Any, **overrides: Any) -> bytes:
    """The `event` field of an entry with a fresh event id."""
    document = {
        "event_id": f"fuzz-{uuid.uuid4().hex}",
        "type": event_type,
        "schema_version": 1,
        "occurred_at": (datetime.now(UTC) - timedelta(seconds=1)).isoformat(),
        "source": "fuzz",
        "data": data,
        **overrides,
    }
    return json.dumps(document).encode()
