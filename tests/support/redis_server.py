"""Finds or starts a real Redis for the tests, in a fixed order of preference."""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from urllib.parse import urlsplit

import redis

_DOCKER_PROBE_TIMEOUT_S = 2.0


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _wait_until_answers(url: str, timeout_s: float = 10.0) -> None:
    deadline = time.monotonic() + timeout_s
    client = redis.Redis.from_url(url)
    try:
        while True:
            try:
                client.ping()
            except redis.ConnectionError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.05)
            else:
                return
    finally:
        client.close()


def _docker_daemon_answers() -> bool:
    """Ping the Docker API ourselves: docker-py leaks its socket when no daemon answers."""
    host = os.environ.get("DOCKER_HOST", "unix:///var/run/docker.sock")
    parsed = urlsplit(host)
    try:
        if parsed.scheme == "unix":
            sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            sock.settimeout(_DOCKER_PROBE_TIMEOUT_S)
            with sock:
                sock.connect(parsed.path)
                return _answers_ping(sock)
        if parsed.scheme in {"tcp", "http"} and parsed.hostname and parsed.port:
            address = (parsed.hostname, parsed.port)
            with socket.create_connection(address, timeout=_DOCKER_PROBE_TIMEOUT_S) as sock:
                return _answers_ping(sock)
    except OSError:
        return False
    return False


def _answers_ping(sock: socket.socket) -> bool:
    sock.sendall(b"GET /_ping HTTP/1.0\r\nHost: docker\r\n\r\n")
    return sock.recv(64).split(b"\r\n", 1)[0].endswith(b" 200 OK")


@contextlib.contextmanager
def _testcontainers_redis() -> Iterator[str]:
    from testcontainers.community.redis import RedisContainer  # noqa: PLC0415

    with RedisContainer("redis:7-alpine") as container:
        host = container.get_container_host_ip()
        yield f"redis://{host}:{container.get_exposed_port(6379)}/0"


@contextlib.contextmanager
def _redis_server_from_path(executable: str) -> Iterator[str]:
    port = _free_port()
    with tempfile.TemporaryDirectory(prefix="sitoo-sync-redis-") as workdir:
        process = subprocess.Popen(
            [
                executable,
                "--port",
                str(port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                workdir,
            ],
            stdout=subprocess.DEVNULL,
        )
        try:
            url = f"redis://127.0.0.1:{port}/0"
            _wait_until_answers(url)
            yield url
        finally:
            process.terminate()
            process.wait(10)


@contextlib.contextmanager
def _embedded_redis() -> Iterator[str]:
    from service.local.embedded import embedded_redis  # noqa: PLC0415

    with (
        tempfile.TemporaryDirectory(prefix="sitoo-sync-embedded-") as workdir,
        embedded_redis(workdir, port=0, persistent=False) as server,
    ):
        yield server.url


def redis_server_executable() -> tuple[str, str]:
    """The server binary for tests that run their own (replicas, restarts), and its origin.

    redis-server from PATH when there is one, else the embedded extra's Valkey server: a
    machine with only Python runs these tests too.
    """
    found = shutil.which("redis-server")
    if found:
        return found, "redis-server from PATH"
    from service.local.embedded import EmbeddedRedisUnavailableError, server_executable  # noqa: PLC0415

    try:
        return str(server_executable()), "the embedded Valkey server (no redis-server on PATH)"
    except EmbeddedRedisUnavailableError as exc:
        raise RuntimeError(
            f"no redis-server on PATH and no embedded one: {exc}. Tests that run their own Redis "
            "need one of them."
        ) from None


@contextlib.contextmanager
def provide_redis_url() -> Iterator[str]:
    """Yield a Redis URL: env var → testcontainers → redis-server on PATH → embedded Redis."""
    explicit = os.environ.get("SITOO_SYNC_REDIS__URL") or os.environ.get("REDIS_URL")
    if explicit:
        _wait_until_answers(explicit, timeout_s=5.0)
        yield explicit
        return
    if _docker_daemon_answers():
        with _testcontainers_redis() as url:
            yield url
        return
    executable = shutil.which("redis-server")
    if executable:
        with _redis_server_from_path(executable) as url:
            yield url
        return
    from service.local.embedded import EmbeddedRedisUnavailableError  # noqa: PLC0415

    try:
        with _embedded_redis() as url:
            yield url
    except EmbeddedRedisUnavailableError as exc:
        raise RuntimeError(
            "No Redis for the tests: set REDIS_URL, start a Docker daemon, put redis-server on "
            f"PATH, or install the 'embedded' extra (pip install -e '.[dev]'): {exc}"
        ) from None
