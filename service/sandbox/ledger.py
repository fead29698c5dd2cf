"""The ledger of every applied write, so tests can prove effects happened exactly once."""

from __future__ import annotations

import contextvars
from dataclasses import asdict, dataclass, field
from typing import Any

from service.sandbox.clock import Clock


@dataclass(frozen=True)
class Caller:
    """Who caused a write: the API user and the request, or a store action."""

    api_id: str | None
    method: str
    path: str


STORE_CALLER = Caller(api_id=None, method="STORE", path="")
current_caller: contextvars.ContextVar[Caller] = contextvars.ContextVar(
    "sandbox_caller", default=STORE_CALLER
)


@dataclass(frozen=True)
class LedgerEntry:
    """One applied write."""

    seq: int
    at: int
    kind: str
    key: str
    api_id: str | None
    method: str
    path: str
    detail: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        """The entry as the admin API shows it."""
        return asdict(self)


class Ledger:
    """Append-only list of applied writes, numbered in order."""

    def __init__(self, clock: Clock) -> None:
        self._clock = clock
        self._entries: list[LedgerEntry] = []

    def record(self, kind: str, key: str, **detail: Any) -> LedgerEntry:  # noqa: ANN401 - free-form JSON detail
        """Append one applied write made by the current caller."""
        caller = current_caller.get()
        entry = LedgerEntry(
            seq=len(self._entries) + 1,
            at=self._clock.now(),
            kind=kind,
            key=key,
            api_id=caller.api_id,
            method=caller.method,
            path=caller.path,
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

    def clear(self) -> None:
        """Forget everything (used by reset)."""
        self._entries.clear()
