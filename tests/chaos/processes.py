"""OS processes of a chaos run: a private Redis with AOF, the sandbox and the service replicas."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import socket
import sys
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import redis.asyncio as aioredis
from redis.exceptions import RedisError

from tests.support.redis_server import redis_server_executable

START_TIMEOUT_S = 45.0
STOP_TIMEOUT_S = 20.0
_POLL_S = 0.05


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nobody listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def redis_executable() -> tuple[str, str]:
    """The redis-server to run and where it came from (PATH, or the embedded Valkey server)."""
    return redis_server_executable()


def _clean_environment() -> dict[str, str]:
    """The parent's environment without any SITOO_SYNC_* setting, so runs are reproducible."""
    return {k: v for k, v in os.environ.items() if not k.startswith("SITOO_SYNC_")}


async def _stop(process: asyncio.subprocess.Process, sig: signal.Signals) -> int:
    if process.returncode is None:
        with contextlib.suppress(ProcessLookupError):
            process.send_signal(sig)
    try:
        return await asyncio.wait_for(process.wait(), timeout=STOP_TIMEOUT_S)
    except TimeoutError:
        with contextlib.suppress(ProcessLookupError):
            process.kill()
        return await process.wait()


@dataclass
class RedisServer:
    """A private redis-server with AOF (appendfsync everysec, as deployed), restartable in place."""

    data_dir: Path
    port: int = field(default_factory=free_port)
    origin: str = ""
    restarts: int = 0
    _process: asyncio.subprocess.Process | None = None

    @property
    def url(self) -> str:
        """The URL every process of the run uses."""
        return f"redis://127.0.0.1:{self.port}/0"

    async def start(self) -> None:
        """Start it (again, on the same port and data directory) and wait until it answers."""
        executable, self.origin = redis_executable()
        self.data_dir.mkdir(parents=True, exist_ok=True)
        log = (self.data_dir / "redis.log").open("ab")
        self._process = await asyncio.create_subprocess_exec(
            executable,
            "--port",
            str(self.port),
            "--bind",
            "127.0.0.1",
            "--dir",
            str(self.data_dir),
            "--appendonly",
            "yes",
            "--appendfsync",
            "everysec",
            "--save",
            "",
            stdout=log,
            stderr=asyncio.subprocess.STDOUT,
        )
        log.close()
        await self._wait_until_answers()

    async def _wait_until_answers(self) -> None:
        client = aioredis.Redis.from_url(self.url)
        try:
            async with asyncio.timeout(START_TIMEOUT_S):
                while True:
                    if self._process is not None and self._process.returncode is not None:
                        raise RuntimeError(f"redis-server exited with {self._process.returncode}")
                    try:
                        if await client.ping():
                            return
                    except (RedisError, OSError):
                        await asyncio.sleep(_POLL_S)
        finally:
            await client.aclose()

    async def restart(self, *, down_s: float) -> None:
        """Stop it gracefully (AOF flushed, as a rolling restart does), stay down, start again."""
        await self.stop()
        await asyncio.sleep(down_s)
        await self.start()
        self.restarts += 1

    async def stop(self) -> None:
        """Stop it with SIGTERM; Redis writes the AOF before it exits."""
        if self._process is not None:
            await _stop(self._process, signal.SIGTERM)
            self._process = None


@dataclass
class RedisClusterServers:
    """Three cluster-mode redis-servers with AOF; a restart restarts the master of one key.

    ``key`` is a key of the deployment under test: its slot's master is the node the
    restart takes down (the whole deployment lives in that slot).
    """

    data_dir: Path
    key: str
    masters: int = 3
    origin: str = ""
    restarts: int = 0
    ports: list[int] = field(default_factory=list)
    bus_ports: list[int] = field(default_factory=list)
    _processes: dict[int, asyncio.subprocess.Process] = field(default_factory=dict)

    @property
    def port(self) -> int:
        """The node named in the URL."""
        return self.ports[0]

    @property
    def url(self) -> str:
        """Any node: cluster clients learn the others from it."""
        return f"redis://127.0.0.1:{self.port}"

    async def start(self) -> None:
        """Start every node; on the first start, join them into one cluster."""
        first = not self.ports
        if first:
            self.ports = [free_port() for _ in range(self.masters)]
            self.bus_ports = [free_port() for _ in range(self.masters)]
        for port in self.ports:
            await self._start_node(port)
        # `--cluster create` gives up at once on a node that is not listening yet.
        await self._wait_listening()
        if first:
            cli = await asyncio.create_subprocess_exec(
                "redis-cli",
                "--cluster",
                "create",
                *(f"127.0.0.1:{port}" for port in self.ports),
                "--cluster-replicas",
                "0",
                "--cluster-yes",
                stdout=asyncio.subprocess.DEVNULL,
            )
            if await cli.wait() != 0:
                raise RuntimeError(f"redis-cli --cluster create failed on ports {self.ports}")
        await self._wait_ok()

    async def _wait_listening(self) -> None:
        async with asyncio.timeout(START_TIMEOUT_S):
            for port in self.ports:
                client = aioredis.Redis(port=port)
                try:
                    while True:
                        try:
                            if await client.ping():
                                break
                        except (RedisError, OSError):
                            pass
                        await asyncio.sleep(_POLL_S)
                finally:
                    await client.aclose()

    async def _start_node(self, port: int) -> None:
        executable, origin = redis_executable()
        self.origin = f"a {self.masters}-master cluster of {origin}"
        node_dir = self.data_dir / str(port)
        node_dir.mkdir(parents=True, exist_ok=True)
        log = (node_dir / "redis.log").open("ab")
        self._processes[port] = await asyncio.create_subprocess_exec(
            executable,
            *("--port", str(port), "--cluster-port", str(self.bus_ports[self.ports.index(port)])),
            *("--bind", "127.0.0.1", "--dir", str(node_dir), "--cluster-enabled", "yes"),
            *("--appendonly", "yes", "--appendfsync", "everysec", "--save", ""),
            stdout=log,
            stderr=asyncio.subprocess.STDOUT,
        )
        log.close()

    async def _wait_ok(self) -> None:
        async with asyncio.timeout(START_TIMEOUT_S):
            for port in self.ports:
                client = aioredis.Redis(port=port)
                try:
                    while True:
                        try:
                            info = await client.execute_command("CLUSTER", "INFO")
                            if b"cluster_state:ok" in info:
                                break
                        except (RedisError, OSError):
                            pass
                        await asyncio.sleep(_POLL_S)
                finally:
                    await client.aclose()

    async def _owner(self) -> int:
        client = aioredis.Redis(port=self.ports[0])
        try:
            slot = int(await client.execute_command("CLUSTER", "KEYSLOT", self.key))
            for start, end, master, *_ in await client.execute_command("CLUSTER", "SLOTS"):
                if start <= slot <= end:
                    return int(master[1])
        finally:
            await client.aclose()
        raise RuntimeError(f"no master serves slot {slot}")

    async def restart(self, *, down_s: float) -> None:
        """Stop the deployment's master gracefully, stay down, start it again."""
        owner = await self._owner()
        await _stop(self._processes.pop(owner), signal.SIGTERM)
        await asyncio.sleep(down_s)
        await self._start_node(owner)
        await self._wait_ok()
        self.restarts += 1

    async def stop(self) -> None:
        """Stop every node."""
        for process in self._processes.values():
            await _stop(process, signal.SIGTERM)
        self._processes.clear()


@dataclass
class SandboxServer:
    """`python -m service sandbox` in its own process; driven through its admin API."""

    log_path: Path
    api_id: str
    api_password: str
    fault_seed: int
    port: int = field(default_factory=free_port)
    extra_users: dict[str, str] = field(default_factory=dict)  # API id -> password
    _process: asyncio.subprocess.Process | None = None

    @property
    def url(self) -> str:
        """Root URL (the admin API is under /_sandbox/)."""
        return f"http://127.0.0.1:{self.port}"

    @property
    def base_url(self) -> str:
        """The Sitoo base URL the replicas are given."""
        return f"{self.url}/v2/accounts/90001"

    async def start(self) -> None:
        """Start the sandbox with the demo seed and one request in flight per API user."""
        log = self.log_path.open("ab")
        self._process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "service",
            "sandbox",
            "--port",
            str(self.port),
            "--seed",
            "demo",
            "--api-id",
            self.api_id,
            "--api-password",
            self.api_password,
            "--max-in-flight",
            "1",
            "--fault-seed",
            str(self.fault_seed),
            *(f"--extra-api-user={name}:{password}" for name, password in self.extra_users.items()),
            stdout=log,
            stderr=asyncio.subprocess.STDOUT,
            env=_clean_environment(),
        )
        log.close()
        async with httpx.AsyncClient(base_url=self.url) as client:
            async with asyncio.timeout(START_TIMEOUT_S):
                while True:
                    if self._process.returncode is not None:
                        raise RuntimeError(
                            f"sandbox exited with {self._process.returncode}; see {self.log_path}"
                        )
                    try:
                        if (await client.get("/_sandbox/faults")).status_code == httpx.codes.OK:
                            return
                    except httpx.TransportError:
                        await asyncio.sleep(_POLL_S)

    async def stop(self) -> None:
        """Stop it (SIGINT, as Ctrl-C would)."""
        if self._process is not None:
            await _stop(self._process, signal.SIGINT)
            self._process = None


@dataclass
class Replica:
    """One `python -m service run` process; killed with SIGKILL and started again by the run."""

    name: str
    env: dict[str, str]
    workdir: Path
    http_port: int = field(default_factory=free_port)
    starts: int = 0
    kills: int = 0
    unexpected_exits: list[int] = field(default_factory=list)
    _process: asyncio.subprocess.Process | None = None

    @property
    def log_path(self) -> Path:
        """JSON log lines of every start of this replica."""
        return self.workdir / f"{self.name}.log"

    @property
    def pid(self) -> int | None:
        """The process id while it runs."""
        return self._process.pid if self._process is not None else None

    def alive(self) -> bool:
        """True while the process runs."""
        return self._process is not None and self._process.returncode is None

    def note_unexpected_exit(self) -> int | None:
        """The exit code if it stopped without being told to (recorded once), else None."""
        if self._process is None or self._process.returncode is None:
            return None
        code = self._process.returncode
        self.unexpected_exits.append(code)
        self._process = None
        return code

    async def start(self) -> None:
        """Start it and wait until /readyz is green."""
        self.workdir.mkdir(parents=True, exist_ok=True)
        env = {
            **_clean_environment(),
            **self.env,
            "SITOO_SYNC_STREAMS__CONSUMER": self.name,
            "SITOO_SYNC_HTTP__HOST": "127.0.0.1",
            "SITOO_SYNC_HTTP__PORT": str(self.http_port),
        }
        log = self.log_path.open("ab")
        self._process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "service",
            "run",
            cwd=self.workdir,
            env=env,
            stdout=log,
            stderr=asyncio.subprocess.STDOUT,
        )
        log.close()
        self.starts += 1
        await self.wait_ready()

    async def wait_ready(self, timeout_s: float = START_TIMEOUT_S) -> None:
        """Wait until /readyz answers 200 (Redis reachable, every subscriber running)."""
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{self.http_port}") as client:
            async with asyncio.timeout(timeout_s):
                while True:
                    if not self.alive():
                        raise RuntimeError(f"replica {self.name} exited; see {self.log_path}")
                    try:
                        if (await client.get("/readyz")).status_code == httpx.codes.OK:
                            return
                    except httpx.TransportError:
                        pass
                    await asyncio.sleep(0.1)

    async def ready(self) -> bool:
        """One look at /readyz."""
        try:
            async with httpx.AsyncClient(timeout=2.0) as client:
                answer = await client.get(f"http://127.0.0.1:{self.http_port}/readyz")
        except httpx.TransportError:
            return False
        return answer.status_code == httpx.codes.OK

    async def kill(self) -> None:
        """SIGKILL: no graceful shutdown, entries in flight stay pending."""
        if self._process is not None:
            await _stop(self._process, signal.SIGKILL)
            self._process = None
            self.kills += 1

    async def stop(self) -> int | None:
        """SIGTERM and wait; the exit code, or None when it was not running."""
        if self._process is None:
            return None
        code = await _stop(self._process, signal.SIGTERM)
        self._process = None
        return code
