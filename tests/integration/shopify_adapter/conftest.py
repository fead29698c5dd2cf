"""The whole service over real HTTP with the Shopify adapter on, the strict sandbox and the fake."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
import uvicorn
from pydantic import SecretStr

from service.app import create_app
from service.fakes.shopify import FakeShopifyConfig, WebhookConfig, serve_fake_shopify
from service.fakes.shopify.server import RunningFakeShopify
from service.sandbox import RunningSandbox, SandboxConfig, serve_sandbox
from service.settings import (
    ConsumerSettings,
    HttpSettings,
    PollerSettings,
    RedisSettings,
    Settings,
    SitooSettings,
    StreamSettings,
)
from service.settings_shopify import ShopifySettings
from tests.integration.shopify_adapter.guide import documented_scopes, documented_topics

API_ID, API_PASSWORD = "shopify-e2e", "shopify-e2e-password"
HOOK_SECRET = "shopify-app-client-secret"
STOCKHOLM, GOTHENBURG, WEB = 70000000001, 70000000002, 70000000003
MERCHANT_TOKEN = "shpat_merchant_admin"  # the shop staff's own app, for actions in the tests


@dataclass(frozen=True)
class Stack:
    """What a test works with."""

    settings: Settings
    service_url: str
    sandbox: RunningSandbox
    shopify: RunningFakeShopify
    admin: httpx.AsyncClient  # the fake's /_fake/ admin API
    store_id: int
    store_warehouse: int
    web_warehouse: int


async def eventually(
    check: Callable[[], Awaitable[Any] | Any], *, timeout_s: float = 45.0, every_s: float = 0.05
) -> Any:
    """Wait until ``check()`` is truthy; returns its value.

    Generous: a loaded CI machine runs the service's pollers and consumers far slower than
    a quiet one, and a wait that is long enough costs nothing when the check holds early.
    """
    async with asyncio.timeout(timeout_s):
        while True:
            value = check()
            if asyncio.iscoroutine(value):
                value = await value
            if value:
                return value
            await asyncio.sleep(every_s)


@pytest.fixture
def webhook_config() -> WebhookConfig:
    """How the fake delivers web hooks (tests make it duplicate, delay or drop)."""
    return WebhookConfig(
        secret=SecretStr(HOOK_SECRET), retry_schedule_s=[0.2] * 8, poll_interval_s=0.02
    )


@pytest.fixture
def levels_interval_s() -> float:
    """How often the levels poller reads (each read takes 303 points of the bucket)."""
    return 3600.0


@pytest.fixture
def mirror_giftcards() -> bool:
    """Whether Sitoo gift cards are mirrored to Shopify (the gift-card tests switch it on)."""
    return False


@pytest.fixture
async def stack(
    redis_url: str,
    unique: str,
    webhook_config: WebhookConfig,
    levels_interval_s: float,
    mirror_giftcards: bool,
) -> AsyncIterator[Stack]:
    """Sandbox, fake Shopify and the service (uvicorn, lifespan on), wired together."""
    sandbox_config = SandboxConfig(credentials={API_ID: SecretStr(API_PASSWORD)}, seed="demo")
    async with (
        serve_sandbox(sandbox_config, port=0) as sandbox,
        serve_fake_shopify(
            FakeShopifyConfig(
                webhooks=webhook_config,
                # The adapter's app has exactly the scopes the set-up guide lists.
                access_tokens={
                    "main": SecretStr("shpat_fake_access_token"),
                    "merchant": SecretStr(MERCHANT_TOKEN),
                },
                token_scopes={"main": documented_scopes()},
            ),
            port=0,
        ) as shopify,
        httpx.AsyncClient(base_url=f"{shopify.url}/_fake") as admin,
    ):
        catalog = sandbox.sandbox.catalog
        store = next(s for s in catalog.stores.values() if s.externalid == "STORE-1")
        store_warehouse = next(
            w.warehouseid for w in catalog.warehouses.values() if w.storeid == store.storeid
        )
        web_warehouse = next(
            w.warehouseid for w in catalog.warehouses.values() if w.externalid == "WH-WEB"
        )
        settings = Settings(
            sitoo=SitooSettings(
                base_url=sandbox.base_url,
                api_id=API_ID,
                api_password=SecretStr(API_PASSWORD),
                read_timeout_s=2.0,
                call_deadline_s=10.0,
            ),
            redis=RedisSettings(url=SecretStr(redis_url), key_prefix=unique),
            streams=StreamSettings(
                orders=f"{unique}.orders",
                giftcards=f"{unique}.giftcards",
                giftcard_requests=f"{unique}.giftcard-requests",
                stock=f"{unique}.stock",
                results=f"{unique}.results",
                outbound=f"{unique}.outbound",
                sitoo_webhooks=f"{unique}.webhooks",
                consumer=f"{unique}-replica-1",
                reclaim_idle_ms=1000,
                max_deliveries=5,
            ),
            consumers=ConsumerSettings(directory_cache_s=0.0),
            http=HttpSettings(shutdown_grace_s=3.0),
            pollers=PollerSettings(
                stock_interval_s=0.3,
                orders_interval_s=0.3,
                giftcards_interval_s=0.3,
                lease_ttl_s=3.0,
                modified_margin_s=0,
            ),
            shopify=ShopifySettings(
                admin_url=shopify.url,  # type: ignore[arg-type]
                access_token=SecretStr("shpat_fake_access_token"),
                webhook_secret=SecretStr(HOOK_SECRET),
                webhook_stream=f"{unique}.shopify.webhooks",
                locations={  # type: ignore[dict-item]
                    str(STOCKHOLM): {
                        "store_id": store.storeid,
                        "warehouse_id": store_warehouse,
                        "stock_master": "sitoo",
                    },
                    str(WEB): {"warehouse_id": web_warehouse, "stock_master": "shopify"},
                },
                read_timeout_s=5.0,
                call_deadline_s=20.0,
                reconcile_interval_s=0.5,
                levels_interval_s=levels_interval_s,
                # Start at the test's start: the seeded levels are not a change to catch up on.
                reconcile_margin_s=0.5,
                reconcile_start_s=0.5,
                mirror_giftcards=mirror_giftcards,
            ),
        )
        # The seeded levels must be older than the pollers' start (times are in whole seconds).
        await asyncio.sleep(2.0)
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
        server = uvicorn.Server(
            uvicorn.Config(create_app(settings), log_config=None, lifespan="on")
        )
        serving = asyncio.create_task(server.serve(sockets=[sock]))
        try:
            await eventually(lambda: server.started or serving.done(), timeout_s=20)
            if serving.done():
                serving.result()
            for topic in documented_topics():
                answer = await admin.post(
                    "/webhooks/subscriptions",
                    json={"topic": topic, "uri": f"http://127.0.0.1:{port}/webhooks/shopify"},
                )
                answer.raise_for_status()
            yield Stack(
                settings=settings,
                service_url=f"http://127.0.0.1:{port}",
                sandbox=sandbox,
                shopify=shopify,
                admin=admin,
                store_id=store.storeid,
                store_warehouse=store_warehouse,
                web_warehouse=web_warehouse,
            )
        finally:
            server.should_exit = True
            await serving
            sock.close()
