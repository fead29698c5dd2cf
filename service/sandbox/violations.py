"""Requests that broke the Sitoo description: counted and kept for tests and chaos verdicts."""

from __future__ import annotations

from collections import Counter, deque
from dataclasses import asdict, dataclass
from typing import Any

from service.sandbox.clock import Clock

KEPT = 200  # the newest violations kept in full; the counts cover all of them


@dataclass(frozen=True)
class Violation:
    """One request the description does not allow."""

    seq: int
    at: float
    api_id: str
    method: str
    path: str  # without the query string, which may carry a PIN
    operation: str
    errortext: str
    refused: bool  # False when the sandbox is lenient and served it anyway


class RequestViolations:
    """Every request that broke the description since the last clear."""

    def __init__(self, clock: Clock) -> None:
        self._clock = clock
        self._recent: deque[Violation] = deque(maxlen=KEPT)
        self.count = 0
        self.by_operation: Counter[str] = Counter()

    def record(
        self,
        *,
        api_id: str,
        method: str,
        path: str,
        operation: str,
        errortext: str,
        refused: bool,
    ) -> Violation:
        """Note one violating request."""
        self.count += 1
        self.by_operation[operation] += 1
        violation = Violation(
            seq=self.count,
            at=self._clock.now(),
            api_id=api_id,
            method=method,
            path=path,
            operation=operation,
            errortext=errortext,
            refused=refused,
        )
        self._recent.append(violation)
        return violation

    def recent(self) -> list[Violation]:
        """The newest violations, oldest first."""
        return list(self._recent)

    def snapshot(self) -> dict[str, Any]:
        """A JSON-ready view: the count, per operation, and the newest in full."""
        return {
            "count": self.count,
            "by_operation": dict(sorted(self.by_operation.items())),
            "recent": [asdict(violation) for violation in self._recent],
        }

    def clear(self) -> None:
        """Start counting afresh."""
        self._recent.clear()
        self.count = 0
        self.by_operation.clear()
