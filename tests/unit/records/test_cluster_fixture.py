"""The local cluster is skipped, with the reason, where redis-server is not on PATH."""

from __future__ import annotations

import pytest

from tests.support import redis_cluster


def test_no_redis_server_means_a_clear_reason(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(redis_cluster.shutil, "which", lambda _name: None)
    with (
        pytest.raises(redis_cluster.ClusterUnavailableError, match="redis-server and redis-cli"),
        redis_cluster.local_redis_cluster(),
    ):
        pass
