"""A fake's clock (injectable, with an offset tests can move) and its id counters."""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping


class Clock:
    """Seconds from a time source plus an offset tests and the admin API can move."""

    def __init__(self, source: Callable[[], float] = time.time) -> None:
        self._source = source
        self.offset_s = 0.0

    def now(self) -> float:
        """The fake's current time in Unix seconds."""
        return self._source() + self.offset_s

    def advance(self, seconds: float) -> None:
        """Move the fake's time forward (or back, if negative)."""
        self.offset_s += seconds

    def set_offset(self, seconds: float) -> None:
        """Set the offset from the time source outright."""
        self.offset_s = seconds

    def freeze(self) -> None:
        """Stop the time source where it is; only the offset moves the fake's time from now on.

        For a test that places records whole seconds apart and filters by those seconds: with
        the wall clock still running, a slow machine crosses a second between two records.
        """
        frozen = self._source()
        self._source = lambda: frozen


class IdSequence:
    """Monotonic integer ids per kind, each kind starting at its base (1 when not listed)."""

    def __init__(self, bases: Mapping[str, int] | None = None) -> None:
        self._bases = dict(bases or {})
        self._last: dict[str, int] = {}

    def next(self, kind: str) -> int:
        """The next id of this kind."""
        value = self._last.get(kind, self._bases.get(kind, 1) - 1) + 1
        self._last[kind] = value
        return value
