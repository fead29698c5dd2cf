"""Replicas of `sitoo-sync run` with the WooCommerce adapter, SIGKILLed while orders arrive.

Two replica processes share a real Redis; the strict sandbox and the fake WooCommerce serve
over real HTTP. The shop's web hooks go to the first replica, which is killed twice while
orders are placed (its deliveries fail meanwhile and are lost: WooCommerce does not retry).
Two orders are refunded just before the second kill. Afterwards every WooCommerce order is
exactly one Sitoo order in its store, each refund is recorded on its Sitoo order, and each
canonical event is on the orders stream once.
"""

from __future__ import annotations

import asyncio
import json
import uuid
from collections import Counter
from pathlib import Path

import httpx
import pytest
import redis.asyncio as aioredis
from pydantic import SecretStr

from service.fakes.woocommerce import FakeWooCommerceConfig, serve_fake_woocommerce
from service.fakes.woocommerce.config import WebhookConfig
from service.sandbox import SandboxConfig, serve_sandbox
from tests.chaos.processes import Replica

API_ID, API_PASSWORD = "kills", "kills-password"
KEY = "ck_fake_consumer_key_0000000000000000000000"
SECRET = "cs_fake_consumer_secret_00000000000000000000"
HOOK_SECRET = "killshooksecret"
ORDERS = 8


def _env(unique: str, redis_url: str, sandbox_base: str, shop_url: str) -> dict[str, str]:
    streams = {
        "ORDERS": "webshop.orders",
        "GIFTCARDS": "webshop.giftcards",
        "GIFTCARD_REQUESTS": "webshop.giftcard-requests",
        "STOCK": "webshop.stock",
        "RESULTS": "results",
        "OUTBOUND": "sitoo.events",
        "SITOO_WEBHOOKS": "sitoo.webhooks",
    }
    env = {f"SITOO_SYNC_STREAMS__{k}": f"{unique}.{v}" for k, v in streams.items()}
    return env | {
        "SITOO_SYNC_SITOO__BASE_URL": sandbox_base,
        "SITOO_SYNC_SITOO__API_ID": API_ID,
        "SITOO_SYNC_SITOO__API_PASSWORD": API_PASSWORD,
        "SITOO_SYNC_SITOO__READ_TIMEOUT_S": "2",
        # As in the chaos run: an event whose replica was killed mid-write is taken over
        # once its lease runs out, seconds here rather than the production two minutes.
        "SITOO_SYNC_SITOO__CALL_DEADLINE_S": "6",
        "SITOO_SYNC_IDEMPOTENCY__LEASE_S": "10",
        "SITOO_SYNC_STREAMS__MAX_DELIVERIES": "30",
        "SITOO_SYNC_REDIS__URL": redis_url,
        "SITOO_SYNC_REDIS__KEY_PREFIX": unique,
        "SITOO_SYNC_STREAMS__RECLAIM_IDLE_MS": "2000",
        "SITOO_SYNC_POLLERS__LEASE_TTL_S": "3",
        "SITOO_SYNC_POLLERS__ORDERS_INTERVAL_S": "1",
        "SITOO_SYNC_HTTP__SHUTDOWN_GRACE_S": "2",
        "SITOO_SYNC_LOG__FORMAT": "json",
        "SITOO_SYNC_WOOCOMMERCE__URL": shop_url,
        "SITOO_SYNC_WOOCOMMERCE__CONSUMER_KEY": KEY,
        "SITOO_SYNC_WOOCOMMERCE__CONSUMER_SECRET": SECRET,
        "SITOO_SYNC_WOOCOMMERCE__WEBHOOK_SECRET": HOOK_SECRET,
        "SITOO_SYNC_WOOCOMMERCE__WEBHOOK_STREAM": f"{unique}.woocommerce.webhooks",
        "SITOO_SYNC_WOOCOMMERCE__PICKUP_LOCATIONS": json.dumps(
            {"Store Stockholm": "STORE-1", "Store Gothenburg": "STORE-2"}
        ),
        "SITOO_SYNC_WOOCOMMERCE__POLL_INTERVAL_S": "1",
        "SITOO_SYNC_WOOCOMMERCE__POLL_OVERLAP_S": "10",
    }


@pytest.mark.timeout(300)
async def test_killed_replicas_lose_and_duplicate_no_woocommerce_order(
    redis_url: str, tmp_path: Path
) -> None:
    unique = f"wk{uuid.uuid4().hex[:10]}"
    sandbox_config = SandboxConfig(credentials={API_ID: SecretStr(API_PASSWORD)}, seed="demo")
    webhooks = WebhookConfig(queue_delay_s=0.3, poll_interval_s=0.05, timeout_s=2.0)
    async with (
        serve_sandbox(sandbox_config, port=0) as sandbox,
        serve_fake_woocommerce(FakeWooCommerceConfig(webhooks=webhooks), port=0) as shop,
        httpx.AsyncClient(base_url=sandbox.url, timeout=10) as sandbox_admin,
        httpx.AsyncClient(base_url=f"{shop.url}/_fake", timeout=10) as shop_admin,
    ):
        env = _env(unique, redis_url, sandbox.base_url, shop.url)
        replicas = [Replica(f"{unique}-r{n}", env, tmp_path / f"r{n}") for n in (1, 2)]
        redis = aioredis.Redis.from_url(redis_url)
        try:
            for replica in replicas:
                await replica.start()
            first = replicas[0]
            url = f"http://127.0.0.1:{first.http_port}/webhooks/woocommerce"
            for topic in ("order.created", "order.updated"):
                made = await shop_admin.post(
                    "/webhooks", json={"topic": topic, "delivery_url": url, "secret": HOOK_SECRET}
                )
                assert made.status_code == 201, made.text

            placed: list[int] = []
            refunds: dict[int, int] = {}
            for index in range(ORDERS):
                location = "Store Gothenburg" if index % 2 else "Store Stockholm"
                answer = await shop_admin.post(
                    "/orders",
                    json={
                        "line_items": [{"sku": f"SKU-00{10 + index}", "quantity": 1}],
                        "pickup_location": location,
                    },
                )
                assert answer.status_code == 201, answer.text
                placed.append(answer.json()["order"]["id"])
                if index in {2, 5}:
                    # Just before the second kill, two orders are refunded.
                    refunds |= await _refund(shop_admin, placed[:2] if index == 5 else [])
                    await first.kill()  # mid-flow: deliveries to it now fail and are lost
                    await asyncio.sleep(1.0)
                    await first.start()
                await asyncio.sleep(0.3)

            async def settled() -> bool:
                for order_id in placed:
                    found = (
                        await sandbox_admin.get(
                            "/_sandbox/state/orders", params={"externalid": f"wc-{order_id}"}
                        )
                    ).json()
                    if len(found) != 1:
                        return False
                return True

            # Waits, not timings: a loaded CI machine needs longer than a quiet one.
            async with asyncio.timeout(180):
                while not await settled():
                    await asyncio.sleep(0.5)
            await _wait_until_recorded(sandbox_admin, refunds)
            await asyncio.sleep(3.0)  # more poll cycles and reclaims: nothing may repeat
            assert await settled()
            entries = await redis.xrange(f"{unique}.webshop.orders")
            counts = Counter(json.loads(f[b"event"])["event_id"] for _, f in entries)
            assert counts == {
                **{f"wc-order-{o}-placed": 1 for o in placed},
                **{f"wc-refund-{r}": 1 for r in refunds.values()},
            }
            deliveries = (await shop_admin.get("/webhooks/deliveries")).json()
            assert Counter(d["state"] for d in deliveries)["failed"] >= 1  # the kills cost some
        finally:
            for replica in replicas:
                await replica.stop()
            await redis.aclose()


async def _refund(shop_admin: httpx.AsyncClient, orders: list[int]) -> dict[int, int]:
    """Refund each order (money only, just before a kill); order id -> refund id."""
    refunds: dict[int, int] = {}
    for order_id in orders:
        made = await shop_admin.post(
            f"/orders/{order_id}/refunds", json={"amount": "1.00", "reason": "goodwill"}
        )
        assert made.status_code == 201, made.text
        refunds[order_id] = made.json()["id"]
    return refunds


async def _wait_until_recorded(sandbox_admin: httpx.AsyncClient, refunds: dict[int, int]) -> None:
    """Until every refund is recorded on its Sitoo order."""

    async def recorded() -> bool:
        for order_id, refund_id in refunds.items():
            (found,) = (
                await sandbox_admin.get(
                    "/_sandbox/state/orders", params={"externalid": f"wc-{order_id}"}
                )
            ).json()
            if f"refund-{refund_id}" not in (found.get("additionaldata") or {}):
                return False
        return True

    try:
        async with asyncio.timeout(60):
            while not await recorded():
                await asyncio.sleep(0.5)
    except TimeoutError:
        orders = {
            o: (
                await sandbox_admin.get("/_sandbox/state/orders", params={"externalid": f"wc-{o}"})
            ).json()
            for o in refunds
        }
        missing = f"refunds {refunds} not all recorded; Sitoo orders: {orders}"
        raise AssertionError(missing) from None
