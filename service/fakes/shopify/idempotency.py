"""The @idempotent(key:) directive's memory: same key and input replay the first result."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any

from service.fakes.common.clock import Clock


@dataclass
class _Remembered:
    fingerprint: str
    result: Any
    failed: bool
    at: float


class IdempotencyKeys:
    """Keys per app, kept for the retention window (FACTS.md §10.7: 24 h in the fake)."""

    def __init__(self, clock: Clock, retention_s: float) -> None:
        self._clock = clock
        self._retention_s = retention_s
        self._keys: dict[tuple[str, str], _Remembered] = {}

    @staticmethod
    def fingerprint(mutation: str, arguments: dict[str, Any]) -> str:
        """A digest of the mutation and its coerced arguments."""
        text = json.dumps([mutation, arguments], sort_keys=True, default=str)
        return hashlib.sha256(text.encode()).hexdigest()

    def recall(self, app: str, key: str) -> _Remembered | None:
        """What the first request with this key did, if it is still remembered."""
        found = self._keys.get((app, key))
        if found is not None and self._clock.now() - found.at > self._retention_s:
            del self._keys[(app, key)]
            return None
        return found

    def remember(self, app: str, key: str, fingerprint: str, result: Any, *, failed: bool) -> None:  # noqa: ANN401 - a resolver's result
        """Keep the outcome of the first request with this key."""
        self._keys[(app, key)] = _Remembered(fingerprint, result, failed, self._clock.now())
