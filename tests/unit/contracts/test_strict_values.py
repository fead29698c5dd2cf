"""The contract is strict everywhere: no lenient spelling of any value of any event is accepted.

Every value of every event type's documented example is respelled the ways lax parsers
accept (a number as a float with more decimals, money with spaces or an exponent, a
boolean or a string for an integer, a timestamp without its offset or as a Unix number)
and every object of it is sent with a key named twice: each must be refused, with a reason.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest

from service.contracts.envelope import InvalidEntry, decode_envelope
from service.contracts.registry import EVENT_KINDS, Channel, validate_payload
from service.contracts.sanity import InsaneInput, TimeBounds, load_json

LIMIT = 256 * 1024
NOW = datetime(2026, 12, 6, 12, 0, tzinfo=UTC)
BOUNDS = TimeBounds.at(NOW, max_future_skew_s=300)
STAMP = (NOW - timedelta(minutes=1)).isoformat().replace("+00:00", "Z")


def _document(event_type: str) -> dict[str, Any]:
    return {
        "event_id": f"e-{event_type}",
        "type": event_type,
        "schema_version": 1,
        "occurred_at": STAMP,
        "source": "webshop",
        "data": EVENT_KINDS[event_type].payload.model_json_schema()["examples"][0],
    }


def _channel(event_type: str) -> Channel:
    return min(EVENT_KINDS[event_type].channels, key=lambda c: c.value)


def _read(raw: bytes, event_type: str) -> object:
    envelope = decode_envelope({b"event": raw}, max_bytes=LIMIT, bounds=BOUNDS)
    return validate_payload(envelope, _channel(event_type), bounds=BOUNDS)


def _is_decimal_text(value: object) -> bool:
    try:
        return isinstance(value, str) and Decimal(value).is_finite() and value.strip() == value
    except ArithmeticError:
        return False


def _numeric_paths(event_type: str) -> set[tuple[Any, ...]]:
    """Where the example holds a number written as a string: amounts, rates, quantities.

    Found by asking the contract: a path is numeric when a word there is refused as not a
    number (not as a bad identifier).
    """
    document = _document(event_type)
    found: set[tuple[Any, ...]] = set()
    for path, value in _leaves(document):
        if not _is_decimal_text(value):
            continue
        try:
            _read(_with(document, path, '"x"'), event_type)
        except InvalidEntry as refused:
            if "written like 249" in refused.reason:
                found.add(path)
    return found


def _respellings(value: object, *, numeric: bool) -> list[tuple[str, str]]:
    """(raw JSON replacing the value, what it is) for the lenient spellings of ``value``."""
    if isinstance(value, bool):
        return [('"true"', "a string for a boolean"), ("1", "a number for a boolean")]
    if isinstance(value, int):
        return [
            ("true", "a boolean for an integer"),
            (json.dumps(str(value)), "a numeric string for an integer"),
            (f"{value}.0", "a float for an integer"),
        ]
    if numeric and isinstance(value, str):
        longer = value + ("0001" if "." in value else ".0001")
        return [
            (json.dumps(f" {value} "), "spaces around a number"),
            (json.dumps(f"{Decimal(value):E}"), "an exponent in a numeric string"),
            (json.dumps(f"+{value}"), "a plus sign"),
            (longer, "more decimals than allowed (as a JSON number)"),
            (json.dumps(longer), "more decimals than allowed (as a string)"),
            ("NaN", "NaN"),
            ("Infinity", "Infinity"),
            ("true", "a boolean for a number"),
        ]
    if value == STAMP:
        return [
            (json.dumps(STAMP.removesuffix("Z")), "a timestamp without an offset"),
            (json.dumps(STAMP.replace("T", " ")), "a space for T"),
            (json.dumps(STAMP[:16] + "Z"), "a timestamp without seconds"),
            (json.dumps(STAMP[:10]), "a date alone"),
            (str(int((NOW - timedelta(minutes=1)).timestamp())), "a Unix number"),
        ]
    return []


def _leaves(value: Any, path: tuple[Any, ...] = ()) -> Iterator[tuple[tuple[Any, ...], Any]]:
    if isinstance(value, dict):
        for key, item in value.items():
            yield from _leaves(item, (*path, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _leaves(item, (*path, index))
    else:
        yield path, value


def _objects(value: Any, path: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    if isinstance(value, dict):
        yield path
        for key, item in value.items():
            yield from _objects(item, (*path, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _objects(item, (*path, index))


_MARK = "\u0001respelled\u0001"


def _with(document: dict[str, Any], path: tuple[Any, ...], raw_value: str) -> bytes:
    copy = json.loads(json.dumps(document))
    holder = copy
    for step in path[:-1]:
        holder = holder[step]
    holder[path[-1]] = _MARK
    return json.dumps(copy).replace(json.dumps(_MARK), raw_value).encode()


def _with_duplicate(document: dict[str, Any], path: tuple[Any, ...]) -> bytes:
    """The document with the object at ``path`` naming its first key twice (last one wins)."""
    copy = json.loads(json.dumps(document))
    holder = copy
    for step in path:
        holder = holder[step]
    key, value = next(iter(holder.items()))
    marked = {_MARK: None, **holder}
    holder.clear()
    holder.update(marked)
    pair = f"{json.dumps(key)}: {json.dumps(value)}"
    return json.dumps(copy).replace(f"{json.dumps(_MARK)}: null", pair).encode()


def _lenient_cases() -> Iterator[Any]:
    for event_type in sorted(EVENT_KINDS):
        document = _document(event_type)
        numeric = _numeric_paths(event_type)
        for path, value in _leaves(document):
            for raw_value, what in _respellings(value, numeric=path in numeric):
                where = ".".join(map(str, path))
                yield pytest.param(
                    event_type, _with(document, path, raw_value), id=f"{event_type}:{where}:{what}"
                )
        for path in _objects(document):
            where = ".".join(map(str, path)) or "envelope"
            yield pytest.param(
                event_type, _with_duplicate(document, path), id=f"{event_type}:{where}:dup-key"
            )


@pytest.mark.parametrize("event_type", sorted(EVENT_KINDS))
def test_every_example_is_accepted_as_documented(event_type: str) -> None:
    """The baseline: the documented spelling of each example passes."""
    assert _read(json.dumps(_document(event_type)).encode(), event_type) is not None


@pytest.mark.parametrize(("event_type", "raw"), list(_lenient_cases()))
def test_no_lenient_spelling_is_accepted(event_type: str, raw: bytes) -> None:
    """Each respelled value and each key named twice is refused with a reason."""
    with pytest.raises(InvalidEntry) as refused:
        _read(raw, event_type)
    assert refused.value.reason


def test_a_key_named_twice_is_refused_whichever_copy_is_valid() -> None:
    """Last-wins would read the second ``type``; the entry is refused instead."""
    raw = b'{"type": "order.placed", "type": "giftcard.balance", "data": {}}'
    with pytest.raises(InsaneInput, match="key 'type' more than once"):
        load_json(raw)


def test_json_numbers_are_read_exactly() -> None:
    """A fraction is a Decimal as written, never a binary float that rounds it."""
    assert load_json(b"[199.0000000000000001, 1e2]") == [
        Decimal("199.0000000000000001"),
        Decimal("1e2"),
    ]


def test_web_hook_numbers_stay_floats_and_must_be_finite() -> None:
    """Documents passed on as they came keep floats; 1e999 (infinite as a float) is refused."""
    assert load_json(b"[1.5]", exact_numbers=False) == [1.5]
    with pytest.raises(InsaneInput, match="finite"):
        load_json(b"[1e999]", exact_numbers=False)
