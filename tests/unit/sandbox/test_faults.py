"""Fault decisions are deterministic per seed and respect rates and scope."""

from __future__ import annotations

from collections import Counter

from service.sandbox.config import FaultConfig
from service.sandbox.faults import FaultPlan


def _decisions(config: FaultConfig, count: int = 200) -> list[object]:
    plan = FaultPlan(config)
    return [plan.decide("POST", "/v2/accounts/1/sites/1/orders.json") for _ in range(count)]


def test_same_seed_gives_the_same_sequence() -> None:
    """Two plans with one seed decide identically; another seed differs."""
    config = FaultConfig(seed=7, error_before_rate=0.3, apply_then_fail_rate=0.3, jitter_ms=5)
    assert _decisions(config) == _decisions(config)
    assert _decisions(config) != _decisions(config.model_copy(update={"seed": 8}))


def test_zero_rates_are_clean_and_full_rates_always_fire() -> None:
    """Rate 0 never injects; rate 1 always does."""
    plan = FaultPlan(FaultConfig())
    assert all(plan.decide("GET", "/x").is_clean for _ in range(50))
    plan = FaultPlan(FaultConfig(apply_then_fail_rate=1, apply_then_fail_mode="drop"))
    assert {plan.decide("POST", "/x").after for _ in range(50)} == {"drop"}


def test_rates_are_roughly_honoured() -> None:
    """About the configured share of requests get the fault."""
    decisions = _decisions(FaultConfig(seed=1, error_before_rate=0.25), count=2000)
    hits = sum(1 for d in decisions if getattr(d, "error_before", None) is not None)
    assert 400 < hits < 600


def test_error_before_status_comes_from_the_list() -> None:
    """5xx-before-apply picks 500 or 503."""
    statuses = Counter(
        getattr(d, "error_before", None) for d in _decisions(FaultConfig(error_before_rate=1))
    )
    assert set(statuses) == {500, 503}


def test_scope_limits_faults_to_writes_or_paths() -> None:
    """writes_only spares GETs; path_contains spares other paths; neither consumes draws."""
    plan = FaultPlan(FaultConfig(extra_429_rate=1, writes_only=True))
    assert plan.decide("GET", "/orders.json").is_clean
    assert plan.decide("PUT", "/orders.json").extra_429
    plan = FaultPlan(FaultConfig(extra_429_rate=1, path_contains="giftcards"))
    assert plan.decide("POST", "/orders.json").is_clean
    assert plan.decide("POST", "/giftcards/1/transactions.json").extra_429


def test_latency_is_fixed_plus_jitter() -> None:
    """Delays lie between latency and latency + jitter."""
    plan = FaultPlan(FaultConfig(latency_ms=100, jitter_ms=50))
    delays = [plan.decide("GET", "/x").delay_s for _ in range(100)]
    assert all(0.1 <= d <= 0.15 for d in delays)
    assert len(set(delays)) > 1
