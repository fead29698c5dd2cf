"""Deterministic fault decisions: the same seed and request sequence give the same faults."""

from __future__ import annotations

import random
from dataclasses import dataclass

from service.fakes.shopify.config import ApplyThenFailMode, FaultConfig


@dataclass(frozen=True)
class FaultDecision:
    """What to do to one Admin API request."""

    delay_s: float = 0.0
    extra_429: bool = False
    throttled: bool = False
    error_before: int | None = None
    after: ApplyThenFailMode | None = None


class FaultPlan:
    """Draws decisions from random.Random(config.seed), a fixed number of draws per request."""

    def __init__(self, config: FaultConfig) -> None:
        self.config = config
        self._rng = random.Random(config.seed)  # noqa: S311 - reproducible test faults, not crypto

    def applies_to(self, *, mutation: bool, query: str) -> bool:
        """Whether the request is within the configured scope of faults."""
        if self.config.mutations_only and not mutation:
            return False
        needle = self.config.operation_contains
        return needle is None or needle in query

    def decide(self, *, mutation: bool, query: str) -> FaultDecision:
        """The decision for the next request (requests out of scope consume no draws)."""
        if not self.applies_to(mutation=mutation, query=query):
            return FaultDecision()
        cfg = self.config
        # Always six draws, so changing one rate does not shift the other faults' sequence.
        jitter, draw_429, draw_throttle, draw_before, draw_status, draw_after = (
            self._rng.random() for _ in range(6)
        )
        delay_s = (cfg.latency_ms + jitter * cfg.jitter_ms) / 1000.0
        if draw_429 < cfg.extra_429_rate:
            return FaultDecision(delay_s=delay_s, extra_429=True)
        if draw_throttle < cfg.throttled_rate:
            return FaultDecision(delay_s=delay_s, throttled=True)
        if draw_before < cfg.error_before_rate and cfg.error_before_statuses:
            statuses = cfg.error_before_statuses
            status = statuses[min(int(draw_status * len(statuses)), len(statuses) - 1)]
            return FaultDecision(delay_s=delay_s, error_before=status)
        if draw_after < cfg.apply_then_fail_rate:
            return FaultDecision(delay_s=delay_s, after=cfg.apply_then_fail_mode)
        return FaultDecision(delay_s=delay_s)
