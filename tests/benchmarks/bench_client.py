"""Benchmark of the Sitoo client: overhead, budget utilisation, interactive wait under load.

Run: ``REDIS_URL=redis://127.0.0.1:6379/0 .venv/bin/python -m tests.benchmarks.bench_client``
"""

from __future__ import annotations

import asyncio
import os
import socket
import statistics
import sys
import time
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
import redis.asyncio as aioredis
from pydantic import SecretStr

from service.records.keys import DeploymentKeys
from service.records.operations import RedisIdempotencyStore
from service.sandbox import (
    SandboxConfig,
    create_sandbox_app,
    sandbox_transport,
)
from service.settings import SitooSettings
from service.sitoo import Lane, RedisLimiter, SitooClient, build_http_client

CARD = "95000000000000000001"
LATENCY_MS = 20.0


def _settings(base_url: str) -> SitooSettings:
    return SitooSettings(
        base_url=base_url,  # type: ignore[arg-type]
        api_id="sandbox",
        api_password=SecretStr("sandbox"),
    )


@asynccontextmanager
async def _client(
    redis: aioredis.Redis, settings: SitooSettings, transport: httpx.AsyncBaseTransport | None
) -> AsyncIterator[SitooClient]:
    prefix = f"bench-{uuid.uuid4().hex[:8]}"
    async with build_http_client(settings, transport=transport) as http:
        yield SitooClient(
            http=http,
            limiter=RedisLimiter.from_settings(redis, settings, keys=DeploymentKeys(prefix)),
            idempotency=RedisIdempotencyStore(
                redis, keys=DeploymentKeys(prefix), retention_s=600, lease_s=120
            ),
            settings=settings,
        )


def _report(*lines: str) -> None:
    sys.stdout.write("\n".join(lines) + "\n")


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


async def overhead(redis: aioredis.Redis, calls: int = 500) -> None:
    """Client (limiter + retries + parsing) versus a bare httpx GET, in-process sandbox."""
    app = create_sandbox_app(SandboxConfig())
    settings = _settings("http://sandbox/v2/accounts/90001")
    transport = sandbox_transport(app)
    auth = httpx.BasicAuth("sandbox", "sandbox")
    async with httpx.AsyncClient(
        base_url="http://sandbox/v2/accounts/90001/", transport=transport
    ) as raw:
        started = time.perf_counter()
        for _ in range(calls):
            (await raw.get(f"sites/1/giftcards/{CARD}.json", auth=auth)).raise_for_status()
        raw_s = (time.perf_counter() - started) / calls
    async with _client(redis, settings, sandbox_transport(app)) as client:
        started = time.perf_counter()
        for _ in range(calls):
            await client.get_giftcard(CARD)
        client_s = (time.perf_counter() - started) / calls
    _report(
        f"overhead: raw httpx {raw_s * 1e6:7.0f} us/call, client {client_s * 1e6:7.0f} us/call,",
        f"          added {(client_s - raw_s) * 1e6:7.0f} us/call (limiter + parsing)",
    )


@asynccontextmanager
async def _sandbox_process(latency_ms: float) -> AsyncIterator[str]:
    """The sandbox in its own process (as Sitoo would be), answering on a free port."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    code = (
        "from service.sandbox import FaultConfig, SandboxConfig, run_sandbox_forever;"
        f"run_sandbox_forever(SandboxConfig(faults=FaultConfig(latency_ms={latency_ms})),"
        f" port={port})"
    )
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-c", code, stderr=asyncio.subprocess.DEVNULL
    )
    url = f"http://127.0.0.1:{port}/v2/accounts/90001"
    try:
        async with httpx.AsyncClient() as probe_client:
            for _ in range(200):
                try:
                    await probe_client.get(f"{url}/sites.json", auth=("sandbox", "sandbox"))
                    break
                except httpx.TransportError:
                    await asyncio.sleep(0.05)
        yield url
    finally:
        process.terminate()
        await process.wait()


async def utilisation(redis: aioredis.Redis, seconds: float = 4.0, workers: int = 8) -> None:
    """Share of wall time Sitoo is busy with our one-in-flight budget at 20 ms latency."""
    async with _sandbox_process(LATENCY_MS) as url:
        async with httpx.AsyncClient(base_url=url + "/") as raw:
            started = time.perf_counter()
            raw_calls = 0
            while time.perf_counter() - started < seconds / 2:
                await raw.get(f"sites/1/giftcards/{CARD}.json", auth=("sandbox", "sandbox"))
                raw_calls += 1
            raw_rate = raw_calls / (time.perf_counter() - started)
        async with _client(redis, _settings(url), None) as client:
            await client.get_giftcard(CARD)  # warm the connection
            stop = time.perf_counter() + seconds
            done = 0

            async def worker() -> None:
                nonlocal done
                while time.perf_counter() < stop:
                    await client.get_giftcard(CARD, lane=Lane.BULK)
                    done += 1

            started = time.perf_counter()
            await asyncio.gather(*(worker() for _ in range(workers)))
            rate = done / (time.perf_counter() - started)
    _report(
        f"utilisation at {LATENCY_MS:.0f} ms latency, sandbox in its own process: "
        f"{rate:.1f} calls/s through the client ({workers} workers) vs {raw_rate:.1f} calls/s "
        f"back-to-back raw httpx -> {rate / raw_rate:.1%} of the achievable rate; Sitoo busy "
        f"{rate / raw_rate:.1%} of the time counting its whole round trip "
        f"({1000 / raw_rate:.1f} ms, raw httpx back to back), "
        f"{rate * LATENCY_MS / 1000:.1%} counting only the {LATENCY_MS:.0f} ms latency "
        f"(raw httpx itself reaches {raw_rate * LATENCY_MS / 1000:.1%} by that count)"
    )


async def interactive_wait(redis: aioredis.Redis, samples: int = 60) -> None:
    """Latency of interactive calls alone and while 8 bulk workers saturate the budget."""
    async with (
        _sandbox_process(LATENCY_MS) as url,
        _client(redis, _settings(url), None) as client,
    ):

        async def measure() -> list[float]:
            waits = []
            for _ in range(samples):
                started = time.perf_counter()
                await client.get_giftcard(CARD, lane=Lane.INTERACTIVE)
                waits.append((time.perf_counter() - started) * 1000)
                await asyncio.sleep(0.01)
            return waits

        idle = await measure()
        stop = asyncio.Event()

        async def bulk() -> None:
            while not stop.is_set():
                await client.get_giftcard(CARD, lane=Lane.BULK)

        load = [asyncio.create_task(bulk()) for _ in range(8)]
        await asyncio.sleep(0.2)
        loaded = await measure()
        stop.set()
        await asyncio.gather(*load)
    for name, values in (("idle", idle), ("under bulk load", loaded)):
        _report(
            f"interactive call {name:>16}: p50 {statistics.median(values):6.1f} ms, "
            f"p99 {_pct(values, 0.99):6.1f} ms (sandbox latency {LATENCY_MS:.0f} ms)"
        )


async def main() -> None:
    """Run all three measurements."""
    redis = aioredis.Redis.from_url(os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0"))
    try:
        await overhead(redis)
        await utilisation(redis)
        await interactive_wait(redis)
    finally:
        await redis.aclose()


if __name__ == "__main__":
    asyncio.run(main())
