"""Replicas of `sitoo-sync run` with the Shopify adapter, SIGKILLed mid-flow, faults on both APIs.

Two replica processes share a real Redis; the strict sandbox and the fake Shopify serve over
real HTTP, both injecting 5xx before and after applying writes. Shopify's web hooks go to the
first replica, which is killed while orders arrive, while staff mark them ready and while
they are collected (Shopify retries what the dead replica did not take; the reconciliation
poller finds what is lost). Afterwards: every Shopify order is one Sitoo order, each canonical
event is on the orders stream once, ready and picked-up reached Shopify once per order, and
each stock level counted in the store was written to Shopify once, and an order refunded in full
is cancelled in Sitoo without that cancellation coming back to Shopify.
"""

from __future__ import annotations

import asyncio
import json
import uuid
from collections import Counter
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
import redis.asyncio as aioredis
from pydantic import SecretStr

from service.fakes.shopify import FakeShopifyConfig, FaultConfig, WebhookConfig, serve_fake_shopify
from service.fakes.shopify.order_intake import place_order
from service.sandbox import SandboxConfig, serve_sandbox
from service.sandbox.config import FaultConfig as SandboxFaults
from tests.chaos.processes import Replica

API_ID, API_PASSWORD = "shopify-kills", "shopify-kills-password"
TOKEN, HOOK_SECRET = "shpat_fake_access_token", "kills-hook-secret"
STOCKHOLM = 70000000001
ORDERS = 4
COUNTED_SKU = "SKU-0030"
COUNTS = ("17", "11")


def _env(
    unique: str, redis_url: str, sandbox_base: str, shop_url: str, warehouse: int
) -> dict[str, str]:
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
    location = {"store_id": 1, "warehouse_id": warehouse, "stock_master": "sitoo"}
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
        "SITOO_SYNC_POLLERS__ORDERS_INTERVAL_S": "0.5",
        "SITOO_SYNC_POLLERS__STOCK_INTERVAL_S": "0.5",
        "SITOO_SYNC_HTTP__SHUTDOWN_GRACE_S": "2",
        "SITOO_SYNC_LOG__FORMAT": "json",
        "SITOO_SYNC_SHOPIFY__ADMIN_URL": shop_url,
        "SITOO_SYNC_SHOPIFY__ACCESS_TOKEN": TOKEN,
        "SITOO_SYNC_SHOPIFY__WEBHOOK_SECRET": HOOK_SECRET,
        "SITOO_SYNC_SHOPIFY__WEBHOOK_STREAM": f"{unique}.shopify.webhooks",
        "SITOO_SYNC_SHOPIFY__LOCATIONS": json.dumps({str(STOCKHOLM): location}),
        "SITOO_SYNC_SHOPIFY__READ_TIMEOUT_S": "3",
        "SITOO_SYNC_SHOPIFY__RECONCILE_INTERVAL_S": "1",
        "SITOO_SYNC_SHOPIFY__RECONCILE_MARGIN_S": "1",
        "SITOO_SYNC_SHOPIFY__RECONCILE_START_S": "60",
    }


async def _until(
    check: Callable[[], bool | Awaitable[bool]],
    *,
    timeout_s: float,
    state: Callable[[], object] = lambda: None,
) -> None:
    """Wait for ``check``; on a timeout, fail with ``state()`` (what the wait saw last)."""
    try:
        async with asyncio.timeout(timeout_s):
            while True:
                result = check()
                if await result if isinstance(result, Awaitable) else result:
                    return
                await asyncio.sleep(0.25)
    except TimeoutError:
        raise AssertionError(f"not reached in {timeout_s} s; last seen: {state()}") from None


@pytest.mark.timeout(420)
async def test_killed_replicas_under_faults_do_every_shopify_effect_once(
    redis_url: str, tmp_path: Path
) -> None:
    unique = f"sk{uuid.uuid4().hex[:10]}"
    sandbox_config = SandboxConfig(credentials={API_ID: SecretStr(API_PASSWORD)}, seed="demo")
    hooks = WebhookConfig(
        secret=SecretStr(HOOK_SECRET), retry_schedule_s=[0.5] * 8, poll_interval_s=0.05
    )
    async with (
        serve_sandbox(sandbox_config, port=0) as sandbox,
        serve_fake_shopify(FakeShopifyConfig(webhooks=hooks), port=0) as shopify,
    ):
        sitoo, shop = sandbox.sandbox, shopify.shop
        warehouse = next(w.warehouseid for w in sitoo.catalog.warehouses.values() if w.storeid == 1)
        env = _env(unique, redis_url, sandbox.base_url, shopify.url, warehouse)
        replicas = [Replica(f"{unique}-r{n}", env, tmp_path / f"r{n}") for n in (1, 2)]
        first = replicas[0]
        redis = aioredis.Redis.from_url(redis_url)

        async def kill_first() -> None:
            await first.kill()  # mid-flow: Shopify's deliveries to it now fail until it is back
            await asyncio.sleep(0.5)
            await first.start()

        def sitoo_orders(number: int) -> list[Any]:
            externalid = f"shopify-{number}"
            return [o for o in sitoo.orders.orders.values() if o.externalid == externalid]

        try:
            for replica in replicas:
                await replica.start()
            uri = f"http://127.0.0.1:{first.http_port}/webhooks/shopify"
            for topic in ("orders/create", "orders/updated", "orders/cancelled", "refunds/create"):
                shop.webhooks.subscribe(topic, uri, source="app")
            sitoo.set_faults(
                SandboxFaults(
                    seed=11, error_before_rate=0.1, apply_then_fail_rate=0.1, writes_only=True
                )
            )
            shop.set_faults(FaultConfig(seed=5, error_before_rate=0.1, apply_then_fail_rate=0.1))

            placed: list[int] = []
            for index in range(ORDERS):
                body = {
                    "order": {"line_items": [{"sku": f"SKU-00{20 + index}", "quantity": 1}]},
                    "pickup_location_id": STOCKHOLM,
                }
                placed.append(place_order(shop, body).number)
                if index == 1:
                    await kill_first()
            refunded = place_order(
                shop,
                {
                    "order": {"line_items": [{"sku": "SKU-0029", "quantity": 1}]},
                    "pickup_location_id": STOCKHOLM,
                },
            )
            await _until(
                lambda: all(sitoo_orders(n) for n in [*placed, refunded.number]), timeout_s=90
            )
            # Refunded in full in Shopify: the Sitoo order is cancelled, and that cancellation
            # is not written back to Shopify as one made in the store.
            shop.orders.refund_lines(
                refunded.number, [(refunded.lines[0].number, 1)], restock=True, note=None
            )

            sitoo.staff.stock_count(warehouse, {COUNTED_SKU: COUNTS[0]})
            for number in placed:
                sitoo.staff.ready_for_pickup(sitoo_orders(number)[0].orderid)
            await kill_first()
            sitoo.staff.stock_count(warehouse, {COUNTED_SKU: COUNTS[1]})
            await _until(
                lambda: _per_order(shop, "prepared") == Counter(placed),
                timeout_s=90,
                state=lambda: (placed, _per_order(shop, "prepared")),
            )
            for number in placed:
                sitoo.staff.picked_up(sitoo_orders(number)[0].orderid)
            await kill_first()
            await _until(
                lambda: _per_order(shop, "fulfilled") == Counter(placed),
                timeout_s=90,
                state=lambda: (placed, _per_order(shop, "fulfilled")),
            )
            await _until(
                lambda: _available(shop, COUNTED_SKU) == int(COUNTS[1]),
                timeout_s=60,
                state=lambda: _level_writes(shop, COUNTED_SKU),
            )
            await _until(lambda: sitoo_orders(refunded.number)[0].orderstateid == 20, timeout_s=60)

            shop.set_faults(FaultConfig())
            await asyncio.sleep(2.0)  # more polls, retries and reclaims: nothing may repeat
            assert [len(sitoo_orders(n)) for n in placed] == [1] * ORDERS
            await _assert_each_effect_once(shop, redis, unique, placed, refunded.number)
            assert first.kills == 3
            assert any(k != "200" for k in shop.requests), "Shopify faults were injected"
        finally:
            for replica in replicas:
                await replica.stop()
            await redis.aclose()


async def _assert_each_effect_once(
    shop: Any,
    redis: aioredis.Redis,
    unique: str,
    placed: list[int],
    refunded: int,
) -> None:
    entries = await redis.xrange(f"{unique}.webshop.orders")
    counts = Counter(json.loads((f or {})[b"event"])["event_id"] for _, f in entries or [])
    [refund] = shop.orders.orders[refunded].refunds
    assert counts == {f"shopify-order-{n}-placed": 1 for n in [*placed, refunded]} | {
        f"shopify-refund-{refund}": 1
    }
    # The refund's cancellation in Sitoo was the webshop's own: nothing written back.
    assert shop.ledger_entries(kind="order.tags_add") == []
    assert shop.ledger_entries(kind="order.cancel") == []
    assert _per_order(shop, "prepared") == Counter(placed)
    assert _per_order(shop, "fulfilled") == Counter(placed)
    # Each level once (the first count may be overtaken by the second before it is written,
    # and the first start writes the seeded level once, as a snapshot).
    writes = _level_writes(shop, COUNTED_SKU)
    assert writes[int(COUNTS[1])] == 1
    assert set(writes.values()) == {1}


def _per_order(shop: Any, what: str) -> Counter[int]:
    """Ledger entries per order: fulfillment orders prepared, or fulfillments made."""
    if what == "fulfilled":
        return Counter(
            int(e.key.rsplit("/", 1)[1]) for e in shop.ledger_entries(kind="fulfillment.create")
        )
    order_of = {
        f"FulfillmentOrder/{fo.number}": fo.order for fo in shop.orders.fulfillment_orders.values()
    }
    return Counter(
        order_of[e.key] for e in shop.ledger_entries(kind="fulfillment_order.prepared_for_pickup")
    )


def _item(shop: Any, sku: str) -> int:
    return int(next(v.inventory_item for v in shop.catalog.variants.values() if v.sku == sku))


def _available(shop: Any, sku: str) -> int | None:
    level = shop.catalog.level(_item(shop, sku), STOCKHOLM)
    return None if level is None else int(level.available)


def _level_writes(shop: Any, sku: str) -> Counter[int]:
    """How often each quantity of ``sku`` at the store was written (inventorySetQuantities)."""
    item = _item(shop, sku)
    return Counter(
        q["quantity"]
        for e in shop.ledger_entries(kind="inventory.set")
        for q in e.detail["quantities"]
        if q["inventory_item_id"] == item and q["location_id"] == STOCKHOLM
    )
