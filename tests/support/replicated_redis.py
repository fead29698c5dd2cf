"""A real Redis primary (with AOF) and one replica, run by the tests in a temporary directory.

The replica can be cut off from its primary for a while (SIGSTOP freezes its process: it
neither receives nor acknowledges anything, as a replica behind a broken link) and the
primary can be killed and the replica promoted, as an operator's failover does.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import redis

from tests.support.redis_server import redis_server_executable

_START_TIMEOUT_S = 15.0


def _free_port() -> int:
    import socket  # noqa: PLC0415 - only the servers need it

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Server:
    """One redis-server process."""

    port: int
    data_dir: Path
    process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        """Its redis:// URL."""
        return f"redis://127.0.0.1:{self.port}/0"

    def client(self) -> redis.Redis:
        """A synchronous client for commands of the test itself."""
        return redis.Redis.from_url(self.url, socket_timeout=5)

    def start(self, executable: str, *extra: str) -> None:
        """Start it and wait until it answers."""
        self.data_dir.mkdir(parents=True, exist_ok=True)
        command = [
            executable,
            "--port",
            str(self.port),
            "--bind",
            "127.0.0.1",
            "--dir",
            str(self.data_dir),
            "--save",
            "",
            "--appendonly",
            "yes",
            "--appendfsync",
            "everysec",
            *extra,
        ]
        with (self.data_dir / "server.log").open("ab") as log:
            self.process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + _START_TIMEOUT_S
        with contextlib.closing(self.client()) as client:
            while True:
                try:
                    client.ping()
                except redis.ConnectionError:
                    if time.monotonic() > deadline:
                        raise
                    time.sleep(0.05)
                else:
                    return

    def freeze(self) -> None:
        """Stop the process (SIGSTOP): it answers nothing, acknowledges nothing."""
        if self.process is not None:
            os.kill(self.process.pid, signal.SIGSTOP)

    def thaw(self) -> None:
        """Let a frozen process go on (SIGCONT)."""
        if self.process is not None:
            os.kill(self.process.pid, signal.SIGCONT)

    def kill(self) -> None:
        """SIGKILL: what was not yet sent to the replica is lost with it."""
        if self.process is not None:
            with contextlib.suppress(ProcessLookupError):
                os.kill(self.process.pid, signal.SIGCONT)
                self.process.kill()
            self.process.wait(10)
            self.process = None

    def stop(self) -> None:
        """Terminate it if it still runs."""
        if self.process is not None:
            with contextlib.suppress(ProcessLookupError):
                os.kill(self.process.pid, signal.SIGCONT)
                self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(10)
            self.process = None


@dataclass
class ReplicatedRedis:
    """A primary and its replica."""

    primary: Server
    replica: Server

    def wait_linked(self, timeout_s: float = _START_TIMEOUT_S) -> None:
        """Wait until the replica is in sync with the primary."""
        deadline = time.monotonic() + timeout_s
        with contextlib.closing(self.replica.client()) as client:
            while client.info("replication").get("master_link_status") != "up":
                if time.monotonic() > deadline:
                    raise TimeoutError("the replica did not link to its primary")
                time.sleep(0.05)

    def promote(self) -> None:
        """Make the replica a primary (REPLICAOF NO ONE), as a failover does."""
        with contextlib.closing(self.replica.client()) as client:
            client.execute_command("REPLICAOF", "NO", "ONE")


def redis_server_or_reason() -> tuple[str | None, str]:
    """The server binary, or None and why none can be run here."""
    try:
        executable, origin = redis_server_executable()
    except RuntimeError as error:
        return None, str(error)
    return executable, origin


@contextlib.contextmanager
def replicated_redis(workdir: Path, executable: str | None = None) -> Iterator[ReplicatedRedis]:
    """A primary with AOF and one replica of it, linked, stopped afterwards.

    ``executable``: the server binary to run (default: redis-server from PATH, or the
    embedded one).
    """
    if executable is None:
        executable, reason = redis_server_or_reason()
        if executable is None:
            raise RuntimeError(reason)
    pair = ReplicatedRedis(
        primary=Server(_free_port(), workdir / "primary"),
        replica=Server(_free_port(), workdir / "replica"),
    )
    try:
        pair.primary.start(executable)
        pair.replica.start(executable, "--replicaof", "127.0.0.1", str(pair.primary.port))
        pair.wait_linked()
        yield pair
    finally:
        pair.replica.stop()
        pair.primary.stop()
