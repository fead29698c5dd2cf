"""What must be refused, judged independently of the service's own validation code.

The service implements its input rule in :mod:`service.contracts.sanity` with a regular
expression over the raw document; this oracle states the same rule from Unicode
categories, so a gap in one is not hidden by the same gap in the other.
"""

from __future__ import annotations

import json
import unicodedata
from datetime import UTC, datetime, timedelta
from typing import Any

MAX_DEPTH = 16
MAX_STRING = 1000
MAX_KEY = 100
EARLIEST = datetime(2000, 1, 1, tzinfo=UTC)
SKEW = timedelta(seconds=300)
_SEPARATORS = {"\u2028", "\u2029"}


def _forbidden(character: str) -> bool:
    code = ord(character)
    return (
        unicodedata.category(character) in {"Cc", "Cs"}
        or character in _SEPARATORS
        or 0x202A <= code <= 0x202E
        or 0x2066 <= code <= 0x2069
        or 0xFDD0 <= code <= 0xFDEF
        or (code & 0xFFFE) == 0xFFFE
    )


def _text_problem(text: str, limit: int) -> str | None:
    if len(text) > limit:
        return "too long"
    bad = next((c for c in text if _forbidden(c)), None)
    return None if bad is None else f"U+{ord(bad):04X}"


def _depth(value: Any) -> int:
    if isinstance(value, dict):
        return 1 + max((_depth(v) for v in value.values()), default=0)
    if isinstance(value, list):
        return 1 + max((_depth(v) for v in value), default=0)
    return 0


def _walk(value: Any) -> str | None:
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            problem = _text_problem(item, MAX_STRING)
            if problem:
                return f"string {problem}"
        elif isinstance(item, dict):
            for key, child in item.items():
                problem = _text_problem(key, MAX_KEY)
                if problem:
                    return f"key {problem}"
                stack.append(child)
        elif isinstance(item, list):
            stack.extend(item)
    return None


def _time_problem(document: dict[str, Any], now: datetime) -> str | None:
    raw = document.get("occurred_at")
    if not isinstance(raw, str):
        return None  # the envelope model refuses it anyway
    try:
        at = datetime.fromisoformat(raw)
    except ValueError:
        return None
    if at.tzinfo is None:
        return None
    if at < EARLIEST:
        return "before 2000"
    if at > now + SKEW + timedelta(seconds=5):  # a little slack for the test's own clock
        return "in the future"
    return None


def must_refuse(event: bytes, *, now: datetime) -> str | None:  # noqa: PLR0911 - one per rule
    """Why the input rule refuses this `event` field, or None when it does not."""
    try:
        text = event.decode("utf-8")
    except UnicodeDecodeError:
        return "not UTF-8"
    repeated: list[str] = []
    constants: list[str] = []

    def pairs(items: list[tuple[str, Any]]) -> dict[str, Any]:
        keys = [key for key, _ in items]
        repeated.extend(key for key in set(keys) if keys.count(key) > 1)
        return dict(items)

    try:
        document = json.loads(text, object_pairs_hook=pairs, parse_constant=constants.append)
    except RecursionError:
        return "nested too deeply"
    except ValueError:
        return "not JSON"
    if _depth(document) > MAX_DEPTH:
        return "nested too deeply"
    if repeated:
        return "a key named twice"
    if constants:
        return "NaN or Infinity"
    problem = _walk(document)
    if problem:
        return problem
    if isinstance(document, dict):
        return _time_problem(document, now)
    return "not an object"
