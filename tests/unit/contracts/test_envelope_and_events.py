"""Plain stream entries become typed events, and bad input is refused with a clear reason."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest

from service.contracts.envelope import InvalidEntry, best_effort_event_id, decode_envelope
from service.contracts.registry import EVENT_KINDS, Channel, validate_payload
from service.contracts.results import ResultData, result_envelope, result_event_id

LIMIT = 64 * 1024


def entry(document: Any) -> dict[bytes, bytes]:
    """The fields of a plain entry holding ``document``."""
    return {b"event": json.dumps(document).encode()}


def envelope(event_type: str, data: dict[str, Any], **overrides: Any) -> dict[str, Any]:
    """A valid envelope."""
    document = {
        "event_id": "e-1",
        "type": event_type,
        "schema_version": 1,
        "occurred_at": "2026-03-01T13:00:00+01:00",
        "source": "webshop",
        "data": data,
    }
    document.update(overrides)
    return document


def reason(fields: dict[bytes, bytes], channel: Channel = Channel.ORDERS) -> str:
    """The reason an entry is refused."""
    with pytest.raises(InvalidEntry) as caught:
        validate_payload(decode_envelope(fields, max_bytes=LIMIT), channel)
    return caught.value.reason


def test_every_example_validates() -> None:
    """Each event type's documented example is a valid payload."""
    for kind in EVENT_KINDS.values():
        example = kind.payload.model_json_schema()["examples"][0]
        kind.payload.model_validate(example)


def test_occurred_at_is_kept_in_utc() -> None:
    """An offset timestamp is converted to UTC."""
    parsed = decode_envelope(entry(envelope("order.cancelled", {"order_id": "1"})), max_bytes=LIMIT)
    assert parsed.occurred_at.isoformat() == "2026-03-01T12:00:00+00:00"


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        ({b"other": b"x"}, "no 'event' field"),
        ({b"event": b"\xff\xfe"}, "not UTF-8"),
        ({b"event": b"{not json"}, "not JSON"),
        ({b"event": b"[1, 2]"}, "must be a JSON object"),
        ({b"event": b"[" * 30_000 + b"]" * 30_000}, "nested too deeply"),
        ({b"event": b"x" * (LIMIT + 1)}, "exceeds the limit"),
        (entry({"type": "order.cancelled"}), "event_id"),
        (entry(envelope("order.cancelled", {"order_id": "1"}, schema_version=2)), "schema_version"),
        (
            entry(envelope("order.cancelled", {"order_id": "1"}, occurred_at="yesterday")),
            "occurred_at",
        ),
        (
            entry(
                envelope("order.cancelled", {"order_id": "1"}, occurred_at="2026-03-01T12:00:00")
            ),
            "occurred_at",
        ),
        (entry(envelope("order.cancelled", {"order_id": "1"}, event_id="has space")), "event_id"),
        (entry(envelope("order.exploded", {})), "unknown event type"),
        (entry(envelope("stock.set", {})), "not accepted on the orders stream"),
        (entry(envelope("order.cancelled", {"order_id": "a\x00b"})), "forbidden character U+0000"),
        (entry(envelope("order.cancelled", {"order_id": "x" * 101})), "at most 100"),
        (entry(envelope("order.cancelled", {"order_id": 7})), "data.order_id"),
        (entry(envelope("order.cancelled", {"order_id": "1", "evil": 1})), "Extra inputs"),
    ],
)
def test_bad_entries_are_refused_with_a_reason(fields: dict[bytes, bytes], expected: str) -> None:
    """Malformed, oversized, mistyped, unknown or hostile entries name what is wrong."""
    assert expected in reason(fields)


def order(**overrides: Any) -> dict[str, Any]:
    """A valid order.placed payload."""
    data: dict[str, Any] = {
        "order_id": "W-1",
        "currency": "SEK",
        "fulfilment": {"kind": "pickup", "store_id": 1},
        "lines": [
            {"sku": "S-1", "name": "A", "quantity": 1, "unit_price": "10.00", "vat_rate": "25"}
        ],
        "payments": [{"method": "Card", "amount": "10.00", "state": "captured"}],
        "total": "10.00",
    }
    data.update(overrides)
    return data


def line(**overrides: Any) -> list[dict[str, Any]]:
    """One order line with changes."""
    value = {"sku": "S-1", "name": "A", "quantity": 1, "unit_price": "10.00", "vat_rate": "25"}
    value.update(overrides)
    return [value]


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (order(currency="sek"), "ISO 4217"),
        (order(lines=line(quantity=0)), "greater than or equal to 1"),
        (order(lines=line(quantity=10**9)), "less than or equal to 100000"),
        (order(lines=line(quantity=1.5)), "quantity"),
        (order(lines=line(unit_price="10.001")), "more than 2 decimals"),
        (order(lines=line(unit_price="-1")), "greater than or equal to 0"),
        (order(lines=line(unit_price="NaN")), "written like 249"),
        (order(lines=line(unit_price="1e400")), "written like 249"),
        (order(lines=line(unit_price="99999999999")), "less than or equal"),
        (order(lines=line(discount="11.00")), "discount exceeds"),
        (order(lines=line(vat_rate="250")), "less than or equal to 100"),
        (order(total="11.00"), "does not match"),
        (
            order(payments=[{"method": "Card", "amount": "9.00", "state": "captured"}]),
            "payments add up",
        ),
        (order(fulfilment={"kind": "pickup"}), "exactly one of store_id"),
        (order(fulfilment={"kind": "drone"}), "fulfilment"),
        (order(lines=[]), "at least 1"),
        (order(lines=line(sku="bad sku!")), "sku"),
    ],
)
def test_order_values_are_checked(data: dict[str, Any], expected: str) -> None:
    """Money, quantities, currency, sums and references are validated explicitly."""
    assert expected in reason(entry(envelope("order.placed", data)))


def test_numbers_and_strings_both_parse_as_exact_money() -> None:
    """Money may come as a JSON number or a string; both give the exact Decimal."""
    event = validate_payload(
        decode_envelope(
            entry(
                envelope(
                    "order.placed",
                    order(
                        lines=line(unit_price=10.1),
                        payments=[{"method": "Card", "amount": "10.10", "state": "captured"}],
                        total=10.10,
                    ),
                )
            ),
            max_bytes=LIMIT,
        ),
        Channel.ORDERS,
    )
    assert event.payload.model_dump()["total"] == Decimal("10.10")
    assert event.payload.model_dump(mode="json")["total"] == "10.10"


@pytest.mark.parametrize(
    ("event_type", "data", "expected"),
    [
        (
            "giftcard.refund",
            {"card_number": "12345678", "currency": "SEK"},
            "redemption_event_id, amount or both",
        ),
        (
            "giftcard.redeem",
            {"card_number": "1234", "amount": "1", "currency": "SEK"},
            "card_number",
        ),
        (
            "giftcard.redeem",
            {"card_number": "12345678", "amount": "0", "currency": "SEK"},
            "greater than 0",
        ),
    ],
)
def test_giftcard_values_are_checked(event_type: str, data: dict[str, Any], expected: str) -> None:
    """Gift-card events refuse zero amounts, short card numbers and ambiguous refunds."""
    assert expected in reason(entry(envelope(event_type, data)), Channel.GIFTCARDS)


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        ({"warehouse_id": 1, "items": [{"sku": "A", "delta": "0"}]}, "must not be zero"),
        (
            {"warehouse_id": 1, "items": [{"sku": "A", "delta": "1"}, {"sku": "B", "delta": "-1"}]},
            "all be positive or all negative",
        ),
        ({"warehouse_id": 1, "items": [{"sku": "A", "delta": "1e9"}]}, "written like 249"),
        ({"warehouse_id": 1, "items": [{"sku": "A", "delta": "1000000000"}]}, "less than or"),
        ({"items": [{"sku": "A", "delta": "1"}]}, "exactly one of warehouse_id"),
    ],
)
def test_stock_values_are_checked(data: dict[str, Any], expected: str) -> None:
    """Stock deltas are bounded, non-zero and one-directional."""
    assert expected in reason(entry(envelope("stock.adjusted", data)), Channel.STOCK)


def test_event_id_of_an_invalid_entry_is_recovered_when_safe() -> None:
    """The event id of a broken event is still reported, unless it is itself invalid."""
    assert best_effort_event_id(entry({"event_id": "abc", "type": 5})) == "abc"
    assert best_effort_event_id(entry({"event_id": "a b"})) is None
    assert best_effort_event_id({b"event": b"\xff"}) is None


def test_result_ids_are_deterministic_per_event_and_status() -> None:
    """The same inbound event and status give the same result id; another status another."""
    data = ResultData(
        inbound_event_id="e-1",
        inbound_type="order.placed",
        stream="s",
        entry_id="1-0",
        status="succeeded",
    )
    first = result_envelope(
        data,
        occurred_at=datetime.now(UTC),
        correlation_id=None,
    )
    assert first.event_id == result_event_id("e-1", "s", "9-9", "succeeded")
    assert first.type == "order.placed.succeeded"
    assert first.event_id != result_event_id("e-1", "s", "1-0", "failed")
