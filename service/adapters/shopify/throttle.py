"""A local estimate of Shopify's cost bucket, so queries wait here instead of being THROTTLED.

Shopify keeps one leaky bucket per app and shop and reports it on every answer
(``extensions.cost.throttleStatus``). The estimate starts full, takes a query's expected
cost before it is sent, refills at the restore rate, and is corrected by every answer.
Several replicas share the real bucket; each corrects its estimate from the answers it
gets, and a THROTTLED answer (still possible then) is retried after the refill time.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True, slots=True)
class ThrottleStatus:
    """What Shopify said about the bucket."""

    maximum: float
    available: float
    restore_rate: float

    @classmethod
    def from_cost(cls, cost: Any) -> ThrottleStatus | None:  # noqa: ANN401 - raw JSON
        """Parse extensions.cost.throttleStatus, None when absent or malformed."""
        status = cost.get("throttleStatus") if isinstance(cost, dict) else None
        if not isinstance(status, dict):
            return None
        try:
            return cls(
                float(status["maximumAvailable"]),
                float(status["currentlyAvailable"]),
                float(status["restoreRate"]),
            )
        except (KeyError, TypeError, ValueError):
            return None


class CostBudget:
    """The estimated bucket; ``take`` waits until a query's cost fits."""

    def __init__(
        self,
        *,
        maximum: float = 1000.0,
        restore_rate: float = 100.0,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self.maximum = maximum
        self.restore_rate = restore_rate
        self._available = maximum
        self._at = clock()
        self._clock = clock
        self._sleep = sleep
        self._lock = asyncio.Lock()
        self.waited_s = 0.0  # total time spent waiting, for metrics and benchmarks

    @property
    def available(self) -> float:
        """Points estimated to be in the bucket now."""
        now = self._clock()
        self._available = min(self.maximum, self._available + (now - self._at) * self.restore_rate)
        self._at = now
        return self._available

    async def take(self, cost: float) -> None:
        """Wait (first come, first served) until ``cost`` fits, then take it."""
        wanted = min(cost, self.maximum)  # more than the bucket holds: Shopify will refuse it
        async with self._lock:
            while (missing := wanted - self.available) > 0:
                pause = missing / self.restore_rate
                self.waited_s += pause
                await self._sleep(pause)
            self._available -= wanted

    def observe(self, status: ThrottleStatus) -> None:
        """Trust Shopify's figures: they include every other client of the same bucket."""
        self.maximum = status.maximum
        self.restore_rate = max(status.restore_rate, 1e-6)
        self._available = min(status.maximum, status.available)
        self._at = self._clock()

    def refund(self, points: float) -> None:
        """Give back points taken for a request that never reached Shopify."""
        self._available = min(self.maximum, self.available + points)

    def wait_for(self, cost: float, status: ThrottleStatus) -> float:
        """Seconds until ``cost`` fits, per Shopify's figures."""
        return max(
            0.0, (min(cost, status.maximum) - status.available) / max(status.restore_rate, 1e-6)
        )
