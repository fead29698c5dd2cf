"""One input rule for every inbound string, key, nesting level and timestamp, and content digests.

The rule is checked the way a hostile producer would probe it: every string of every
event type's documented example, one at a time, and generated documents of any shape.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from service.contracts.envelope import Envelope, InvalidEntry, decode_envelope
from service.contracts.registry import EVENT_KINDS, Channel, validate_payload
from service.contracts.results import ResultData, result_envelope, result_event_id
from service.contracts.sanity import (
    MAX_DEPTH,
    MAX_KEY_CHARS,
    MAX_STRING_CHARS,
    InsaneInput,
    TimeBounds,
    check_depth,
    check_document,
)

LIMIT = 256 * 1024
NOW = datetime(2026, 12, 6, 12, 0, tzinfo=UTC)
BOUNDS = TimeBounds.at(NOW, max_future_skew_s=300)
# One representative of each class of forbidden character.
FORBIDDEN = ["\x00", "\x07", "\x1b", "\n", "\x7f", "\x85", "\u2028", "\u202e", "\u2066", "\ud800"]
FORBIDDEN += ["\ufdd0", "\ufffe", "\U0010ffff"]


def _channel(event_type: str) -> Channel:
    return min(EVENT_KINDS[event_type].channels, key=lambda c: c.value)


def _document(event_type: str, **overrides: Any) -> dict[str, Any]:
    document: dict[str, Any] = {
        "event_id": f"e-{event_type}",
        "type": event_type,
        "schema_version": 1,
        "occurred_at": (NOW - timedelta(minutes=1)).isoformat(),
        "source": "webshop",
        "correlation_id": "checkout-1",
        "data": EVENT_KINDS[event_type].payload.model_json_schema()["examples"][0],
    }
    document.update(overrides)
    return document


def _read(document: Any, event_type: str, bounds: TimeBounds | None = BOUNDS) -> Any:
    fields = {b"event": json.dumps(document).encode()}
    envelope = decode_envelope(fields, max_bytes=LIMIT, bounds=bounds)
    return validate_payload(envelope, _channel(event_type), bounds=bounds)


def _string_paths(value: Any, path: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    """The path of every string value in a JSON document."""
    if isinstance(value, str):
        yield path
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from _string_paths(item, (*path, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _string_paths(item, (*path, index))


def _replaced(document: Any, path: tuple[Any, ...], make: Any) -> Any:
    copy = json.loads(json.dumps(document))
    holder = copy
    for step in path[:-1]:
        holder = holder[step]
    holder[path[-1]] = make(holder[path[-1]])
    return copy


_EVERY_STRING = [
    (event_type, path)
    for event_type in EVENT_KINDS
    for path in _string_paths(_document(event_type))
    if path != ("data", "kind")  # a literal: any change is refused anyway
]


@pytest.mark.parametrize(
    ("event_type", "path"),
    _EVERY_STRING,
    ids=[f"{t}:{'.'.join(map(str, p))}" for t, p in _EVERY_STRING],
)
def test_no_string_of_any_event_may_hold_a_forbidden_character(
    event_type: str, path: tuple[Any, ...]
) -> None:
    """NUL in customer.email, a bidi override in a line name, ...: refused, field by field."""
    assert _read(_document(event_type), event_type) is not None  # the example itself passes
    for character in FORBIDDEN:
        hostile = _replaced(
            _document(event_type), path, lambda text, c=character: text[:1] + c + text[1:]
        )
        with pytest.raises(InvalidEntry, match=f"U\\+{ord(character):04X}"):
            _read(hostile, event_type)


def test_a_nul_in_the_customer_email_never_reaches_a_model() -> None:
    """The finding itself: `customer.email` matched its pattern with a NUL inside."""
    document = _document("order.placed")
    document["data"]["customer"]["email"] = "anna\x00@example.com"
    with pytest.raises(InvalidEntry, match=r"data\.customer\.email: contains .* U\+0000"):
        _read(document, "order.placed")


@pytest.mark.parametrize("event_type", sorted(EVENT_KINDS))
def test_keys_and_lengths_are_bounded_everywhere(event_type: str) -> None:
    """An object key with a control character or too long, or an overlong string: refused."""
    bad_key = _document(event_type)
    bad_key["data"]["x\x00"] = 1
    long_key = _document(event_type)
    long_key["data"]["k" * (MAX_KEY_CHARS + 1)] = 1
    long_text = _document(event_type, correlation_id="c" * (MAX_STRING_CHARS + 1))
    for document, expected in (
        (bad_key, "key: contains"),
        (long_key, "key: longer than"),
        (long_text, "correlation_id: longer than"),
    ):
        with pytest.raises(InvalidEntry, match=expected):
            _read(document, event_type)


def _json_values() -> st.SearchStrategy[Any]:
    text = st.text(st.characters(codec="utf-8", exclude_categories=["Cc", "Cs", "Zl", "Zp"]))
    clean = text.filter(_clean_key)
    leaves = st.none() | st.booleans() | st.integers() | clean
    return st.recursive(
        leaves,
        lambda inner: st.lists(inner, max_size=4) | st.dictionaries(clean, inner, max_size=4),
        max_leaves=20,
    )


def _clean_key(text: str) -> bool:
    try:
        check_document(text)
    except InsaneInput:
        return False
    return len(text) <= MAX_KEY_CHARS


def _depth(value: Any) -> int:
    if isinstance(value, dict):
        return 1 + max((_depth(v) for v in value.values()), default=0)
    if isinstance(value, list):
        return 1 + max((_depth(v) for v in value), default=0)
    return 0


@settings(max_examples=200)
@given(_json_values(), st.data())
def test_a_forbidden_character_anywhere_is_found(document: Any, data: st.DataObject) -> None:
    """Clean documents pass; the same document with one character planted anywhere fails."""
    check_document(document)
    paths = list(_string_paths(document))
    if not paths:
        return
    path = data.draw(st.sampled_from(paths))
    character = data.draw(st.sampled_from(FORBIDDEN))
    if path:
        hostile = _replaced(document, path, lambda text: text + character)
    else:  # the document is one string
        hostile = document + character
    with pytest.raises(InsaneInput):
        check_document(hostile)


@settings(max_examples=200)
@given(_json_values(), st.integers(min_value=0, max_value=2 * MAX_DEPTH), st.booleans())
def test_depth_is_bounded_before_parsing(document: Any, wrap: int, as_object: bool) -> None:
    """Refused exactly when deeper than the limit, brackets inside strings not counted."""
    for _ in range(wrap):
        document = {"[{": document} if as_object else [document, "]]}}"]
    raw = json.dumps(document).encode()
    if _depth(document) > MAX_DEPTH:
        with pytest.raises(InsaneInput, match="nested too deeply"):
            check_depth(raw)
    else:
        check_depth(raw)


@pytest.mark.parametrize(
    "raw",
    [b"[" * 100_000, b"[" * 100_000 + b"}" * 100_000, b'{"a":' * 50_000 + b"1" + b"}" * 50_000],
)
def test_hostile_nesting_never_reaches_the_parser(raw: bytes) -> None:
    """Unbalanced or very deep text is refused by the scan, never by a RecursionError."""
    with pytest.raises(InvalidEntry, match=r"nested too deeply|not JSON"):
        decode_envelope({b"event": raw}, max_bytes=1 << 20)


@pytest.mark.parametrize(
    ("occurred_at", "expected"),
    [
        ("9999-12-31T23:59:59Z", "in the future"),
        ((NOW + timedelta(seconds=301)).isoformat(), "in the future"),
        ("1970-01-01T00:00:00Z", "before 2000-01-01"),
        ("0001-01-01T00:00:00+00:00", "before 2000-01-01"),
    ],
)
def test_timestamps_beyond_the_bounds_are_refused(occurred_at: str, expected: str) -> None:
    """A stock.set dated in year 9999 (or any time past the skew) never reaches newest-wins."""
    with pytest.raises(InvalidEntry, match=expected):
        _read(_document("stock.set", occurred_at=occurred_at), "stock.set")


def test_timestamps_within_the_bounds_pass() -> None:
    """Within the skew ahead, and any time since 2000 behind, is accepted."""
    for at in (NOW + timedelta(seconds=299), datetime(2000, 1, 1, tzinfo=UTC), NOW):
        event = _read(_document("stock.set", occurred_at=at.isoformat()), "stock.set")
        assert event.envelope.occurred_at == at


def test_the_bounds_apply_to_inbound_validation_only() -> None:
    """Timestamps the service writes itself (from Sitoo's clock too) are never refused."""
    far = datetime(9999, 1, 1, tzinfo=UTC)
    assert Envelope.model_validate(_document("stock.set", occurred_at=far.isoformat()))
    epoch = datetime(1970, 1, 1, tzinfo=UTC)
    written = Envelope(
        event_id="x", type="t", schema_version=1, occurred_at=epoch, source="s", data={}
    )
    assert written.occurred_at == epoch


def test_digest_ignores_form_and_sees_content() -> None:
    """Key order, whitespace, 249 against "249.00" and omitted defaults are the same content."""
    data = {"card_number": "95000000000000000001", "amount": "249.00", "currency": "SEK"}
    first = _read(_document("giftcard.redeem", data=data), "giftcard.redeem")
    reordered_data = {"currency": "SEK", "amount": 249, "card_number": data["card_number"]}
    reordered = json.dumps(_document("giftcard.redeem", data=reordered_data), indent=3)
    same = validate_payload(
        decode_envelope({b"event": reordered.encode()}, max_bytes=LIMIT, bounds=BOUNDS),
        Channel.GIFTCARDS,
    )
    explicit = _read(
        _document("giftcard.redeem", data={**data, "pin": None, "order_id": None}),
        "giftcard.redeem",
    )
    other = _read(
        _document("giftcard.redeem", data={**data, "amount": "249.01"}), "giftcard.redeem"
    )
    retimed = _read(
        _document("giftcard.redeem", data=data, occurred_at=NOW.isoformat(), source="pos"),
        "giftcard.redeem",
    )
    assert first.digest.startswith("sha256:")
    assert first.digest == same.digest == explicit.digest == retimed.digest
    assert other.digest != first.digest


def test_entry_bound_results_never_share_the_events_result_id() -> None:
    """A conflict's result carries the event id but gets an id of its own (from the entry)."""
    data = ResultData(
        inbound_event_id="e-1",
        inbound_type="giftcard.redeem",
        stream="s",
        entry_id="2-0",
        status="failed",
        reason_code="conflict",
        dead_lettered=True,
    )
    own = result_envelope(data, occurred_at=NOW, correlation_id=None, entry_bound=True)
    assert own.event_id != result_event_id("e-1", "s", "1-0", "failed")
    assert own.event_id == result_event_id("e-1", "s", "2-0", "failed", entry_bound=True)
    assert own.data["inbound_event_id"] == "e-1"
