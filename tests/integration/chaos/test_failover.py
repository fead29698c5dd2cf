"""The failover run in its reduced size: primary killed, lagging replica promoted, setting on."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from tests.chaos.failover import FailoverConfig, format_figures, run_failover
from tests.support.replicated_redis import redis_server_or_reason


@pytest.mark.timeout(300)
async def test_failover_with_claim_replicas_duplicates_nothing(tmp_path: Path) -> None:
    """0 duplicated effects, 0 over-charge, one outcome per event, every event answered."""
    executable, reason = redis_server_or_reason()
    if executable is None:
        pytest.skip(f"no Redis server to run a primary and a replica: {reason}")
    config = FailoverConfig(
        events=200,
        rate=50.0,
        lag_s=1.5,
        claim_replicas=1,
        sitoo_latency_ms=40.0,
        settle_timeout_s=90.0,
        workdir=tmp_path / "failover",
    )
    figures = await run_failover(config)
    print(format_figures(config, figures))  # noqa: T201 - the figures belong in the test log
    assert figures.sent == 200
    assert figures.lost_before_resend > 0  # the failover did lose acknowledged events
    assert sum(figures.duplicated.values()) == 0
    assert figures.overcharged == Decimal(0)
    assert figures.conflicting_results == 0
    assert figures.without_result == 0
    assert figures.notes == []
