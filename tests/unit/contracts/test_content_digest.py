"""A reused event id is judged on content: a re-serialisation is the same event, a change is not.

Each event type's documented example is sent again re-serialised every way a producer's
JSON library might (key order, whitespace, escapes, numbers respelled) and must keep its
digest; each of its values changed on its own must change the digest.
"""

from __future__ import annotations

import json
import random
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest

from service.contracts.envelope import InvalidEntry, decode_envelope
from service.contracts.registry import EVENT_KINDS, InboundEvent, validate_payload
from service.contracts.sanity import TimeBounds

LIMIT = 256 * 1024
NOW = datetime(2026, 12, 6, 12, 0, tzinfo=UTC)
BOUNDS = TimeBounds.at(NOW, max_future_skew_s=300)
TYPES = sorted(EVENT_KINDS)


def _document(event_type: str) -> dict[str, Any]:
    return {
        "event_id": f"e-{event_type}",
        "type": event_type,
        "schema_version": 1,
        "occurred_at": (NOW - timedelta(minutes=1)).isoformat(),
        "source": "webshop",
        "data": EVENT_KINDS[event_type].payload.model_json_schema()["examples"][0],
    }


def _read(raw: str) -> InboundEvent:
    document = json.loads(raw)
    channel = min(EVENT_KINDS[document["type"]].channels, key=lambda c: c.value)
    envelope = decode_envelope({b"event": raw.encode()}, max_bytes=LIMIT, bounds=BOUNDS)
    return validate_payload(envelope, channel, bounds=BOUNDS)


def _numeric(value: object) -> bool:
    if not isinstance(value, str) or value.strip() != value:
        return False
    try:
        return Decimal(value).is_finite() and "e" not in value.lower()
    except ArithmeticError:
        return False


def _shuffled(value: Any, rng: random.Random) -> Any:
    if isinstance(value, dict):
        items = list(value.items())
        rng.shuffle(items)
        return {k: _shuffled(v, rng) for k, v in items}
    if isinstance(value, list):
        return [_shuffled(v, rng) for v in value]
    return value


_NUMBER = "\u0001n\u0001"


def _respelled(document: dict[str, Any], *, numeric: set[str]) -> str:
    """Numbers written as JSON numbers with trailing zeros, strings with \\u escapes."""
    marks: list[str] = []

    def walk(value: Any, key: str) -> Any:
        if isinstance(value, dict):
            return {k: walk(v, k) for k, v in value.items()}
        if isinstance(value, list):
            return [walk(v, key) for v in value]
        if key in numeric and _numeric(value):
            text = value if "." in value else value + ".0"
            marks.append(text.rstrip("0").rstrip(".") if "." in value else text)
            return _NUMBER
        return value

    data = walk(document["data"], "")
    text = json.dumps({**document, "data": data}, ensure_ascii=True, indent=1)
    for mark in marks:
        text = text.replace(json.dumps(_NUMBER), mark, 1)
    return text


# Fields that hold numbers written as strings in the examples (money, rates, stock levels).
NUMERIC = {"amount", "unit_price", "discount", "vat_rate", "order_discount", "total", "delta"}
NUMERIC |= {"quantity", "price"}


@pytest.mark.parametrize("event_type", TYPES)
@pytest.mark.parametrize("seed", range(5))
def test_the_same_event_reserialised_keeps_its_digest(event_type: str, seed: int) -> None:
    """Key order, indentation, \\u escapes, 7 against "7.000": one digest."""
    document = _document(event_type)
    first = _read(json.dumps(document))
    rng = random.Random(seed)
    shuffled = _shuffled(document, rng)
    respelled = _respelled(shuffled, numeric=NUMERIC)
    assert respelled != json.dumps(document)
    assert _read(respelled).digest == first.digest
    assert _read(json.dumps(shuffled, separators=(",", ":"))).digest == first.digest


def _changes(value: Any, path: tuple[Any, ...] = ()) -> Iterator[tuple[tuple[Any, ...], Any]]:
    if isinstance(value, dict):
        for key, item in value.items():
            yield from _changes(item, (*path, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _changes(item, (*path, index))
    elif isinstance(value, bool):
        yield path, not value
    elif isinstance(value, int):
        yield path, value + 1
    elif _numeric(value):
        yield path, str(Decimal(value) + 1)
    elif isinstance(value, str):
        yield path, value[:-1] + ("1" if value[-1:] != "1" else "2")


def _changed_cases() -> Iterator[Any]:
    for event_type in TYPES:
        document = _document(event_type)
        for path, value in _changes(document["data"], ("data",)):
            yield pytest.param(
                event_type, path, value, id=f"{event_type}:{'.'.join(map(str, path))}"
            )


@pytest.mark.parametrize(("event_type", "path", "value"), list(_changed_cases()))
def test_any_changed_value_changes_the_digest(
    event_type: str, path: tuple[Any, ...], value: Any
) -> None:
    """One field changed (and still valid) is other content: a reused id would conflict."""
    document = _document(event_type)
    first = _read(json.dumps(document))
    changed = json.loads(json.dumps(document))
    holder = changed
    for step in path[:-1]:
        holder = holder[step]
    holder[path[-1]] = value
    try:
        other = _read(json.dumps(changed))
    except InvalidEntry:
        pytest.skip("the changed value is not valid, so it never reaches the digest")
    assert other.digest != first.digest
