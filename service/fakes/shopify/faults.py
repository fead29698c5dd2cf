"""The fake Shopify's fault scope: mutations only, or queries containing a given text."""

from __future__ import annotations

from service.fakes.common.faults import FaultDecision
from service.fakes.common.faults import FaultPlan as _FaultPlan
from service.fakes.shopify.config import FaultConfig


class FaultPlan(_FaultPlan):
    """The shared deterministic plan, with THROTTLED as this fake's own spurious refusal."""

    config: FaultConfig

    def __init__(self, config: FaultConfig) -> None:
        super().__init__(config)

    def applies_to(self, *, mutation: bool, query: str) -> bool:
        """Whether the request is within the configured scope of faults."""
        if self.config.mutations_only and not mutation:
            return False
        needle = self.config.operation_contains
        return needle is None or needle in query

    def decide(self, *, mutation: bool, query: str) -> FaultDecision:
        """The decision for the next request (requests out of scope consume no draws)."""
        return self.draw(
            in_scope=self.applies_to(mutation=mutation, query=query),
            refusal_rate=self.config.throttled_rate,
        )
