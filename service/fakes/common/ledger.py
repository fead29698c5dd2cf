"""The ledger of every applied write, so tests can count effects exactly."""

from __future__ import annotations

import contextvars
from dataclasses import asdict, dataclass, field
from typing import Any

from service.fakes.common.clock import Clock


@dataclass(frozen=True)
class Caller:
    """Who caused a write: an API client (app or consumer key), or the shop itself."""

    app: str | None
    operation: str


SHOP_CALLER = Caller(app=None, operation="shop")
current_caller: contextvars.ContextVar[Caller] = contextvars.ContextVar(
    "fake_caller", default=SHOP_CALLER
)


@dataclass(frozen=True)
class LedgerEntry:
    """One applied write."""

    seq: int
    at: float
    kind: str
    key: str
    app: str | None
    operation: str
    detail: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        """The entry as the admin API shows it."""
        return asdict(self)


class Ledger:
    """Append-only list of applied writes, numbered in order."""

    def __init__(self, clock: Clock) -> None:
        self._clock = clock
        self._entries: list[LedgerEntry] = []

    def record(self, kind: str, key: str, **detail: Any) -> LedgerEntry:  # noqa: ANN401 - free-form JSON
        """Append one applied write made by the current caller."""
        caller = current_caller.get()
        entry = LedgerEntry(
            seq=len(self._entries) + 1,
            at=self._clock.now(),
            kind=kind,
            key=key,
            app=caller.app,
            operation=caller.operation,
            detail=detail,
        )
        self._entries.append(entry)
        return entry

    def entries(self, *, kind: str | None = None, key: str | None = None) -> list[LedgerEntry]:
        """Entries in order, optionally only of one kind and/or one key."""
        return [
            e
            for e in self._entries
            if (kind is None or e.kind == kind) and (key is None or e.key == key)
        ]
