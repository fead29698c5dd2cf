"""The reduced chaos run on a local three-master Redis Cluster (its own, with AOF)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.chaos.harness import ChaosConfig, run_chaos
from tests.chaos.run import format_report


@pytest.mark.timeout(300)
async def test_reduced_chaos_run_on_a_cluster_loses_and_duplicates_nothing(
    tmp_path: Path,
) -> None:
    """Faults, kills and a restart of the deployment's master: every event applied once."""
    if shutil.which("redis-server") is None or shutil.which("redis-cli") is None:
        pytest.skip("a local Redis Cluster needs redis-server and redis-cli on PATH")
    config = ChaosConfig(
        size="ci",
        seed=7,
        replicas=2,
        send_s=20.0,
        kills=3,
        settle_timeout_s=60.0,
        phase_s=2.0,
        workdir=tmp_path / "chaos",
        cluster=True,
    )
    report = await run_chaos(config)
    figures = report.verdict.figures
    print(format_report(report))  # noqa: T201 - the figures belong in the test log
    assert figures["replica SIGKILLs"] == 3
    assert figures["Redis restarts"] == 1
    assert figures["events lost"] == 0
    assert figures["Sitoo effects duplicated"] == 0
    assert figures["hostile entries ending as expected"] == figures["hostile entries sent"]
    assert figures["hostile requests answered once"] >= 4
    assert figures["request violations"] == 0
    assert report.verdict.failures == []
