"""Deterministic fault injection: the same seed and request sequence give the same faults."""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

ApplyThenFailMode = Literal["500", "drop", "stall"]


class BaseFaultConfig(BaseModel):
    """The faults every fake can inject on its API; decisions come from random.Random(seed)."""

    model_config = ConfigDict(extra="forbid")

    seed: int = 0
    latency_ms: float = Field(default=0.0, ge=0, description="Fixed delay before handling.")
    jitter_ms: float = Field(default=0.0, ge=0, description="Extra uniform random delay.")
    error_before_rate: float = Field(
        default=0.0, ge=0, le=1, description="Share answered 5xx before anything is applied."
    )
    error_before_statuses: list[int] = Field(default_factory=lambda: [500, 502, 503])
    apply_then_fail_rate: float = Field(
        default=0.0, ge=0, le=1, description="Share executed (applied) and then failed."
    )
    apply_then_fail_mode: ApplyThenFailMode = "500"
    stall_s: float = Field(default=30.0, ge=0, description="How long a stall withholds the answer.")
    extra_429_rate: float = Field(
        default=0.0, ge=0, le=1, description="Share answered HTTP 429 before anything is applied."
    )


@dataclass(frozen=True)
class FaultDecision:
    """What to do to one API request."""

    delay_s: float = 0.0
    extra_429: bool = False
    refused: bool = False  # a fake's own spurious refusal (the fake Shopify's THROTTLED)
    error_before: int | None = None
    after: ApplyThenFailMode | None = None


class FaultPlan:
    """Draws decisions from random.Random(config.seed), a fixed number of draws per request."""

    def __init__(self, config: BaseFaultConfig) -> None:
        self.config = config
        self._rng = random.Random(config.seed)  # noqa: S311 - reproducible test faults, not crypto

    def draw(self, *, in_scope: bool, refusal_rate: float = 0.0) -> FaultDecision:
        """The decision for the next request (requests out of scope consume no draws)."""
        if not in_scope:
            return FaultDecision()
        cfg = self.config
        # Always six draws, so changing one rate does not shift the other faults' sequence.
        jitter, draw_429, draw_refusal, draw_before, draw_status, draw_after = (
            self._rng.random() for _ in range(6)
        )
        delay_s = (cfg.latency_ms + jitter * cfg.jitter_ms) / 1000.0
        if draw_429 < cfg.extra_429_rate:
            return FaultDecision(delay_s=delay_s, extra_429=True)
        if draw_refusal < refusal_rate:
            return FaultDecision(delay_s=delay_s, refused=True)
        if draw_before < cfg.error_before_rate and cfg.error_before_statuses:
            statuses = cfg.error_before_statuses
            status = statuses[min(int(draw_status * len(statuses)), len(statuses) - 1)]
            return FaultDecision(delay_s=delay_s, error_before=status)
        if draw_after < cfg.apply_then_fail_rate:
            return FaultDecision(delay_s=delay_s, after=cfg.apply_then_fail_mode)
        return FaultDecision(delay_s=delay_s)
