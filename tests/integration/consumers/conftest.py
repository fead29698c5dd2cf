"""The service's consumers running in-process against real Redis and a sandbox over HTTP."""

from __future__ import annotations

import asyncio
import contextlib
import json
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime
from typing import Any

import pytest
import redis.asyncio as aioredis
from faststream.asgi import AsgiFastStream
from pydantic import SecretStr

from service.app import create_app
from service.sandbox import RunningSandbox, SandboxConfig, serve_sandbox
from service.settings import (
    ConsumerSettings,
    RedisSettings,
    Settings,
    SitooSettings,
    StreamSettings,
)

API_ID = "sync-test"
API_PASSWORD = "sync-test-password"


@pytest.fixture
async def sandbox() -> AsyncIterator[RunningSandbox]:
    """A fresh demo sandbox served by uvicorn on a free port."""
    config = SandboxConfig(credentials={API_ID: SecretStr(API_PASSWORD)}, seed="demo")
    async with serve_sandbox(config, port=0) as running:
        yield running


@pytest.fixture
def settings(
    sandbox: RunningSandbox, redis_url: str, unique: str, redis_cluster_mode: bool
) -> Settings:
    """Settings with this test's own streams, keys and a short reclaim time."""
    return Settings(
        sitoo=SitooSettings(
            base_url=sandbox.base_url,
            api_id=API_ID,
            api_password=SecretStr(API_PASSWORD),
            read_timeout_s=2.0,
            call_deadline_s=10.0,
        ),
        redis=RedisSettings(
            url=SecretStr(redis_url), key_prefix=unique, cluster=redis_cluster_mode
        ),
        streams=StreamSettings(
            orders=f"{unique}.orders",
            giftcards=f"{unique}.giftcards",
            giftcard_requests=f"{unique}.giftcard-requests",
            stock=f"{unique}.stock",
            results=f"{unique}.results",
            group="sitoo-sync",
            consumer=f"{unique}-replica-1",
            reclaim_idle_ms=1000,
            max_deliveries=3,
        ),
        consumers=ConsumerSettings(directory_cache_s=0.0),
    )


async def wait_until_running(app: AsgiFastStream, timeout_s: float = 10.0) -> None:
    """Wait until every subscriber of the app's broker reads its stream."""
    broker = app.broker
    assert broker is not None
    async with asyncio.timeout(timeout_s):
        while not (broker.subscribers and all(s.running for s in broker.subscribers)):
            await asyncio.sleep(0.01)


@contextlib.asynccontextmanager
async def running_service(settings: Settings) -> AsyncIterator[AsgiFastStream]:
    """Run create_app(settings) through its lifespan in its own task until the block ends.

    The lifespan holds an anyio task group, which must be entered and left by one task.
    """
    app = create_app(settings)
    started = asyncio.Event()
    stop = asyncio.Event()

    async def run() -> None:
        async with app.start_lifespan_context():
            started.set()
            await stop.wait()

    task = asyncio.create_task(run())
    try:
        async with asyncio.timeout(10):
            await started.wait()
        await wait_until_running(app)
        yield app
    finally:
        stop.set()
        await task


@pytest.fixture
async def service(settings: Settings) -> AsyncIterator[AsgiFastStream]:
    """The whole service (create_app) started through its lifespan, stopped afterwards."""
    async with running_service(settings) as app:
        yield app


def envelope(event_type: str, data: dict[str, Any], **overrides: Any) -> dict[str, Any]:
    """An inbound envelope with a fresh event id."""
    document: dict[str, Any] = {
        "event_id": f"evt-{uuid.uuid4().hex}",
        "type": event_type,
        "schema_version": 1,
        "occurred_at": datetime.now(UTC).isoformat(),
        "source": "webshop",
        "correlation_id": "corr-1",
        "data": data,
    }
    document.update(overrides)
    return document


Publish = Callable[..., Awaitable[str]]


@pytest.fixture
def publish(redis: aioredis.Redis) -> Publish:
    """XADD a plain entry (field `event` holding the JSON envelope) as any webshop would."""

    async def xadd(stream: str, document: dict[str, Any] | bytes, **fields: str) -> str:
        raw = document if isinstance(document, bytes) else json.dumps(document).encode()
        entry_id = await redis.xadd(stream, {"event": raw, **fields})
        return entry_id.decode()

    return xadd


async def read_results(
    redis: aioredis.Redis, stream: str, *, count: int, timeout_s: float = 15.0
) -> list[dict[str, Any]]:
    """Wait for at least ``count`` result events and return them all, oldest first."""
    async with asyncio.timeout(timeout_s):
        while True:
            entries = await redis.xrange(stream)
            if len(entries) >= count:
                return [json.loads(fields[b"event"]) for _, fields in entries]
            await asyncio.sleep(0.02)


async def results_by_inbound(
    redis: aioredis.Redis, stream: str, *, count: int, timeout_s: float = 15.0
) -> dict[str, dict[str, Any]]:
    """Result events keyed by the inbound event id."""
    results = await read_results(redis, stream, count=count, timeout_s=timeout_s)
    return {r["data"]["inbound_event_id"]: r for r in results}


async def pending(redis: aioredis.Redis, stream: str, group: str = "sitoo-sync") -> int:
    """Entries delivered but not acknowledged."""
    summary = await redis.xpending(stream, group)
    return int(summary["pending"])


async def settled(
    redis: aioredis.Redis, stream: str, group: str = "sitoo-sync", timeout_s: float = 10.0
) -> None:
    """Wait until every entry of the stream was read and acknowledged by the group."""
    async with asyncio.timeout(timeout_s):
        while True:
            [info] = [g for g in await redis.xinfo_groups(stream) if g["name"].decode() == group]
            if info["pending"] == 0 and info.get("lag", 0) == 0:
                return
            await asyncio.sleep(0.02)
