"""`sitoo-sync run` as a user starts it, with and without configuration."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import socket
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import httpx
import pytest

from service.sandbox import SandboxConfig, serve_sandbox

STARTUP_TIMEOUT_S = 45.0


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@asynccontextmanager
async def _running_service(env: dict[str, str], cwd: Path) -> AsyncIterator[tuple[int, Path]]:
    """Start `python -m service run`, wait until /readyz is green, stop it with SIGTERM."""
    port = _free_port()
    log_path = cwd / "service.log"
    full_env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "SITOO_SYNC_HTTP__HOST": "127.0.0.1",
        "SITOO_SYNC_HTTP__PORT": str(port),
        "SITOO_SYNC_SANDBOX__PORT": "0",
        "SITOO_SYNC_POLLERS__ENABLED": "false",
        **env,
    }
    with log_path.open("wb") as log_file:
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "service",
            "run",
            cwd=cwd,
            env=full_env,
            stdout=log_file,
            stderr=asyncio.subprocess.STDOUT,
        )
        try:
            async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as client:
                deadline = asyncio.get_running_loop().time() + STARTUP_TIMEOUT_S
                while True:
                    assert process.returncode is None, log_path.read_text()
                    try:
                        if (await client.get("/readyz")).status_code == 200:
                            break
                    except httpx.TransportError:
                        pass
                    assert asyncio.get_running_loop().time() < deadline, log_path.read_text()
                    await asyncio.sleep(0.2)
            yield port, log_path
        finally:
            if process.returncode is None:
                process.send_signal(signal.SIGTERM)
                await asyncio.wait_for(process.wait(), timeout=30)
    # uvicorn finishes the graceful shutdown, then re-raises SIGTERM so the exit status says why.
    assert process.returncode in {0, -signal.SIGTERM}, log_path.read_text()
    assert "Application shutdown complete." in log_path.read_text()


def _events(log_path: Path) -> list[dict[str, object]]:
    return [json.loads(line) for line in log_path.read_text().splitlines() if line.startswith("{")]


async def test_run_without_configuration_uses_sandbox_and_embedded_redis(tmp_path: Path) -> None:
    """With nothing configured, run warns that it uses the sandbox and an embedded Redis."""
    async with _running_service({}, tmp_path) as (port, log_path):
        async with httpx.AsyncClient() as client:
            health = await client.get(f"http://127.0.0.1:{port}/healthz")
        assert health.status_code == 200
    names = {event["event"] for event in _events(log_path)}
    assert {"sitoo.sandbox_in_use", "redis.embedded_in_use", "service.started"} <= names
    warning = next(e for e in _events(log_path) if e["event"] == "sitoo.sandbox_in_use")
    assert warning["level"] == "warning"
    assert "NOT a real Sitoo" in str(warning["message"])


async def test_run_with_configuration_starts_nothing_embedded(
    tmp_path: Path, redis_url: str
) -> None:
    """With Sitoo credentials and a Redis URL, run uses them and embeds nothing."""
    config = SandboxConfig(credentials={"10020-140": "real-looking-password"}, seed="demo")
    async with serve_sandbox(config, port=0) as sitoo:
        env = {
            "SITOO_SYNC_SITOO__BASE_URL": sitoo.base_url,
            "SITOO_SYNC_SITOO__API_ID": "10020-140",
            "SITOO_SYNC_SITOO__API_PASSWORD": "real-looking-password",
            "SITOO_SYNC_REDIS__URL": redis_url,
        }
        async with _running_service(env, tmp_path) as (_port, log_path):
            pass
    events = _events(log_path)
    names = {event["event"] for event in events}
    assert "sitoo.sandbox_in_use" not in names
    assert "redis.embedded_in_use" not in names
    started = next(e for e in events if e["event"] == "service.started")
    assert started["sitoo"] == sitoo.base_url
    assert "real-looking-password" not in log_path.read_text()


@pytest.mark.parametrize("variable", ["SITOO_SYNC_HTTP__PORT", "SITOO_SYNC_SITOO__MAX_IN_FLIGHT"])
async def test_run_refuses_bad_configuration(tmp_path: Path, variable: str) -> None:
    """A bad value stops run at once with exit code 2 and one line naming the variable."""
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "service",
        "run",
        cwd=tmp_path,
        env={"PATH": os.environ.get("PATH", ""), variable: "0"},
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    stdout, stderr = await asyncio.wait_for(process.communicate(), timeout=60)
    assert process.returncode == 2
    assert stdout == b""
    assert stderr.decode().startswith(f"configuration error: {variable}:")


@pytest.mark.parametrize(
    ("adapter", "expected"),
    [
        (
            {
                "SITOO_SYNC_WOOCOMMERCE__URL": "http://127.0.0.1:9",
                "SITOO_SYNC_WOOCOMMERCE__CONSUMER_KEY": "ck_start_check",
                "SITOO_SYNC_WOOCOMMERCE__CONSUMER_SECRET": "cs_start_check",
                "SITOO_SYNC_WOOCOMMERCE__WEBHOOK_SECRET": "startcheck",
                "SITOO_SYNC_WOOCOMMERCE__PICKUP_LOCATIONS": '{"Store Oslo": "STORE-9"}',
            },
            (
                "configuration error: SITOO_SYNC_WOOCOMMERCE__PICKUP_LOCATIONS names unknown "
                "Sitoo stores: STORE-9"
            ),
        ),
        (
            {
                "SITOO_SYNC_SHOPIFY__ADMIN_URL": "http://127.0.0.1:9",
                "SITOO_SYNC_SHOPIFY__ACCESS_TOKEN": "shpat_start_check",
                "SITOO_SYNC_SHOPIFY__WEBHOOK_SECRET": "start-check",
                "SITOO_SYNC_SHOPIFY__LOCATIONS": (
                    '{"70000000001": {"store_id": 999, "warehouse_id": 1, "stock_master": "sitoo"}}'
                ),
            },
            (
                "configuration error: SITOO_SYNC_SHOPIFY__LOCATIONS: location 70000000001 names "
                "store 999, which is not a Sitoo store"
            ),
        ),
    ],
    ids=["woocommerce-mapping", "shopify-locations"],
)
async def test_run_refuses_a_mapping_sitoo_does_not_have_in_one_line(
    tmp_path: Path, adapter: dict[str, str], expected: str
) -> None:
    """A mapping checked against the sandbox at start: one line naming it, exit 2, no traceback."""
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "service",
        "run",
        cwd=tmp_path,
        env={
            "PATH": os.environ.get("PATH", ""),
            "SITOO_SYNC_HTTP__HOST": "127.0.0.1",
            "SITOO_SYNC_HTTP__PORT": str(_free_port()),
            "SITOO_SYNC_SANDBOX__PORT": "0",
            **adapter,
        },
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    stdout, stderr = await asyncio.wait_for(process.communicate(), timeout=60)
    out, err = stdout.decode(), stderr.decode()
    assert process.returncode == 2, out + err
    assert err == expected + "\n"
    assert "Traceback" not in out + err
    setting = expected.split()[2].rstrip(":")
    assert (out + err).count(setting) == 1, out
    # The stand-ins were stopped on the way out: the next start is not refused as a second run.
    assert not (tmp_path / ".local" / "devstack.json").exists()
