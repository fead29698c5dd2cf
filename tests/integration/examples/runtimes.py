"""The programs the examples run in: redis-cli, PHP with phpredis, Node with ioredis.

Outside CI a missing runtime skips its tests with the reason; with
``SITOO_SYNC_REQUIRE_EXAMPLE_RUNTIMES=1`` (set by ``.ci/run``) it fails them, so CI never
passes an example it did not run.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

# Read at import: the suite's autouse fixture hides SITOO_SYNC_* variables from each test.
REQUIRED = os.environ.get("SITOO_SYNC_REQUIRE_EXAMPLE_RUNTIMES", "") == "1"
NODE_PROJECT = Path(__file__).resolve().parent / "node"
INSTALL_HINT = {
    "redis-cli": "apt-get install redis-tools, or install the dev extras (pip install -e '.[dev]')",
    "php": "apt-get install -y php-cli php-redis",
    "node": f"install Node.js 20+, then: npm ci --prefix {NODE_PROJECT}",
}


def _missing(runtime: str, why: str) -> None:
    message = f"{runtime} example runtime unavailable: {why} ({INSTALL_HINT[runtime]})"
    if REQUIRED:
        pytest.fail(message + "; SITOO_SYNC_REQUIRE_EXAMPLE_RUNTIMES=1 requires it")
    pytest.skip(message)


def redis_cli() -> str:
    """redis-cli from PATH, else the one installed beside this interpreter."""
    found = shutil.which("redis-cli")
    if found is None:
        beside = Path(sys.executable).parent / "redis-cli"
        found = str(beside) if beside.exists() else None
    if found is None:
        _missing("redis-cli", "not on PATH nor beside the interpreter")
    assert found is not None
    return found


def php() -> str:
    """php with the redis extension loaded."""
    found = shutil.which("php")
    if found is None:
        _missing("php", "php is not on PATH")
    assert found is not None
    probe = subprocess.run(
        [found, "-r", "exit(extension_loaded('redis') ? 0 : 1);"], check=False, timeout=30
    )
    if probe.returncode != 0:
        _missing("php", "the php redis extension (phpredis) is not loaded")
    return found


def node() -> str:
    """node, with ioredis installed in the examples' node project."""
    found = shutil.which("node")
    if found is None:
        _missing("node", "node is not on PATH")
    if not (NODE_PROJECT / "node_modules" / "ioredis" / "package.json").exists():
        _missing("node", f"ioredis is not installed in {NODE_PROJECT}")
    assert found is not None
    return found


@dataclass(frozen=True)
class Ran:
    """What a program printed and how it ended."""

    status: int
    stdout: str
    stderr: str


async def run(argv: list[str], *, env: dict[str, str], cwd: Path, timeout_s: float = 60.0) -> Ran:
    """Run a program to its end without blocking the event loop the service runs in."""
    process = await asyncio.create_subprocess_exec(
        *argv,
        cwd=cwd,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        async with asyncio.timeout(timeout_s):
            out, err = await process.communicate()
    except TimeoutError:
        process.kill()
        await process.wait()
        raise
    assert process.returncode is not None
    return Ran(process.returncode, out.decode(), err.decode())


def link_node_modules(workdir: Path) -> None:
    """Make ``import Redis from "ioredis"`` resolve for scripts written to ``workdir``."""
    (workdir / "node_modules").symlink_to(NODE_PROJECT / "node_modules", target_is_directory=True)
