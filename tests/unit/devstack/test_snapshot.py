"""The sandbox snapshot and when it may be restored next to the dev stack's Redis."""

from __future__ import annotations

from pathlib import Path

import pytest

from service.devstack import snapshot
from service.sandbox import FaultConfig, Sandbox, SandboxConfig


def _sandbox_with_a_card() -> Sandbox:
    sandbox = Sandbox(SandboxConfig(seed="demo"))
    sandbox.put_giftcard(cardnumber="95000000000000099001", amount="300.00")
    return sandbox


def test_a_saved_sandbox_comes_back_with_its_data(tmp_path: Path) -> None:
    """Cards, ids and the ledger survive; this run's credentials and faults are kept."""
    path = tmp_path / snapshot.SNAPSHOT_FILE
    saved = _sandbox_with_a_card()
    snapshot.save_snapshot(path, saved, "gen-1")
    assert path.stat().st_mode & 0o777 == 0o600

    loaded = snapshot.load_snapshot(path)
    assert isinstance(loaded, snapshot.Snapshot)
    assert loaded.generation == "gen-1"
    assert loaded.seed == "demo"
    served = Sandbox(SandboxConfig(seed="demo", faults=FaultConfig(latency_ms=5)))
    config_before = served.config
    snapshot.restore_into(served, loaded.sandbox)
    assert served.giftcard_state("95000000000000099001")["giftcard"]["moneyamount"] == "300.00"
    assert len(served.ledger_entries()) == len(saved.ledger_entries())
    assert served.config is config_before
    assert served.faults.latency_ms == 5


def test_restore_needs_the_generation_redis_holds(tmp_path: Path) -> None:
    """Each way the two can disagree is named; only a matching pair is restored."""
    path = tmp_path / snapshot.SNAPSHOT_FILE
    snapshot.save_snapshot(path, _sandbox_with_a_card(), "gen-1")
    saved = snapshot.load_snapshot(path)
    assert snapshot.why_not_restore(saved, redis_generation="gen-1", seed="demo") is None
    assert "different runs" in str(
        snapshot.why_not_restore(saved, redis_generation="gen-2", seed="demo")
    )
    assert "different runs" in str(
        snapshot.why_not_restore(saved, redis_generation=None, seed="demo")
    )
    assert "seed changed" in str(
        snapshot.why_not_restore(saved, redis_generation="gen-1", seed="empty")
    )


def test_a_missing_snapshot_after_a_run_means_it_did_not_stop_cleanly(tmp_path: Path) -> None:
    """Redis has a generation but no snapshot was written: the last run was killed."""
    missing = snapshot.load_snapshot(tmp_path / "absent.pickle")
    assert isinstance(missing, str)
    assert "did not stop cleanly" in str(
        snapshot.why_not_restore(missing, redis_generation="gen-1", seed="demo")
    )
    assert snapshot.why_not_restore(missing, redis_generation=None, seed="demo") == missing


@pytest.mark.parametrize("content", [b"", b"not a pickle", b"\x80\x05K\x01."])
def test_an_unreadable_snapshot_is_a_reason_not_a_crash(tmp_path: Path, content: bytes) -> None:
    """Truncated or foreign bytes give a reason to start afresh."""
    path = tmp_path / snapshot.SNAPSHOT_FILE
    path.write_bytes(content)
    assert isinstance(snapshot.load_snapshot(path), str)


def test_changed_sandbox_code_is_not_restored(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A snapshot of other sandbox code could hold objects that code no longer understands."""
    path = tmp_path / snapshot.SNAPSHOT_FILE
    snapshot.save_snapshot(path, _sandbox_with_a_card(), "gen-1")
    saved = snapshot.load_snapshot(path)
    monkeypatch.setattr(snapshot, "code_fingerprint", lambda: "another")
    assert "code changed" in str(
        snapshot.why_not_restore(saved, redis_generation="gen-1", seed="demo")
    )
