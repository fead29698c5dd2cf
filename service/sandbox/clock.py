"""The sandbox's clock (injectable, with an adjustable offset) and its monotonic id counters."""

from __future__ import annotations

import time
from collections.abc import Callable


class Clock:
    """Unix seconds from a time source plus an offset tests and the admin API can move."""

    def __init__(self, source: Callable[[], float] = time.time) -> None:
        self._source = source
        self.offset_s = 0.0

    def now(self) -> int:
        """The sandbox's current time in whole Unix seconds."""
        return int(self._source() + self.offset_s)

    def advance(self, seconds: float) -> None:
        """Move the sandbox's time forward (or back, if negative)."""
        self.offset_s += seconds

    def set_offset(self, seconds: float) -> None:
        """Set the offset from the time source outright."""
        self.offset_s = seconds


class IdSequence:
    """Monotonic integer ids per kind of object, starting at a per-kind base."""

    def __init__(self) -> None:
        self._last: dict[str, int] = {}

    def next(self, kind: str, start: int = 1) -> int:
        """The next id of this kind; never repeats, even across resets of other state."""
        value = self._last.get(kind, start - 1) + 1
        self._last[kind] = value
        return value

    def peek(self, kind: str) -> int:
        """The last id handed out for this kind (0 when none)."""
        return self._last.get(kind, 0)
