"""The cases a generative hostile run draws: entries, reused event ids and web-hook bodies.

Three sources, mixed: payloads drawn from the contract's schemas (valid or not, nobody
knows beforehand), the sandbox-accepted seeds broken by one structural mutation (a
forbidden character in any string or key, an overlong string, deep nesting, a timestamp
out of bounds, an unknown field), and byte-level mutations of valid entries and bodies.

Event ids and times are placeholders the driver fills in when it sends: ``fuzz-@id``
becomes a fresh id, ``"@now"`` (optionally ``"@now+3600"``) the time of sending.
"""

from __future__ import annotations

import json
import re
from typing import Any

from hypothesis import strategies as st

from tests.support.contract_strategies import (
    SEEDS,
    ConflictCase,
    EntryCase,
    WebhookCase,
    channel_of,
    payloads,
    sitoo_events,
)

ID_MARK = "fuzz-@id"
NOW_MARK = "@now"
FORBIDDEN_SAMPLES = ["\x00", "\x01", "\x1b", "\r", "\x7f", "\x9b", "\u2028", "\u202e", "\u2067"]
FORBIDDEN_SAMPLES += ["\ud834", "\ufdd5", "\uffff", "\U0001fffe"]
REPLY_KINDS = [
    "fresh",
    "fresh",
    "fresh",
    "absent",
    "empty",
    "existing-list",
    "string",
    "hash",
    "inbound-stream",
    "results-stream",
    "own-prefix",
    "spaces",
    "not-ascii",
]
USABLE_REPLIES = {"fresh", "existing-list"}


def document(event_type: str, data: Any, **overrides: Any) -> dict[str, Any]:
    """An envelope with the placeholders for id and time."""
    return {
        "event_id": ID_MARK,
        "type": event_type,
        "schema_version": 1,
        "occurred_at": NOW_MARK,
        "source": "fuzz",
        "correlation_id": "fuzz",
        "data": data,
        **overrides,
    }


def _paths(value: Any, path: tuple[Any, ...] = ()) -> list[tuple[tuple[Any, ...], str]]:
    """(path, "value" or "key") of every string and every key below the envelope's data."""
    found: list[tuple[tuple[Any, ...], str]] = []
    if isinstance(value, str):
        found.append((path, "value"))
    elif isinstance(value, dict):
        for key, item in value.items():
            found.append(((*path, key), "key"))
            found.extend(_paths(item, (*path, key)))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            found.extend(_paths(item, (*path, index)))
    return found


def _set(doc: dict[str, Any], path: tuple[Any, ...], change: Any, *, key: bool) -> dict[str, Any]:
    copy = json.loads(json.dumps(doc))
    holder = copy
    for step in path[:-1]:
        holder = holder[step]
    last = path[-1]
    if key:
        holder[change(last)] = holder.pop(last)
    else:
        holder[last] = change(holder[last])
    return copy


@st.composite
def _structural(draw: st.DrawFn, doc: dict[str, Any]) -> tuple[dict[str, Any], str]:
    """The seed broken in one way the contract always refuses; (document, label)."""
    kind = draw(
        st.sampled_from(
            ["character", "character", "long", "deep", "future", "past", "extra", "type"]
        )
    )
    if kind == "type":
        made_up = draw(
            st.sampled_from(["zz.made-up", "a" + "b" * 99, "c" * 101, "order.placed.x", ""])
        )
        return {**doc, "type": made_up}, f"type {made_up[:20]!r}"
    targets = [(p, k) for p, k in _paths(doc) if p and p[0] not in {"event_id", "occurred_at"}]
    if kind in {"character", "long"}:
        path, where = draw(st.sampled_from(targets))
        if kind == "character":
            character = draw(st.sampled_from(FORBIDDEN_SAMPLES))
            at = draw(st.integers(0, 3))
            change = lambda text: text[:at] + character + text[at:]  # noqa: E731
        else:
            change = lambda text: text + "x" * 1001  # noqa: E731
        label = f"{kind} in {where} {'.'.join(map(str, path))}"
        return _set(doc, path, change, key=where == "key"), label
    if kind == "deep":
        nested: Any = "x"
        for _ in range(draw(st.integers(17, 40))):
            nested = [nested]
        return {**doc, "data": {**doc["data"], "notes": nested}}, "deep nesting"
    if kind == "future":
        ahead = draw(st.sampled_from(["@now+3600", "@now+400", "9999-12-31T23:59:59Z"]))
        return {**doc, "occurred_at": ahead}, f"occurred_at {ahead}"
    if kind == "past":
        past = draw(st.sampled_from(["1970-01-01T00:00:00Z", "1999-12-31T23:59:59+00:00"]))
        return {**doc, "occurred_at": past}, f"occurred_at {past}"
    return {**doc, "data": {**doc["data"], "is_admin": True}}, "unknown field"


# Lax spellings a lenient parser would accept, each as (what, old text, new text) applied to
# the seed's JSON; every one of them breaks the contract.
LENIENT = [
    ("a key named twice", '"schema_version": 1', '"schema_version": 1, "schema_version": 1'),
    ("a data key named twice (or unknown)", '"data": {', '"data": {"currency": "SEK", '),
    ("NaN", '"schema_version": 1', '"schema_version": NaN'),
    ("a boolean for an integer", '"schema_version": 1', '"schema_version": true'),
    ("a float for an integer", '"schema_version": 1', '"schema_version": 1.0'),
    ("a string for an integer", '"schema_version": 1', '"schema_version": "1"'),
    ("a Unix time", '"occurred_at": "@now"', '"occurred_at": 1780000000'),
    ("a time without offset", '"occurred_at": "@now"', '"occurred_at": "2026-03-01T12:00:00"'),
    ("a date alone", '"occurred_at": "@now"', '"occurred_at": "2026-03-01"'),
    ("a space for T", '"occurred_at": "@now"', '"occurred_at": "2026-03-01 12:00:00Z"'),
    ("money with spaces", '"amount": "', '"amount": " 1'),
    ("money with an exponent", '"amount": "50.00"', '"amount": "5e1"'),
    ("money with three decimals", '"amount": "0.01"', '"amount": 0.011'),
    ("money as Infinity", '"amount": "0.01"', '"amount": Infinity'),
    ("money with a plus", '"total": "100.00"', '"total": "+100.00"'),
    ("a quantity as a float", '"quantity": 1,', '"quantity": 1.0,'),
    ("a quantity as true", '"quantity": 1,', '"quantity": true,'),
    ("a warehouse id as a string", '"warehouse_id": 1', '"warehouse_id": "1"'),
]


@st.composite
def _lenient(draw: st.DrawFn, raw: bytes) -> tuple[bytes, str] | None:
    """The seed with one value spelled the lax way; None when the seed has no such value."""
    text = raw.decode()
    usable = [(what, old, new) for what, old, new in LENIENT if old in text]
    if not usable:
        return None
    what, old, new = draw(st.sampled_from(usable))
    return text.replace(old, new, 1).encode(), what


@st.composite
def _bytes_mutated(draw: st.DrawFn, raw: bytes) -> bytes:
    """``raw`` with a few bytes flipped, inserted, deleted or the end cut off."""
    data = bytearray(raw)
    for _ in range(draw(st.integers(1, 4))):
        action = draw(st.sampled_from(["flip", "insert", "delete", "cut"]))
        at = draw(st.integers(0, max(0, len(data) - 1)))
        if action == "flip" and data:
            data[at] = draw(st.integers(0, 255))
        elif action == "insert":
            data[at:at] = draw(st.binary(min_size=1, max_size=4))
        elif action == "delete" and data:
            del data[at : at + draw(st.integers(1, 3))]
        elif action == "cut":
            del data[at:]
    return bytes(data)


def _encode(doc: dict[str, Any]) -> bytes:
    return json.dumps(doc).encode()


@st.composite
def entry_cases(draw: st.DrawFn) -> EntryCase:
    """One entry from any of the three sources, on its event type's stream."""
    event_type = draw(st.sampled_from(sorted(SEEDS)))
    channel = channel_of(event_type)
    if event_type in {"giftcard.redeem", "giftcard.balance"} and draw(st.integers(0, 2)) > 0:
        channel = "giftcard_requests"
    reply_to = draw(st.sampled_from(REPLY_KINDS)) if channel == "giftcard_requests" else None
    source = draw(
        st.sampled_from(["schema", "seed", "structural", "structural", "lenient", "bytes"])
    )
    seed = document(event_type, SEEDS[event_type])
    if source == "lenient":
        spelled = draw(_lenient(_encode(seed)))
        if spelled is not None:
            raw, what = spelled
            return EntryCase(channel, raw, reply_to, f"{event_type} {what}", refused_because=what)
        source = "seed"
    if source == "schema":
        raw, label = _encode(document(event_type, draw(payloads(event_type)))), "from schema"
    elif source == "seed":
        raw, label = _encode(seed), "seed"
    elif source == "structural":
        broken, label = draw(_structural(seed))
        raw = _encode(broken)
    else:
        raw, label = draw(_bytes_mutated(_encode(seed))), "bytes mutated"
    return EntryCase(channel, raw, reply_to, f"{event_type} {label}")


@st.composite
def conflict_cases(draw: st.DrawFn) -> ConflictCase:
    """A seed event, then its id reused for a payload drawn from the schema or a changed seed."""
    event_type = draw(st.sampled_from(sorted(SEEDS)))
    channel = channel_of(event_type)
    first = document(event_type, SEEDS[event_type])
    if draw(st.integers(0, 2)) == 0:
        return ConflictCase(
            EntryCase(channel, _encode(first), None, f"{event_type} first"),
            EntryCase(channel, draw(_reserialised(first)), None, f"{event_type} re-serialised"),
            same_content=True,
        )
    if draw(st.booleans()):
        data = draw(payloads(event_type))
    else:
        data = {**SEEDS[event_type], **draw(_changed_field(event_type))}
    reused = document(event_type, data)
    return ConflictCase(
        EntryCase(channel, _encode(first), None, f"{event_type} first"),
        EntryCase(channel, _encode(reused), None, f"{event_type} reused id"),
    )


_NUMBER_MARK = "\u0001number\u0001"
_PLAIN_NUMBER = re.compile(r"-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?")
_NUMBER_FIELDS = {"amount", "unit_price", "total", "delta", "quantity", "vat_rate", "discount"}


@st.composite
def _reserialised(draw: st.DrawFn, doc: dict[str, Any]) -> bytes:
    """``doc`` as another JSON library might write it: same content, other bytes."""
    numbers: list[str] = []

    def walk(value: Any, key: str) -> Any:
        if isinstance(value, dict):
            items = draw(st.permutations(list(value.items())))
            return {k: walk(v, k) for k, v in items}
        if isinstance(value, list):
            return [walk(v, key) for v in value]
        if key in _NUMBER_FIELDS and isinstance(value, str) and _PLAIN_NUMBER.fullmatch(value):
            numbers.append(value)
            return _NUMBER_MARK
        return value

    text = json.dumps(walk(doc, ""), indent=draw(st.sampled_from([None, 1, 4])), ensure_ascii=True)
    for number in numbers:
        text = text.replace(json.dumps(_NUMBER_MARK), number, 1)
    return text.encode()


# A change of one field per type, for the reused-event-id conflicts: every type has one.
CHANGED_FIELDS: dict[str, dict[str, Any]] = {
    "order.placed": {"order_id": "fuzz-other-order"},
    "order.cancelled": {"reason": "another reason"},
    "order.refunded": {"note": "another note"},
    "giftcard.issued": {"amount": "60.00"},
    "giftcard.redeem": {"amount": "0.02"},
    "giftcard.refund": {"amount": "0.02"},
    "giftcard.balance": {"currency": "EUR"},
    "stock.adjusted": {"items": [{"sku": "SKU-0001", "delta": "2"}]},
    "stock.set": {"items": [{"sku": "SKU-0002", "quantity": "8"}]},
}


def _changed_field(event_type: str) -> st.SearchStrategy[dict[str, Any]]:
    return st.just(CHANGED_FIELDS[event_type])


@st.composite
def webhook_cases(draw: st.DrawFn) -> WebhookCase:
    """A batch drawn from the SitooEvent model, broken or not, with or without credentials."""
    batch = draw(st.lists(sitoo_events(), min_size=1, max_size=3))
    body = json.dumps(batch).encode()
    shape = draw(
        st.sampled_from(["as drawn", "bytes", "bytes", "deep", "large", "binary", "key twice"])
    )
    if shape == "key twice":
        twice = b'{"event_id": "first", "event_id": "second", "event_type": "order"}'
        body = b"[" + twice + b", " + body[1:]
    elif shape == "bytes":
        body = draw(_bytes_mutated(body))
    elif shape == "deep":
        depth = draw(st.integers(17, 200_000))
        body = b"[" * depth + b"]" * draw(st.sampled_from([depth, 0, depth // 2]))
    elif shape == "large":
        body = b'[{"event_id":"x","event_type":"order","data":{"pad":"' + b"x" * 300_000 + b'"}}]'
    elif shape == "binary":
        body = draw(st.binary(max_size=64))
    authorised = draw(st.integers(0, 9)) != 5  # not 0: hypothesis favours the smallest
    return WebhookCase(body, authorised, shape)


def cases() -> st.SearchStrategy[EntryCase | ConflictCase | WebhookCase]:
    """Everything a run draws from, entries weighted highest."""
    return st.one_of(entry_cases(), entry_cases(), conflict_cases(), webhook_cases())
