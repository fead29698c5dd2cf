"""`sitoo-sync run` with nothing configured, as a person starts it, for the dev-stack tests."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

START_TIMEOUT_S = 60.0
BANNER = "sitoo-sync dev stack is ready"


def free_port() -> int:
    """A port nobody listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def port_open(port: int) -> bool:
    """True while something accepts connections on 127.0.0.1:port."""
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5):
            return True
    except OSError:
        return False


def bare_environment(**extra: str) -> dict[str, str]:
    """What a person's shell has: PATH and HOME, no SITOO_SYNC_* and no REDIS_URL."""
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": os.environ.get("HOME", "/")}
    env.update(extra)
    return env


def cli(cwd: Path, *arguments: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    """`sitoo-sync ARGS` run in ``cwd`` with nothing configured."""
    return cli_with(cwd, {}, *arguments, timeout=timeout)


def cli_with(
    cwd: Path, settings: dict[str, str], *arguments: str, timeout: float = 60
) -> subprocess.CompletedProcess[str]:
    """`sitoo-sync ARGS` run in ``cwd`` with only ``settings`` configured."""
    return subprocess.run(
        [sys.executable, "-m", "service", *arguments],
        cwd=cwd,
        env=bare_environment(**settings),
        capture_output=True,
        text=True,
        check=False,
        timeout=timeout,
    )


@dataclass
class DevRun:
    """A running `sitoo-sync run`: its process, output file and state file."""

    process: asyncio.subprocess.Process
    output: Path
    state: dict[str, Any]

    @property
    def text(self) -> str:
        """Everything it printed so far."""
        return self.output.read_text(errors="replace")

    @property
    def redis_url(self) -> str:
        """The embedded Redis's URL, from the state file."""
        return str(self.state["redis_url"])

    @property
    def redis_port(self) -> int:
        """The embedded Redis's port."""
        return int(self.redis_url.rsplit(":", 1)[1].split("/", 1)[0])

    @property
    def sandbox_url(self) -> str:
        """Where the sandbox answers (no path)."""
        return str(self.state["sandbox"]["admin_url"]).removesuffix("/_sandbox")


@contextlib.asynccontextmanager
async def dev_run(
    cwd: Path, *arguments: str, log_name: str = "run.log", **settings: str
) -> AsyncIterator[DevRun]:
    """Start `run` in ``cwd``; wait for its banner; stop it with SIGTERM at the end."""
    output = cwd / log_name
    defaults = {
        "SITOO_SYNC_HTTP__HOST": "127.0.0.1",
        "SITOO_SYNC_HTTP__PORT": str(free_port()),
        "SITOO_SYNC_SANDBOX__PORT": "0",
    }
    env = bare_environment(**{**defaults, **settings})
    with output.open("wb") as sink:
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "service",
            "run",
            *arguments,
            cwd=cwd,
            env=env,
            stdout=sink,
            stderr=asyncio.subprocess.STDOUT,
            start_new_session=True,  # leads its own process group, as in a terminal
        )
    try:
        deadline = asyncio.get_running_loop().time() + START_TIMEOUT_S
        state_file = cwd / ".local" / "devstack.json"
        while BANNER not in output.read_text(errors="replace"):
            assert process.returncode is None, output.read_text()
            assert asyncio.get_running_loop().time() < deadline, output.read_text()
            await asyncio.sleep(0.1)
        state = json.loads(state_file.read_text())
        assert state["pid"] == process.pid
        yield DevRun(process, output, state)
    finally:
        if process.returncode is None:
            process.send_signal(signal.SIGTERM)
            await asyncio.wait_for(process.wait(), timeout=40)
