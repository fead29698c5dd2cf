"""Request counters per endpoint and status, per API user and its in-flight peak, faults."""

from __future__ import annotations

from collections import Counter, defaultdict
from typing import Any


class RequestCounters:
    """What the sandbox saw; the admin API shows and clears it."""

    def __init__(self) -> None:
        self.by_endpoint: defaultdict[str, Counter[str]] = defaultdict(Counter)
        self.total = 0
        self.in_flight: Counter[str] = Counter()
        self.max_in_flight: Counter[str] = Counter()
        self.by_user: Counter[str] = Counter()
        self.faults: Counter[str] = Counter()

    def record(self, method: str, template: str, outcome: str) -> None:
        """Count one finished request: its status code, dropped, stalled or client_gone."""
        self.by_endpoint[f"{method} {template}"][outcome] += 1
        self.total += 1

    def enter(self, api_id: str) -> int:
        """One more request of this API user is in flight; returns how many are now."""
        self.in_flight[api_id] += 1
        self.by_user[api_id] += 1
        current = self.in_flight[api_id]
        self.max_in_flight[api_id] = max(self.max_in_flight[api_id], current)
        return current

    def leave(self, api_id: str) -> None:
        """A request of this API user finished."""
        self.in_flight[api_id] -= 1

    def fault(self, kind: str) -> None:
        """Count one injected fault."""
        self.faults[kind] += 1

    def count(self, method: str, template: str, outcome: str | int) -> int:
        """How many requests to the endpoint ended with the outcome."""
        return self.by_endpoint.get(f"{method} {template}", Counter())[str(outcome)]

    def snapshot(self) -> dict[str, Any]:
        """A JSON-ready copy."""
        return {
            "total": self.total,
            "endpoints": {key: dict(value) for key, value in sorted(self.by_endpoint.items())},
            "max_in_flight": dict(self.max_in_flight),
            "by_user": dict(self.by_user),
            "faults": dict(self.faults),
        }

    def clear(self) -> None:
        """Start counting afresh (requests in flight stay tracked)."""
        self.by_endpoint.clear()
        self.total = 0
        self.max_in_flight = Counter({k: v for k, v in self.in_flight.items() if v > 0})
        self.by_user.clear()
        self.faults.clear()
