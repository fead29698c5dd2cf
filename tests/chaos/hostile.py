"""A corpus of hostile stream entries: every one must be dead-lettered with a clear reason.

Two kinds behave otherwise, by design: a request with a usable ``reply_to`` must also get
exactly one reply (declined, ``invalid_request``), and a pair of entries sharing an event id
with different content (labels starting ``reused id``) must end as one normal outcome and
one ``conflict`` dead letter, whichever of the two the service saw first.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

# Channels, as the workload names them.
ORDERS = "orders"
GIFTCARDS = "giftcards"
REQUESTS = "giftcard_requests"
STOCK = "stock"

OVERSIZED_BYTES = 300 * 1024  # above the service's 256 KiB entry limit
DEEP_NESTING = 50_000  # deeper than any JSON parser's recursion limit


REUSED_ID = "reused id"


@dataclass(frozen=True, slots=True)
class HostileEntry:
    """One entry that must end in the dead letters, never in Sitoo."""

    label: str
    channel: str
    fields: dict[str, bytes]
    reply_to: str | None = None  # a usable reply list: exactly one decline must arrive there


def _envelope(event_id: str, event_type: str, data: Any, **overrides: Any) -> dict[str, Any]:
    document: dict[str, Any] = {
        "event_id": event_id,
        "type": event_type,
        "schema_version": 1,
        "occurred_at": datetime.now(UTC).isoformat(),
        "source": "webshop",
        "correlation_id": "chaos-hostile",
        "data": data,
    }
    document.update(overrides)
    return document


def _order(**changes: Any) -> dict[str, Any]:
    order: dict[str, Any] = {
        "order_id": "hostile-order",
        "currency": "SEK",
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
    }
    order.update(changes)
    return order


def _line(**changes: Any) -> dict[str, Any]:
    line: dict[str, Any] = {
        "sku": "SKU-0001",
        "name": "Shirt",
        "quantity": 1,
        "unit_price": "100.00",
        "vat_rate": "25",
    }
    line.update(changes)
    return line


def _redeem(**changes: Any) -> dict[str, Any]:
    redeem: dict[str, Any] = {
        "card_number": "95000000000000000001",
        "amount": "10.00",
        "currency": "SEK",
    }
    redeem.update(changes)
    return redeem


def _adjusted(**changes: Any) -> dict[str, Any]:
    adjusted: dict[str, Any] = {"warehouse_id": 1, "items": [{"sku": "SKU-0001", "delta": "1"}]}
    adjusted.update(changes)
    return adjusted


def _set(**changes: Any) -> dict[str, Any]:
    levels: dict[str, Any] = {
        "warehouse_externalid": "WH-WEB",
        "items": [{"sku": "SKU-0001", "quantity": "5"}],
    }
    levels.update(changes)
    return levels


def _nested(depth: int) -> Any:
    value: Any = "SKU-0001"
    for _ in range(depth):
        value = [value]
    return value


# (label, channel, event type, payload) of well-formed envelopes with a bad payload.
_BAD_PAYLOADS: list[tuple[str, str, str, Any]] = [
    (
        "order without lines",
        ORDERS,
        "order.placed",
        {k: v for k, v in _order().items() if k != "lines"},
    ),
    ("order with no lines", ORDERS, "order.placed", _order(lines=[])),
    ("quantity as a string", ORDERS, "order.placed", _order(lines=[_line(quantity="1")])),
    ("fractional quantity", ORDERS, "order.placed", _order(lines=[_line(quantity=1.5)])),
    ("zero quantity", ORDERS, "order.placed", _order(lines=[_line(quantity=0)])),
    ("absurd quantity", ORDERS, "order.placed", _order(lines=[_line(quantity=10**15)])),
    ("negative price", ORDERS, "order.placed", _order(lines=[_line(unit_price="-100.00")])),
    ("price with 3 decimals", ORDERS, "order.placed", _order(lines=[_line(unit_price="100.001")])),
    ("NaN price", ORDERS, "order.placed", _order(lines=[_line(unit_price="NaN")])),
    ("infinite price", ORDERS, "order.placed", _order(lines=[_line(unit_price="Infinity")])),
    ("absurd price", ORDERS, "order.placed", _order(lines=[_line(unit_price=1e308)])),
    ("price as a list", ORDERS, "order.placed", _order(lines=[_line(unit_price=[100])])),
    ("total mismatch", ORDERS, "order.placed", _order(total="99.00")),
    (
        "payments mismatch",
        ORDERS,
        "order.placed",
        _order(payments=[{"method": "Card", "amount": "90.00", "state": "captured"}]),
    ),
    ("lower-case currency", ORDERS, "order.placed", _order(currency="sek")),
    ("four-letter currency", ORDERS, "order.placed", _order(currency="EURO")),
    ("currency symbol", ORDERS, "order.placed", _order(currency="€")),
    (
        "SQL injection in sku",
        ORDERS,
        "order.placed",
        _order(lines=[_line(sku="SKU'; DROP TABLE orders;--")]),
    ),
    ("path traversal sku", ORDERS, "order.placed", _order(lines=[_line(sku="../../etc/passwd")])),
    ("unknown sku", ORDERS, "order.placed", _order(lines=[_line(sku="NO-SUCH-SKU")])),
    (
        "unknown store",
        ORDERS,
        "order.placed",
        _order(fulfilment={"kind": "pickup", "store_externalid": "STORE-404"}),
    ),
    (
        "unknown fulfilment",
        ORDERS,
        "order.placed",
        _order(fulfilment={"kind": "teleport", "store_externalid": "STORE-1"}),
    ),
    (
        "store by id and externalid",
        ORDERS,
        "order.placed",
        _order(fulfilment={"kind": "pickup", "store_id": 1, "store_externalid": "STORE-1"}),
    ),
    ("bad e-mail", ORDERS, "order.placed", _order(customer={"email": "not-an-email"})),
    ("501 lines", ORDERS, "order.placed", _order(lines=[_line()] * 501)),
    ("discount above line", ORDERS, "order.placed", _order(lines=[_line(discount="150.00")])),
    ("NUL in order id", ORDERS, "order.placed", _order(order_id="abc\x00def")),
    ("order id of 101 chars", ORDERS, "order.placed", _order(order_id="x" * 101)),
    ("script in currency", ORDERS, "order.placed", _order(currency="<script>alert(1)</script>")),
    ("cancel without order id", ORDERS, "order.cancelled", {"reason": "no id"}),
    ("negative redeem", GIFTCARDS, "giftcard.redeem", _redeem(amount="-10.00")),
    ("zero redeem", GIFTCARDS, "giftcard.redeem", _redeem(amount="0")),
    ("redeem amount as bool", GIFTCARDS, "giftcard.redeem", _redeem(amount=True)),
    ("card number with letters", GIFTCARDS, "giftcard.redeem", _redeem(card_number="ABCDEF123")),
    ("card number too short", GIFTCARDS, "giftcard.redeem", _redeem(card_number="1234567")),
    (
        "card number as a number",
        GIFTCARDS,
        "giftcard.redeem",
        _redeem(card_number=95000000000000000001),
    ),
    ("injection in PIN", GIFTCARDS, "giftcard.redeem", _redeem(pin="1234' OR '1'='1")),
    (
        "refund with neither",
        GIFTCARDS,
        "giftcard.refund",
        {"card_number": "95000000000000000001", "currency": "SEK"},
    ),
    (
        "absurd issue amount",
        GIFTCARDS,
        "giftcard.issued",
        {"amount": "1e9999", "currency": "SEK"},
    ),
    ("two-letter currency", GIFTCARDS, "giftcard.issued", {"amount": "10.00", "currency": "XX"}),
    (
        "issue on the request stream",
        REQUESTS,
        "giftcard.issued",
        {"amount": "10.00", "currency": "SEK"},
    ),
    (
        "mixed-sign deltas",
        STOCK,
        "stock.adjusted",
        _adjusted(items=[{"sku": "SKU-0001", "delta": "1"}, {"sku": "SKU-0002", "delta": "-1"}]),
    ),
    ("zero delta", STOCK, "stock.adjusted", _adjusted(items=[{"sku": "SKU-0001", "delta": "0"}])),
    (
        "duplicate sku",
        STOCK,
        "stock.adjusted",
        _adjusted(items=[{"sku": "SKU-0001", "delta": "1"}, {"sku": "SKU-0001", "delta": "2"}]),
    ),
    (
        "delta with 4 decimals",
        STOCK,
        "stock.adjusted",
        _adjusted(items=[{"sku": "SKU-0001", "delta": "1.2345"}]),
    ),
    (
        "absurd delta",
        STOCK,
        "stock.adjusted",
        _adjusted(items=[{"sku": "SKU-0001", "delta": "1000000000000"}]),
    ),
    (
        "warehouse by id and externalid",
        STOCK,
        "stock.adjusted",
        _adjusted(warehouse_externalid="WH-STORE-1"),
    ),
    ("warehouse id as a string", STOCK, "stock.adjusted", _adjusted(warehouse_id="1")),
    ("warehouse id zero", STOCK, "stock.adjusted", _adjusted(warehouse_id=0)),
    (
        "101 items",
        STOCK,
        "stock.adjusted",
        _adjusted(items=[{"sku": f"SKU-{i:04d}", "delta": "1"} for i in range(1, 102)]),
    ),
    ("unknown warehouse", STOCK, "stock.adjusted", _adjusted(warehouse_id=999)),
    (
        "unknown sku in stock",
        STOCK,
        "stock.adjusted",
        _adjusted(items=[{"sku": "NO-SUCH-SKU", "delta": "1"}]),
    ),
    ("delta on a virtual warehouse", STOCK, "stock.adjusted", _adjusted(warehouse_id=4)),
    (
        "level on a FIFO warehouse",
        STOCK,
        "stock.set",
        _set(warehouse_externalid=None, warehouse_id=1),
    ),
    (
        "negative level",
        STOCK,
        "stock.set",
        _set(items=[{"sku": "SKU-0001", "quantity": "-1"}]),
    ),
    ("order event on the stock stream", STOCK, "order.placed", _order()),
    # Control and format characters, in every kind of string (the rule is not per field).
    ("NUL in customer e-mail", ORDERS, "order.placed", _order(customer={"email": "a\x00@b.se"})),
    ("LS in customer e-mail", ORDERS, "order.placed", _order(customer={"email": "a\u2028@b.se"})),
    ("NUL in first name", ORDERS, "order.placed", _order(customer={"first_name": "An\x00na"})),
    ("ESC in line name", ORDERS, "order.placed", _order(lines=[_line(name="\x1b[31mred")])),
    ("bidi override in line name", ORDERS, "order.placed", _order(lines=[_line(name="a\u202eb")])),
    ("C1 control in line name", ORDERS, "order.placed", _order(lines=[_line(name="a\x85b")])),
    (
        "DEL in payment method",
        ORDERS,
        "order.placed",
        _order(payments=[{"method": "Card\x7f", "amount": "100.00", "state": "captured"}]),
    ),
    (
        "tab in payment reference",
        ORDERS,
        "order.placed",
        _order(
            payments=[
                {"method": "Card", "amount": "100.00", "state": "captured", "reference": "a\tb"}
            ]
        ),
    ),
    ("lone surrogate in line name", ORDERS, "order.placed", _order(lines=[_line(name="a\ud800")])),
    (
        "noncharacter in cancel reason",
        ORDERS,
        "order.cancelled",
        {"order_id": "x", "reason": "why\uffff"},
    ),
    ("newline in stock reason", STOCK, "stock.adjusted", _adjusted(reason="line1\nline2")),
    ("NUL in warehouse externalid", STOCK, "stock.set", _set(warehouse_externalid="WH-\x00WEB")),
    ("NUL in an unknown key", GIFTCARDS, "giftcard.redeem", {**_redeem(), "x\x00": 1}),
    ("overlong unknown string", GIFTCARDS, "giftcard.redeem", {**_redeem(), "note": "n" * 5000}),
    (
        "nested 20 deep in a sku",
        STOCK,
        "stock.set",
        _set(items=[{"sku": _nested(20), "quantity": "1"}]),
    ),
]


def _raw(label: str, channel: str, value: bytes, **extra: bytes) -> HostileEntry:
    return HostileEntry(label, channel, {"event": value, **extra})


def _json(document: Any) -> bytes:
    return json.dumps(document).encode()


def hostile_corpus(run_id: str, round_no: int, key_prefix: str) -> list[HostileEntry]:
    """All hostile entries of one round; event ids are unique per run and round."""

    def eid(index: int) -> str:
        return f"{run_id}-hostile-{round_no}-{index}"

    entries: list[HostileEntry] = [
        HostileEntry("no event field", ORDERS, {"evt": b"{}"}),
        _raw("not JSON", ORDERS, b"{not json"),
        _raw("JSON array", ORDERS, b"[1, 2, 3]"),
        _raw("JSON string", GIFTCARDS, b'"hello"'),
        _raw("JSON null", STOCK, b"null"),
        _raw("not UTF-8", ORDERS, b"\xff\xfe\x00\x81"),
        _raw("empty event", GIFTCARDS, b""),
        _raw("deeply nested JSON", ORDERS, b"[" * DEEP_NESTING + b"]" * DEEP_NESTING),
        _raw(
            "oversized entry",
            STOCK,
            _json(_envelope(eid(1), "stock.adjusted", _adjusted())),
            padding=b"x" * OVERSIZED_BYTES,
        ),
        _raw(
            "missing event_id",
            ORDERS,
            _json(
                {
                    k: v
                    for k, v in _envelope("x", "order.placed", _order()).items()
                    if k != "event_id"
                }
            ),
        ),
        _raw(
            "event id with spaces",
            ORDERS,
            _json(_envelope("has a space", "order.placed", _order())),
        ),
        _raw(
            "event id of 300 chars", ORDERS, _json(_envelope("e" * 300, "order.placed", _order()))
        ),
        _raw("unknown type", ORDERS, _json(_envelope(eid(2), "order.exploded", _order()))),
        _raw(
            "injection in type",
            ORDERS,
            _json(_envelope(eid(3), "order.placed; DROP TABLE orders", _order())),
        ),
        _raw(
            "schema version 2",
            ORDERS,
            _json(_envelope(eid(4), "order.placed", _order(), schema_version=2)),
        ),
        _raw(
            "time without offset",
            ORDERS,
            _json(_envelope(eid(5), "order.placed", _order(), occurred_at="2026-03-01T12:00:00")),
        ),
        _raw(
            "time as prose",
            GIFTCARDS,
            _json(_envelope(eid(6), "giftcard.redeem", _redeem(), occurred_at="yesterday")),
        ),
        _raw(
            "extra envelope field",
            GIFTCARDS,
            _json({**_envelope(eid(7), "giftcard.redeem", _redeem()), "admin": True}),
        ),
        _raw("data is a list", STOCK, _json(_envelope(eid(8), "stock.adjusted", [_adjusted()]))),
        _raw(
            "empty source",
            STOCK,
            _json(_envelope(eid(9), "stock.adjusted", _adjusted(), source="")),
        ),
        _raw(
            "control characters in correlation id",
            GIFTCARDS,
            _json(_envelope(eid(10), "giftcard.redeem", _redeem(), correlation_id="a\r\nb")),
        ),
        _raw(
            "infinite amount literal",
            GIFTCARDS,
            _json(_envelope(eid(11), "giftcard.redeem", _redeem())).replace(b'"10.00"', b"1e400"),
        ),
        _raw(
            "reply_to in the service's keys",
            REQUESTS,
            _json(_envelope(eid(12), "giftcard.balance", {"card_number": "95000000000000000001"})),
            reply_to=f"{key_prefix}:idempotency:steal".encode(),
        ),
        _raw(
            "reply_to with spaces",
            REQUESTS,
            _json(_envelope(eid(13), "giftcard.balance", {"card_number": "95000000000000000001"})),
            reply_to=b"reply list with spaces",
        ),
    ]
    for index, (label, channel, event_type, payload) in enumerate(_BAD_PAYLOADS, start=100):
        entries.append(_raw(label, channel, _json(_envelope(eid(index), event_type, payload))))
    entries += _timestamps(eid)
    entries += _reply_targets(eid, run_id, round_no, key_prefix)
    entries += _reused_ids(eid, round_no)
    return entries


def _timestamps(eid: Callable[[int], str]) -> list[HostileEntry]:
    """Timestamps out of bounds: far future (newest-wins poison), past the skew, before 2000."""
    now = datetime.now(UTC)
    cases = [
        ("stock.set in year 9999", STOCK, "stock.set", _set(), "9999-12-31T23:59:59Z"),
        (
            "stock.set a day ahead",
            STOCK,
            "stock.set",
            _set(),
            (now + timedelta(days=1)).isoformat(),
        ),
        (
            "stock.adjusted an hour ahead",
            STOCK,
            "stock.adjusted",
            _adjusted(),
            (now + timedelta(hours=1)).isoformat(),
        ),
        ("order in year 3000", ORDERS, "order.placed", _order(), "3000-01-01T00:00:00+02:00"),
        ("redeem at the epoch", GIFTCARDS, "giftcard.redeem", _redeem(), "1970-01-01T00:00:00Z"),
        (
            "balance in year 1",
            REQUESTS,
            "giftcard.balance",
            {"card_number": "95000000000000000001"},
            "0001-01-01T00:00:00Z",
        ),
    ]
    return [
        _raw(label, channel, _json(_envelope(eid(300 + i), kind, data, occurred_at=at)))
        for i, (label, channel, kind, data, at) in enumerate(cases)
    ]


def _reply_targets(
    eid: Callable[[int], str], run_id: str, round_no: int, key_prefix: str
) -> list[HostileEntry]:
    """Reply targets that are not lists, and invalid requests that must still be answered."""
    balance = {"card_number": "95000000000000000001"}
    refused = [
        ("reply_to an inbound stream", b"webshop.orders"),
        ("reply_to the stock stream", b"webshop.stock"),
        ("reply_to the results stream", b"sitoo-sync.results"),
        ("reply_to the outbound stream", b"sitoo.events"),
        ("reply_to a dead-letter stream", b"webshop.giftcard-requests.dlq"),
        ("reply_to the service's prefix", f"{key_prefix}:settled:x".encode()),
    ]
    entries = [
        _raw(
            label,
            REQUESTS,
            _json(_envelope(eid(400 + i), "giftcard.balance", balance)),
            reply_to=target,
        )
        for i, (label, target) in enumerate(refused)
    ]
    invalid = [
        (
            "invalid redeem awaiting a reply",
            _json(_envelope(eid(420), "giftcard.redeem", _redeem(amount="-1.00"))),
        ),
        ("unreadable request awaiting a reply", b"{not json"),
        (
            "NUL in a request awaiting a reply",
            _json(_envelope(eid(421), "giftcard.balance", {"card_number": "9500\x000"})),
        ),
        (
            "future request awaiting a reply",
            _json(
                _envelope(eid(422), "giftcard.balance", balance, occurred_at="9999-01-01T00:00:00Z")
            ),
        ),
    ]
    for i, (label, event) in enumerate(invalid):
        # The prefix in the name keeps the list in the deployment's slot on a cluster.
        reply_to = f"{run_id}-hostile-reply-{key_prefix}-{round_no}-{i}"
        entries.append(
            HostileEntry(label, REQUESTS, {"event": event, "reply_to": reply_to.encode()}, reply_to)
        )
    return entries


def _reused_ids(eid: Callable[[int], str], round_no: int) -> list[HostileEntry]:
    """One event id, two contents: the first seen stands, the other is a conflict."""
    shared = eid(450)
    card = {"card_number": "95000000000000000001"}
    return [
        _raw(
            f"{REUSED_ID} {round_no}: first",
            GIFTCARDS,
            _json(_envelope(shared, "giftcard.balance", {**card, "currency": "SEK"})),
        ),
        _raw(
            f"{REUSED_ID} {round_no}: other content",
            GIFTCARDS,
            _json(_envelope(shared, "giftcard.balance", {**card, "currency": "EUR"})),
        ),
    ]
