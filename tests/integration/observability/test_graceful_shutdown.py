"""SIGTERM while a handler is mid-call: nothing is lost, nothing is applied twice."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import httpx
import pytest
import redis.asyncio as aioredis
from pydantic import SecretStr

from service.sandbox import RunningSandbox, SandboxConfig, serve_sandbox
from service.sandbox.config import FaultConfig
from tests.integration.observability.conftest import order_fields, results_of
from tests.integration.observability.redis_process import free_port

API_ID = "shutdown-test"
API_PASSWORD = "shutdown-test-password"
START_TIMEOUT_S = 45.0
ORDER_IDS = ("W-SIGTERM-1", "W-SIGTERM-2", "W-SIGTERM-3")


class Service:
    """`python -m service run` in its own process, configured only through the environment."""

    def __init__(self, env: dict[str, str], log_path: Path) -> None:
        self.port = free_port()
        self.env = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "SITOO_SYNC_HTTP__HOST": "127.0.0.1",
            "SITOO_SYNC_HTTP__PORT": str(self.port),
            "SITOO_SYNC_LOG__FORMAT": "json",
            **env,
        }
        self.log_path = log_path
        self.process: asyncio.subprocess.Process | None = None

    async def start(self) -> None:
        """Start it and wait until /readyz is green."""
        with self.log_path.open("ab") as log:
            self.process = await asyncio.create_subprocess_exec(
                sys.executable,
                "-m",
                "service",
                "run",
                cwd=self.log_path.parent,
                env=self.env,
                stdout=log,
                stderr=asyncio.subprocess.STDOUT,
            )
        async with self.http() as client, asyncio.timeout(START_TIMEOUT_S):
            while True:
                assert self.process.returncode is None, self.log_path.read_text()
                try:
                    if (await client.get("/readyz")).status_code == httpx.codes.OK:
                        return
                except httpx.TransportError:
                    pass
                await asyncio.sleep(0.1)

    def http(self) -> httpx.AsyncClient:
        """A client for the service's HTTP port."""
        return httpx.AsyncClient(base_url=f"http://127.0.0.1:{self.port}", timeout=5)

    async def sitoo_calls_in_flight(self) -> float:
        """sitoo_sync_sitoo_requests_in_flight as /metrics reports it."""
        async with self.http() as client:
            text = (await client.get("/metrics")).text
        name = "sitoo_sync_sitoo_requests_in_flight "
        line = next(x for x in text.splitlines() if x.startswith(name))
        return float(line.split()[1])

    async def terminate(self) -> int:
        """SIGTERM and wait for the exit status."""
        assert self.process is not None
        self.process.send_signal(signal.SIGTERM)
        return await asyncio.wait_for(self.process.wait(), timeout=START_TIMEOUT_S)

    async def kill(self) -> None:
        """SIGKILL if still running (test clean-up only)."""
        if self.process is not None and self.process.returncode is None:
            self.process.kill()
            await self.process.wait()

    def events(self) -> list[dict[str, object]]:
        """The JSON log lines written so far."""
        lines = self.log_path.read_text().splitlines()
        return [json.loads(line) for line in lines if line.startswith("{")]


@pytest.fixture
async def slow_sandbox() -> AsyncIterator[RunningSandbox]:
    """A sandbox where creating an order takes 1.5 s: a handler is mid-call for a good while."""
    config = SandboxConfig(credentials={API_ID: SecretStr(API_PASSWORD)}, seed="demo")
    config.faults = FaultConfig(latency_ms=1500, writes_only=True, path_contains="orders")
    async with serve_sandbox(config, port=0) as running:
        yield running


@asynccontextmanager
async def service_process(env: dict[str, str], log_path: Path) -> AsyncIterator[Service]:
    """A started service process, killed at the end if the test left it running."""
    service = Service(env, log_path)
    try:
        await service.start()
        yield service
    finally:
        await service.kill()


def _env(sandbox: RunningSandbox, redis_url: str, unique: str, grace_s: float) -> dict[str, str]:
    return {
        "SITOO_SYNC_SITOO__BASE_URL": sandbox.base_url,
        "SITOO_SYNC_SITOO__API_ID": API_ID,
        "SITOO_SYNC_SITOO__API_PASSWORD": API_PASSWORD,
        "SITOO_SYNC_SITOO__CALL_DEADLINE_S": "5",
        # The default 120 s lease: a cut-off handler must hand its event back, not let it lapse.
        "SITOO_SYNC_REDIS__URL": redis_url,
        "SITOO_SYNC_REDIS__KEY_PREFIX": unique,
        "SITOO_SYNC_STREAMS__ORDERS": f"{unique}.orders",
        "SITOO_SYNC_STREAMS__RESULTS": f"{unique}.results",
        "SITOO_SYNC_STREAMS__CONSUMER": f"{unique}-replica",
        "SITOO_SYNC_STREAMS__RECLAIM_IDLE_MS": "1000",
        "SITOO_SYNC_STREAMS__MAX_DELIVERIES": "3",
        "SITOO_SYNC_HTTP__SHUTDOWN_GRACE_S": str(grace_s),
        "SITOO_SYNC_POLLERS__ENABLED": "true",
        "SITOO_SYNC_POLLERS__LEASE_TTL_S": "60",
    }


async def _sigterm_mid_handler(service: Service, redis: aioredis.Redis, stream: str) -> int:
    """Publish the orders, wait until a Sitoo write is in flight, then SIGTERM."""
    for order_id in ORDER_IDS:
        await redis.xadd(stream, order_fields(order_id))
    async with asyncio.timeout(20):
        while await service.sitoo_calls_in_flight() < 1:
            await asyncio.sleep(0.02)
    return await service.terminate()


async def _assert_handed_back(redis: aioredis.Redis, prefix: str) -> None:
    """Every poller had led (its fencing counter exists) and released its lease; no slot is held."""
    pollers = ("stock", "orders", "giftcards")
    assert await redis.exists(*(f"{prefix}:lease:{name}:fence" for name in pollers)) == 3
    assert await redis.exists(*(f"{prefix}:lease:{name}" for name in pollers)) == 0
    assert await redis.zcard(f"{prefix}:limiter:slots:{API_ID}") == 0


async def _assert_each_order_once(
    sandbox: RunningSandbox, redis: aioredis.Redis, results_stream: str
) -> None:
    results = await results_of(redis, results_stream, count=len(ORDER_IDS), timeout_s=40)
    await asyncio.sleep(1.5)  # a duplicate would surface within a reclaim period
    results = await results_of(redis, results_stream, count=len(ORDER_IDS))
    assert len(results) == len(ORDER_IDS)
    assert {r["data"]["status"] for r in results} == {"succeeded"}, results
    assert len({r["data"]["inbound_event_id"] for r in results}) == len(ORDER_IDS)
    for order_id in ORDER_IDS:
        assert len(sandbox.sandbox.find_orders(externalid=order_id)) == 1, order_id
    assert len(sandbox.sandbox.ledger_entries(kind="order.create")) == len(ORDER_IDS)


async def test_sigterm_lets_the_handler_finish_and_stops_reading(
    slow_sandbox: RunningSandbox, redis_url: str, redis: aioredis.Redis, unique: str, tmp_path: Path
) -> None:
    """Within the grace the in-flight order completes and is acked; the rest waits for a restart."""
    env = _env(slow_sandbox, redis_url, unique, grace_s=15)
    stream, results_stream = f"{unique}.orders", f"{unique}.results"
    async with service_process(env, tmp_path / "service.log") as service:
        code = await _sigterm_mid_handler(service, redis, stream)
    assert code in {0, -signal.SIGTERM}, service.log_path.read_text()
    names = [e["event"] for e in service.events()]
    assert "service.shutdown_started" in names
    # The in-flight entry was finished and acknowledged; later ones were never read.
    assert (await redis.xpending(stream, "sitoo-sync"))["pending"] == 0
    finished = len(await redis.xrange(results_stream))
    assert 1 <= finished < len(ORDER_IDS)
    # Leases and limiter slots were handed back, not left to expire.
    await _assert_handed_back(redis, unique)

    async with service_process(env, tmp_path / "service-2.log"):
        await _assert_each_order_once(slow_sandbox, redis, results_stream)


async def test_sigterm_past_the_grace_hands_the_entry_back_and_it_is_applied_once(
    slow_sandbox: RunningSandbox, redis_url: str, redis: aioredis.Redis, unique: str, tmp_path: Path
) -> None:
    """A handler cut off by a short grace leaves its entry pending; after restart it lands once."""
    env = _env(slow_sandbox, redis_url, unique, grace_s=0.2)
    stream, results_stream = f"{unique}.orders", f"{unique}.results"
    async with service_process(env, tmp_path / "service.log") as service:
        code = await _sigterm_mid_handler(service, redis, stream)
    assert code in {0, -signal.SIGTERM}, service.log_path.read_text()
    # Cut off mid-write: not acknowledged, so it is still pending for a reclaimer.
    assert (await redis.xpending(stream, "sitoo-sync"))["pending"] == 1
    assert await redis.xrange(results_stream) == []
    await _assert_handed_back(redis, unique)

    async with service_process(env, tmp_path / "service-2.log"):
        await _assert_each_order_once(slow_sandbox, redis, results_stream)
