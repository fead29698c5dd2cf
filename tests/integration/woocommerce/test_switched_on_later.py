"""An adapter switched on in a running installation still gets the levels that never move.

The stock poller publishes a level only when it changes, and the writer's group starts at
the end of ``sitoo.events``; the writer's first snapshot (the last published levels) closes
that gap, once, without publishing anything again to the other readers of the stream.
"""

from __future__ import annotations

import asyncio
import json
import uuid
from decimal import Decimal

import httpx
import pytest
import redis.asyncio as aioredis
from pydantic import SecretStr

from service.app import build_service
from service.fakes.woocommerce import FakeWooCommerceConfig, serve_fake_woocommerce
from service.fakes.woocommerce.seed import UNMANAGED_SKUS
from service.records.keys import DeploymentKeys
from service.records.streams import outbound_group
from service.sandbox import SandboxConfig, serve_sandbox
from service.settings import Settings
from service.settings_woocommerce import WooCommerceSettings
from tests.integration.examples.stack import API_ID, API_PASSWORD, stack_settings

KEY = "ck_fake_consumer_key_0000000000000000000000"
SECRET = "cs_fake_consumer_secret_00000000000000000000"
SKUS = [f"SKU-{n:04d}" for n in range(1, 11)]
MANAGED = [sku for sku in SKUS if sku not in UNMANAGED_SKUS]


async def _until(check, timeout_s: float = 60.0) -> None:  # type: ignore[no-untyped-def]
    async with asyncio.timeout(timeout_s):
        while not await check():
            await asyncio.sleep(0.1)


async def _shop_levels(api: httpx.AsyncClient) -> dict[str, int | None]:
    levels: dict[str, int | None] = {}
    for sku in MANAGED:
        [product] = (await api.get("/products", params={"sku": sku})).json()
        levels[sku] = product["stock_quantity"]
    return levels


async def _run_until(settings: Settings, done) -> None:  # type: ignore[no-untyped-def]
    """Run the service until ``done``; it is not stopped before its broker has started."""
    app = build_service(settings).app
    async with app.start_lifespan_context():

        async def started() -> bool:
            return bool(app.broker is not None and app.broker.running)

        await _until(started)
        await _until(done)


@pytest.mark.timeout(180)
async def test_levels_published_before_the_adapter_was_on_reach_the_shop_once(
    redis_url: str,
) -> None:
    unique = f"wcl{uuid.uuid4().hex[:10]}"
    sandbox_config = SandboxConfig(credentials={API_ID: SecretStr(API_PASSWORD)}, seed="demo")
    redis = aioredis.Redis.from_url(redis_url)
    async with (
        serve_sandbox(sandbox_config, port=0) as sandbox,
        serve_fake_woocommerce(FakeWooCommerceConfig(), port=0) as shop,
        httpx.AsyncClient(base_url=f"{shop.url}/_fake", timeout=10) as shop_admin,
        httpx.AsyncClient(base_url=shop.api_url, auth=(KEY, SECRET), timeout=10) as shop_api,
    ):
        catalog = sandbox.sandbox.catalog
        [warehouse] = [
            w.warehouseid for w in catalog.warehouses.values() if w.externalid == "WH-STORE-1"
        ]
        levels_key = f"{unique}:last:stock:{warehouse}"
        settings = stack_settings(sandbox, redis_url, unique, pollers=True)
        outbound = settings.streams.outbound

        # 1. Running without the adapter: the poller publishes every level once.
        async def all_published() -> bool:
            return int(await redis.hlen(levels_key)) >= len(SKUS)

        await _run_until(settings, all_published)
        for sku in MANAGED:  # the shop's own figures, which Sitoo's must replace
            answer = await shop_admin.put("/stock", json={"sku": sku, "stock_quantity": 999})
            assert answer.status_code == 200, answer.text

        # 2. Switched on: the levels reach the shop although none of them moves in Sitoo.
        states = {
            sku.decode(): state.decode() for sku, state in (await redis.hgetall(levels_key)).items()
        }
        wanted = {sku: max(0, int(Decimal(states[sku].split("|")[3]))) for sku in MANAGED}
        with_shop = settings.model_copy(
            update={
                "woocommerce": WooCommerceSettings(
                    url=shop.url,  # type: ignore[arg-type]
                    consumer_key=SecretStr(KEY),
                    consumer_secret=SecretStr(SECRET),
                    webhook_secret=SecretStr("switchedonlater"),
                    webhook_stream=f"{unique}.woocommerce.webhooks",
                    stock_warehouse_id=warehouse,
                    poll_interval_s=5,
                )
            }
        )
        due_key = DeploymentKeys(unique).webshop_snapshot_due("woocommerce")

        async def written() -> bool:
            return await _shop_levels(shop_api) == wanted and not await redis.exists(due_key)

        await _run_until(with_shop, written)
        # Nothing was published again for the stream's other readers.
        ids = [json.loads(f[b"event"])["event_id"] for _, f in await redis.xrange(outbound)]
        assert len(ids) == len(set(ids))

        # 3. Once: a later start of the adapter does not write the snapshot again.
        await shop_admin.put("/stock", json={"sku": MANAGED[0], "stock_quantity": 999})
        group = outbound_group("woocommerce")

        async def reading_again() -> bool:
            groups = await redis.xinfo_groups(outbound)
            return any(g["name"].decode() == group for g in groups) and await asyncio.sleep(
                2, result=True
            )

        await _run_until(with_shop, reading_again)
        assert (await _shop_levels(shop_api))[MANAGED[0]] == 999
    await redis.aclose()
