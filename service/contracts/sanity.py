"""One sanity rule for all inbound JSON: nesting, every string and key, every timestamp.

The models say what each field means; this module says what no inbound value may ever be,
whatever field it sits in. It runs on the raw document before any model sees it, so a
field added to the contract later is covered without anyone remembering to cover it:

* nesting deeper than :data:`MAX_DEPTH` is refused before the JSON is parsed;
* the JSON itself is strict (:func:`load_json`): an object naming a key twice (which
  producers' parsers would resolve differently), ``NaN`` and ``Infinity`` are refused, and
  numbers with a fraction are read as exact decimals, never as binary floats;
* every string and every object key, at any depth, must be free of
  :data:`FORBIDDEN_CHARACTERS` and at most :data:`MAX_STRING_CHARS` (keys
  :data:`MAX_KEY_CHARS`) characters long;
* every timestamp is checked against :class:`TimeBounds` (see ``UtcTimestamp``).

Nothing here echoes the offending input: reasons name the place and the code point only.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

MAX_DEPTH = 16  # the deepest inbound event (an order's line) is 5 levels down
MAX_STRING_CHARS = 1000  # every field has its own, lower bound; this one catches the rest
MAX_KEY_CHARS = 100
_SHOWN_KEY_CHARS = 40  # a repeated key is named in the reason only when short and clean
EARLIEST = datetime(2000, 1, 1, tzinfo=UTC)

_NONCHARACTERS = "".join(
    f"{chr(plane * 0x10000 + 0xFFFE)}{chr(plane * 0x10000 + 0xFFFF)}" for plane in range(17)
)
FORBIDDEN_CHARACTERS = re.compile(
    "["
    "\x00-\x1f\x7f-\x9f"  # C0 and C1 controls, DEL: NUL, CR/LF, ESC sequences, ...
    "\ud800-\udfff"  # lone surrogates (JSON \\ud800 escapes): not encodable as UTF-8
    "\u2028\u2029"  # line and paragraph separators
    "\u202a-\u202e\u2066-\u2069"  # bidirectional overrides and isolates (reordered text)
    "\ufdd0-\ufdef" + _NONCHARACTERS + "]"
)
"""Characters no inbound string may hold: controls, surrogates, separators, bidi, nonchars."""

_STRINGS = re.compile(rb'"(?:[^"\\]|\\.)*"', re.DOTALL)
_NOT_BRACKETS = bytes(sorted(set(range(256)) - set(b"[]{}")))
_INNERMOST = re.compile(rb"\[\]|\{\}")


class InsaneInput(ValueError):
    """The document breaks the sanity rule; the message names where and why."""


@dataclass(frozen=True, slots=True)
class TimeBounds:
    """What an inbound timestamp may be: not before 2000, not further ahead than the skew."""

    now: datetime
    max_future: timedelta

    @classmethod
    def at(cls, now: datetime, *, max_future_skew_s: float) -> TimeBounds:
        """Bounds as seen at ``now``."""
        return cls(now=now, max_future=timedelta(seconds=max_future_skew_s))

    def check(self, value: datetime) -> datetime:
        """``value`` if it is within the bounds; raises ValueError saying which bound it broke."""
        if value < EARLIEST:
            raise ValueError("must not be before 2000-01-01T00:00:00Z")
        ahead = (value - self.now).total_seconds()
        if ahead > self.max_future.total_seconds():
            raise ValueError(
                f"is {_duration(ahead)} in the future; at most "
                f"{_duration(self.max_future.total_seconds())} of clock skew is accepted"
            )
        return value


TIME_BOUNDS = "time_bounds"
"""Key of the :class:`TimeBounds` in a pydantic validation context."""


def _duration(seconds: float) -> str:
    if seconds >= 2 * 86_400:
        return f"{seconds / 86_400:.0f} days"
    return f"{seconds:.0f} s"


def check_depth(raw: bytes, *, limit: int = MAX_DEPTH) -> None:
    """Refuse JSON text nested deeper than ``limit`` without parsing it."""
    if raw.count(b"[") + raw.count(b"{") <= limit:
        return  # cannot be deeper than its number of openings
    # Only the brackets outside strings remain; each pass removes the innermost level.
    skeleton = _STRINGS.sub(b"", raw).translate(None, _NOT_BRACKETS)
    for _ in range(limit):
        reduced = _INNERMOST.sub(b"", skeleton)
        if not reduced:
            return
        if reduced == skeleton:
            # Valid JSON always balances; unbalanced text would only make the parser recurse.
            raise InsaneInput("brackets do not balance: not JSON")
        skeleton = reduced
    raise InsaneInput(f"nested too deeply (more than {limit} levels)")


def _refuse_duplicate_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    document = dict(pairs)
    if len(document) == len(pairs):
        return document
    seen: set[str] = set()
    for key, _ in pairs:
        if key in seen:
            clean = len(key) <= _SHOWN_KEY_CHARS and not FORBIDDEN_CHARACTERS.search(key)
            shown = key if clean else "…"
            raise InsaneInput(f"an object names the key {shown!r} more than once")
        seen.add(key)
    raise AssertionError("unreachable: fewer keys than pairs means one repeats")


def _refuse_constant(name: str) -> Any:  # noqa: ANN401 - json's hook signature
    raise InsaneInput(f"{name} is not a JSON number")


def _finite_float(text: str) -> float:
    number = float(text)
    if number in (float("inf"), float("-inf")):
        raise InsaneInput("a number is too large to be finite")
    return number


def load_json(raw: bytes, *, exact_numbers: bool = True) -> Any:  # noqa: ANN401 - any JSON
    """Parse inbound JSON text under the sanity rule; raises InsaneInput saying why not.

    Refuses text that is not UTF-8, nesting deeper than :data:`MAX_DEPTH`, a key named
    twice in one object, ``NaN``/``Infinity``, and any string or key breaking
    :func:`check_document`. ``exact_numbers`` reads ``249.99`` as ``Decimal('249.99')``
    (the contract's amounts); without it fractions are floats (documents passed on as
    they came, such as Sitoo's web-hook events).
    """
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise InsaneInput("not UTF-8") from None
    check_depth(raw)
    try:
        document = json.loads(
            text,
            object_pairs_hook=_refuse_duplicate_keys,
            parse_constant=_refuse_constant,
            parse_float=Decimal if exact_numbers else _finite_float,
        )
    except InsaneInput:
        raise
    except RecursionError:  # cannot pass check_depth; kept so no input can raise it out
        raise InsaneInput(f"nested more than {MAX_DEPTH} levels") from None
    except ValueError as exc:
        raise InsaneInput(f"not JSON: {str(exc)[:120]}") from None
    check_document(document)
    return document


def check_document(document: object, *, where: str = "") -> None:
    """Refuse a parsed document holding a string or key that breaks the rule."""
    strings: list[str] = []
    keys: list[str] = []
    stack: list[Any] = [document]
    while stack:  # an explicit stack: no recursion, whatever the depth
        value = stack.pop()
        if isinstance(value, str):
            strings.append(value)
        elif isinstance(value, dict):
            keys.extend(value)
            stack.extend(value.values())
        elif isinstance(value, list):
            stack.extend(value)
    # One search over everything is far cheaper than one per string; the walk that names
    # the place only runs when something is wrong.
    if (
        FORBIDDEN_CHARACTERS.search("".join(strings)) is None
        and FORBIDDEN_CHARACTERS.search("".join(keys)) is None
        and max(map(len, strings), default=0) <= MAX_STRING_CHARS
        and max(map(len, keys), default=0) <= MAX_KEY_CHARS
    ):
        return
    _locate(document, where)


def _locate(document: object, where: str) -> None:
    """Raise naming the first place that breaks the rule."""
    stack: list[tuple[str, Any]] = [(where, document)]
    while stack:
        path, value = stack.pop()
        if isinstance(value, str):
            _check_text(value, path or "value", limit=MAX_STRING_CHARS)
        elif isinstance(value, dict):
            for key, item in value.items():
                _check_text(key, f"{path or 'object'} key", limit=MAX_KEY_CHARS)
                stack.append((f"{path}.{key}" if path else key, item))
        elif isinstance(value, list):
            stack.extend((f"{path}[{index}]", item) for index, item in enumerate(value))


def _check_text(text: str, where: str, *, limit: int) -> None:
    if len(text) > limit:
        raise InsaneInput(f"{where}: longer than {limit} characters")
    found = FORBIDDEN_CHARACTERS.search(text)
    if found is not None:
        raise InsaneInput(f"{where}: contains the forbidden character U+{ord(found.group()):04X}")
