"""The calculated-cost leaky bucket: one per app and shop, refilled at the restore rate."""

from __future__ import annotations

from dataclasses import dataclass

from service.fakes.common.clock import Clock


@dataclass
class _Bucket:
    available: float
    at: float


class CostBuckets:
    """Points available per app; a query takes its requested cost and gets the unused part back."""

    def __init__(self, clock: Clock, *, size: float, restore_rate: float) -> None:
        self._clock = clock
        self.size = size
        self.restore_rate = restore_rate
        self._buckets: dict[str, _Bucket] = {}

    def available(self, app: str) -> float:
        """Points the app has now (refilled since its last use, never above the size)."""
        now = self._clock.now()
        bucket = self._buckets.get(app)
        if bucket is None:
            bucket = self._buckets[app] = _Bucket(self.size, now)
        elapsed = max(0.0, now - bucket.at)
        bucket.available = min(self.size, bucket.available + elapsed * self.restore_rate)
        bucket.at = now
        return bucket.available

    def take(self, app: str, cost: float) -> bool:
        """Take ``cost`` points if the app has them; False (nothing taken) otherwise."""
        if self.available(app) < cost:
            return False
        self._buckets[app].available -= cost
        return True

    def give_back(self, app: str, points: float) -> None:
        """Refund points a query asked for but did not use."""
        if points > 0:
            self.available(app)
            bucket = self._buckets[app]
            bucket.available = min(self.size, bucket.available + points)

    def status(self, app: str) -> dict[str, float]:
        """throttleStatus of extensions.cost."""
        return {
            "maximumAvailable": float(self.size),
            "currentlyAvailable": float(int(self.available(app))),
            "restoreRate": float(self.restore_rate),
        }

    def drain(self, app: str, points: float | None = None) -> None:
        """Empty the bucket (or take ``points``), so tests can provoke throttling."""
        self.available(app)
        bucket = self._buckets[app]
        bucket.available = 0.0 if points is None else max(0.0, bucket.available - points)
