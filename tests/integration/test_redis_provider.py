"""The test Redis is found or started in the documented order, down to the embedded one."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
import redis

from tests.support.redis_server import provide_redis_url, redis_server_executable


def _major(version: str) -> int:
    return int(version.split(".", 1)[0])


def _version(url: str) -> str:
    client = redis.Redis.from_url(url)
    try:
        return str(client.info("server")["redis_version"])
    finally:
        client.close()


def test_explicit_url_wins(monkeypatch: pytest.MonkeyPatch, redis_url: str) -> None:
    """REDIS_URL is used as it is when set."""
    monkeypatch.setenv("REDIS_URL", redis_url)
    with provide_redis_url() as url:
        assert url == redis_url


def test_without_url_or_docker_a_local_server_is_started(monkeypatch: pytest.MonkeyPatch) -> None:
    """Without a URL or Docker: redis-server from PATH if there is one, else the embedded one."""
    monkeypatch.delenv("REDIS_URL", raising=False)
    monkeypatch.delenv("SITOO_SYNC_REDIS__URL", raising=False)
    monkeypatch.setenv("DOCKER_HOST", "unix:///nonexistent/docker.sock")
    executable = shutil.which("redis-server")
    with provide_redis_url() as url:
        assert url.startswith("redis://127.0.0.1:")
        version = _version(url)
    if executable is None:
        assert _major(version) >= 7  # the embedded Valkey speaks Redis 7.2
    else:
        version_output = subprocess.run(
            [executable, "--version"], capture_output=True, text=True, check=True
        ).stdout
        assert f"v={version}" in version_output


def test_embedded_redis_is_the_last_resort(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """With no URL, no Docker and no redis-server on PATH, the embedded Redis answers."""
    monkeypatch.delenv("REDIS_URL", raising=False)
    monkeypatch.delenv("SITOO_SYNC_REDIS__URL", raising=False)
    monkeypatch.setenv("DOCKER_HOST", "unix:///nonexistent/docker.sock")
    monkeypatch.setenv("PATH", str(tmp_path))
    with provide_redis_url() as url:
        assert _major(_version(url)) >= 7  # streams with entries-read and lag, as the service needs
        client = redis.Redis.from_url(url)
        try:
            assert client.info("server")["server_name"] == "valkey"
        finally:
            client.close()


def test_tests_running_their_own_redis_fall_back_to_the_embedded_server(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """Replica and restart tests find a server binary on a machine with only Python."""
    monkeypatch.setenv("PATH", str(tmp_path))
    executable, origin = redis_server_executable()
    assert "embedded" in origin
    out = subprocess.run([executable, "--version"], capture_output=True, text=True, check=True)
    assert out.stdout.startswith("Valkey server v=")
