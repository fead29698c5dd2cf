"""Deterministic fault decisions: the same seed and request sequence give the same faults."""

from __future__ import annotations

import random
from dataclasses import dataclass

from service.sandbox.config import ApplyThenFailMode, FaultConfig

WRITE_METHODS = frozenset({"POST", "PUT", "DELETE", "PATCH"})


@dataclass(frozen=True)
class FaultDecision:
    """What to do to one request."""

    delay_s: float = 0.0
    extra_429: bool = False
    error_before: int | None = None
    after: ApplyThenFailMode | None = None

    @property
    def is_clean(self) -> bool:
        """No fault at all."""
        return (
            self.delay_s == 0
            and not self.extra_429
            and self.error_before is None
            and self.after is None
        )


class FaultPlan:
    """Draws decisions from random.Random(config.seed), a fixed number of draws per request."""

    def __init__(self, config: FaultConfig) -> None:
        self.config = config
        self._rng = random.Random(config.seed)  # noqa: S311 - reproducible test faults, not crypto

    def applies_to(self, method: str, path: str) -> bool:
        """Whether the request is within the configured scope of faults."""
        if self.config.writes_only and method.upper() not in WRITE_METHODS:
            return False
        return self.config.path_contains is None or self.config.path_contains in path

    def decide(self, method: str, path: str) -> FaultDecision:
        """The decision for the next request (requests out of scope consume no draws)."""
        if not self.applies_to(method, path):
            return FaultDecision()
        cfg = self.config
        # Always five draws, so changing one rate does not shift the other faults' sequence.
        jitter, draw_429, draw_before, draw_status, draw_after = (
            self._rng.random() for _ in range(5)
        )
        delay_s = (cfg.latency_ms + jitter * cfg.jitter_ms) / 1000.0
        if draw_429 < cfg.extra_429_rate:
            return FaultDecision(delay_s=delay_s, extra_429=True)
        if draw_before < cfg.error_before_rate and cfg.error_before_statuses:
            statuses = cfg.error_before_statuses
            status = statuses[min(int(draw_status * len(statuses)), len(statuses) - 1)]
            return FaultDecision(delay_s=delay_s, error_before=status)
        if draw_after < cfg.apply_then_fail_rate:
            return FaultDecision(delay_s=delay_s, after=cfg.apply_then_fail_mode)
        return FaultDecision(delay_s=delay_s)
