"""The service in-process against real Redis and the sandbox over HTTP, probed over ASGI."""

from __future__ import annotations

import asyncio
import contextlib
import json
import uuid
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from faststream.asgi import AsgiFastStream
from opentelemetry.sdk.trace.export import SpanExporter
from pydantic import SecretStr

from service.app import create_app
from service.sandbox import RunningSandbox, SandboxConfig, serve_sandbox
from service.settings import (
    ConsumerSettings,
    PollerSettings,
    RedisSettings,
    Settings,
    SitooSettings,
    StreamSettings,
)

API_ID = "obs-test"
API_PASSWORD = "obs-test-password"


@pytest.fixture
def sandbox_config() -> SandboxConfig:
    """The sandbox's configuration; tests may change its faults or credentials while it runs."""
    return SandboxConfig(credentials={API_ID: SecretStr(API_PASSWORD)}, seed="demo")


@pytest.fixture
async def sandbox(sandbox_config: SandboxConfig) -> AsyncIterator[RunningSandbox]:
    """A demo sandbox served by uvicorn on a free port."""
    async with serve_sandbox(sandbox_config, port=0) as running:
        yield running


def service_settings(
    sandbox: RunningSandbox, redis_url: str, unique: str, **overrides: Any
) -> Settings:
    """Settings with this test's own streams and keys, pollers off unless asked for."""
    values: dict[str, Any] = {
        "sitoo": SitooSettings(
            base_url=sandbox.base_url,
            api_id=API_ID,
            api_password=SecretStr(API_PASSWORD),
            read_timeout_s=2.0,
            call_deadline_s=10.0,
        ),
        "redis": RedisSettings(url=SecretStr(redis_url), key_prefix=unique),
        "streams": StreamSettings(
            orders=f"{unique}.orders",
            giftcards=f"{unique}.giftcards",
            giftcard_requests=f"{unique}.giftcard-requests",
            stock=f"{unique}.stock",
            results=f"{unique}.results",
            outbound=f"{unique}.outbound",
            sitoo_webhooks=f"{unique}.webhooks",
            consumer=f"{unique}-replica-1",
            reclaim_idle_ms=1000,
            max_deliveries=3,
        ),
        "consumers": ConsumerSettings(directory_cache_s=0.0),
        "pollers": PollerSettings(enabled=False),
    }
    values.update(overrides)
    return Settings(**values)


@contextlib.asynccontextmanager
async def running_service(
    settings: Settings,
    *,
    request_exit: Callable[[], None] | None = None,
    span_exporter: SpanExporter | None = None,
) -> AsyncIterator[tuple[AsgiFastStream, httpx.AsyncClient]]:
    """create_app(settings) through its lifespan in its own task, with an ASGI HTTP client.

    The lifespan holds an anyio task group, which must be entered and left by one task.
    """
    app = create_app(settings, request_exit=request_exit, span_exporter=span_exporter)
    started = asyncio.Event()
    stop = asyncio.Event()

    async def run() -> None:
        async with app.start_lifespan_context():
            started.set()
            await stop.wait()

    task = asyncio.create_task(run())
    try:
        async with asyncio.timeout(15):
            await started.wait()
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://service") as client:
            yield app, client
    finally:
        stop.set()
        await task


async def wait_for_status(
    client: httpx.AsyncClient, path: str, status: int, *, timeout_s: float = 20.0
) -> dict[str, Any]:
    """Poll ``path`` until it answers ``status``; returns the JSON body of that answer."""
    async with asyncio.timeout(timeout_s):
        while True:
            answer = await client.get(path)
            if answer.status_code == status:
                body: dict[str, Any] = answer.json()
                return body
            await asyncio.sleep(0.05)


async def wait_for_checks(
    client: httpx.AsyncClient, *, timeout_s: float = 20.0, **expected: bool
) -> dict[str, Any]:
    """Poll /readyz until each named check has the expected value; returns that answer."""
    async with asyncio.timeout(timeout_s):
        while True:
            body: dict[str, Any] = (await client.get("/readyz")).json()
            if all(body["checks"][name] is value for name, value in expected.items()):
                return body
            await asyncio.sleep(0.05)


def envelope(event_type: str, data: dict[str, Any]) -> dict[str, Any]:
    """An inbound envelope with a fresh event id."""
    return {
        "event_id": f"evt-{uuid.uuid4().hex}",
        "type": event_type,
        "schema_version": 1,
        "occurred_at": datetime.now(UTC).isoformat(),
        "source": "webshop",
        "data": data,
    }


def pickup_order(order_id: str) -> dict[str, Any]:
    """A small click-and-collect order of one demo product, paid in full."""
    return {
        "order_id": order_id,
        "currency": "SEK",
        "customer": {"email": "anna@example.com", "first_name": "Anna", "last_name": "Berg"},
        "fulfilment": {"kind": "pickup", "store_externalid": "STORE-1"},
        "lines": [
            {
                "sku": "SKU-0001",
                "name": "T-shirt",
                "quantity": 1,
                "unit_price": "249.00",
                "vat_rate": "25",
            }
        ],
        "payments": [
            {"method": "Card", "amount": "249.00", "state": "captured", "reference": "psp-1"}
        ],
        "total": "249.00",
    }


def order_fields(order_id: str) -> dict[str, bytes]:
    """The fields a webshop XADDs for one order.placed event."""
    document = envelope("order.placed", pickup_order(order_id))
    return {"event": json.dumps(document).encode()}


async def results_of(redis: Any, stream: str, *, count: int, timeout_s: float = 20.0) -> list[Any]:
    """Wait until ``stream`` holds at least ``count`` result events; all of them, decoded."""
    async with asyncio.timeout(timeout_s):
        while True:
            entries = await redis.xrange(stream)
            if len(entries) >= count:
                return [json.loads(fields[b"event"]) for _, fields in entries]
            await asyncio.sleep(0.05)
