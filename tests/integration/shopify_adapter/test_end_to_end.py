"""Shopify and Sitoo through the running service: real HTTP, real Redis, strict sandbox.

Every effect is counted where it lands (the sandbox's orders and stock, the fake shop's
ledger), so "once" means once.
"""

from __future__ import annotations

import asyncio
import json
import uuid

import httpx
import pytest
from pydantic import SecretStr

from service.adapters.common.intake import hmac_sha256_base64
from service.adapters.shopify import ShopifyClient, build_http_client
from service.deadletter_sources import dead_letter_store
from service.deadletters import DeadLetterFilter
from service.fakes.shopify import FaultConfig, WebhookConfig
from tests.integration.shopify_adapter.conftest import (
    GOTHENBURG,
    HOOK_SECRET,
    MERCHANT_TOKEN,
    STOCKHOLM,
    WEB,
    Stack,
    eventually,
)


def _sitoo_orders(stack: Stack, externalid: str) -> list:
    return [o for o in stack.sandbox.sandbox.orders.orders.values() if o.externalid == externalid]


async def _place(stack: Stack, sku: str, *, location: int | None = STOCKHOLM) -> int:
    body: dict[str, object] = {
        "order": {
            "email": "ada@example.com",
            "line_items": [{"sku": sku, "quantity": 1, "price": "100.00"}],
        }
    }
    if location is not None:
        body["pickup_location_id"] = location
    answer = await stack.admin.post("/orders", json=body)
    answer.raise_for_status()
    return int(answer.json()["order"]["id"])


def _ledger(stack: Stack, kind: str) -> list:
    return stack.shopify.shop.ledger_entries(kind=kind)


@pytest.fixture
def webhook_config() -> WebhookConfig:
    """Every delivery twice, each held back up to 0.3 s (so they overtake each other)."""
    return WebhookConfig(
        secret=SecretStr(HOOK_SECRET),
        retry_schedule_s=[0.2] * 8,
        poll_interval_s=0.02,
        duplicate_rate=1.0,
        max_delay_s=0.3,
    )


async def test_pickup_order_ready_and_picked_up_each_once(stack: Stack):
    """A pick-up order at a mapped store becomes a Sitoo order in that store's warehouse;
    the store's ready and picked-up reach Shopify once each, web hooks doubled and reordered."""
    number = await _place(stack, "SKU-0001")
    [order] = await eventually(lambda: _sitoo_orders(stack, f"shopify-{number}"))
    assert order.warehouseid == stack.store_warehouse

    stack.sandbox.sandbox.staff.ready_for_pickup(order.orderid)
    await eventually(lambda: _ledger(stack, "fulfillment_order.prepared_for_pickup"))
    stack.sandbox.sandbox.staff.picked_up(order.orderid)
    await eventually(lambda: _ledger(stack, "fulfillment.create"))

    # Let every duplicate, retry and poll cycle run out, then count.
    await _settle(stack)
    assert len(_sitoo_orders(stack, f"shopify-{number}")) == 1
    assert len(_ledger(stack, "fulfillment_order.prepared_for_pickup")) == 1
    assert len(_ledger(stack, "fulfillment.create")) == 1
    [delivery] = [d for d in stack.shopify.shop.webhooks.deliveries if d.topic == "orders/create"]
    assert len(delivery.log) >= 2  # the duplicate really was sent


async def _settle(stack: Stack, seconds: float = 2.0) -> None:
    """Give duplicates, retries and poll cycles time to run (they must change nothing)."""
    del stack
    await asyncio.sleep(seconds)


async def test_dropped_web_hooks_are_caught_up_by_the_reconciliation_poller(stack: Stack):
    """No web hook at all: the poller reads the changed order and places it once."""
    stack.shopify.shop.config.webhooks.drop_rate = 1.0
    number = await _place(stack, "SKU-0004")
    [order] = await eventually(lambda: _sitoo_orders(stack, f"shopify-{number}"))
    assert order.warehouseid == stack.store_warehouse
    await _settle(stack)
    assert len(_sitoo_orders(stack, f"shopify-{number}")) == 1
    sent = [d for d in stack.shopify.shop.webhooks.deliveries if d.topic == "orders/create"]
    assert sent
    assert {d.state for d in sent} == {"dropped"}


async def test_stock_of_a_sitoo_mastered_location_reaches_shopify_without_echo(stack: Stack, redis):
    """A stock count in the store's Sitoo warehouse sets Shopify's available there; the
    echoed inventory_levels/update does not come back to Sitoo."""
    stack.sandbox.sandbox.staff.stock_count(stack.store_warehouse, {"SKU-0002": "17"})
    item = next(
        v.inventory_item
        for v in stack.shopify.shop.catalog.variants.values()
        if v.sku == "SKU-0002"
    )

    def level() -> int | None:
        found = stack.shopify.shop.catalog.level(item, STOCKHOLM)
        return None if found is None else found.available

    await eventually(lambda: level() == 17)
    await _settle(stack)
    stock_events = [
        json.loads(f[b"event"]) for _, f in await redis.xrange(stack.settings.streams.stock)
    ]
    assert not [e for e in stock_events if e["data"].get("warehouse_id") == stack.store_warehouse]
    writes = [
        q
        for e in _ledger(stack, "inventory.set")
        for q in e.detail["quantities"]
        if q["location_id"] == STOCKHOLM and q["inventory_item_id"] == item
    ]
    assert writes, "the level was written through inventorySetQuantities"


async def test_shopify_mastered_adjustment_reaches_sitoo_and_is_not_written_back(stack: Stack):
    """Shopify masters the web warehouse: its level becomes Sitoo's; nothing is written back."""
    answer = await stack.admin.put(
        "/inventory", json={"location_id": WEB, "sku": "SKU-0003", "available": 11}
    )
    answer.raise_for_status()
    stock = stack.sandbox.sandbox.stock

    def sitoo_level() -> object:
        found = stock.find(stack.web_warehouse, "SKU-0003")
        return None if found is None else found.decimaltotal

    await eventually(lambda: sitoo_level() == 11, timeout_s=40)
    await _settle(stack)
    assert not [
        q
        for e in _ledger(stack, "inventory.set")
        for q in e.detail["quantities"]
        if q["location_id"] == WEB
    ]


@pytest.mark.parametrize("levels_interval_s", [3.0])
async def test_a_dropped_level_web_hook_is_caught_up_by_the_levels_poller(stack: Stack):
    """No inventory_levels/update is sent: the levels poller still brings the level to Sitoo."""
    stack.shopify.shop.config.webhooks.drop_rate = 1.0
    answer = await stack.admin.put(
        "/inventory", json={"location_id": WEB, "sku": "SKU-0008", "available": 23}
    )
    answer.raise_for_status()
    stock = stack.sandbox.sandbox.stock

    def sitoo_level() -> object:
        found = stock.find(stack.web_warehouse, "SKU-0008")
        return None if found is None else found.decimaltotal

    await eventually(lambda: sitoo_level() == 23, timeout_s=60)
    sent = [
        d
        for d in stack.shopify.shop.webhooks.deliveries
        if d.topic == "inventory_levels/update" and json.loads(d.body)["available"] == 23
    ]
    assert {d.state for d in sent} <= {"dropped"}


async def test_pickup_at_an_unmapped_store_is_dead_lettered_not_ordered(stack: Stack, redis):
    """Gothenburg is not mapped: the delivery is parked with the reason, no Sitoo order."""
    number = await _place(stack, "SKU-0005", location=GOTHENBURG)
    dead = stack.settings.shopify.webhook_stream + ".dlq"

    async def reasons() -> list[str]:
        return [f[b"reason"].decode() for _, f in await redis.xrange(dead)]

    found = await eventually(reasons)
    assert f"pick-up location {GOTHENBURG} is not in SITOO_SYNC_SHOPIFY__LOCATIONS" in found
    assert not _sitoo_orders(stack, f"shopify-{number}")

    # `sitoo-sync dlq replay` sees it and puts it back on the raw stream to be translated again.
    store = dead_letter_store(redis, stack.settings)
    letters = await store.list(DeadLetterFilter(stream=stack.settings.shopify.webhook_stream))
    assert letters
    assert letters[0].type in {"orders/create", "orders/updated"}
    replayed = await store.replay(letters[0])

    async def parked_again() -> bool:
        return any(f[b"entry_id"].decode() == replayed for _, f in await redis.xrange(dead))

    await eventually(parked_again)


async def test_bad_hmac_is_401_and_nothing_is_stored(stack: Stack, redis):
    """A forged or unsigned delivery: 401 over HTTP, the raw stream untouched."""
    stream = stack.settings.shopify.webhook_stream
    body = b'{"id": 1}'
    async with httpx.AsyncClient(base_url=stack.service_url) as client:
        forged = await client.post(
            "/webhooks/shopify",
            content=body,
            headers={
                "X-Shopify-Hmac-Sha256": hmac_sha256_base64("not-the-secret", body),
                "X-Shopify-Topic": "orders/create",
                "X-Shopify-Webhook-Id": "forged-1",
            },
        )
        unsigned = await client.post("/webhooks/shopify", content=body)
    assert (forged.status_code, unsigned.status_code) == (401, 401)
    # The pollers store deliveries meanwhile; none of them is this body.
    stored = [f for _, f in await redis.xrange(stream)]
    assert all(f.get(b"body") != body for f in stored)
    assert await redis.keys(f"{stack.settings.redis.key_prefix}:webshop-delivery:*forged*") == []


async def test_an_order_cancelled_in_shopify_is_cancelled_in_sitoo(stack: Stack):
    """orders/cancelled (twice, reordered) cancels the Sitoo order once."""
    number = await _place(stack, "SKU-0006")
    [order] = await eventually(lambda: _sitoo_orders(stack, f"shopify-{number}"))
    settings = stack.settings.shopify.model_copy(update={"access_token": SecretStr(MERCHANT_TOKEN)})
    async with build_http_client(settings) as http:
        merchant = ShopifyClient(http=http, settings=settings)
        assert await merchant.cancel_order(f"gid://shopify/Order/{number}", reason="CUSTOMER")
    await eventually(lambda: stack.sandbox.sandbox.orders.get(order.orderid).orderstateid == 20)
    await _settle(stack)
    assert len(_sitoo_orders(stack, f"shopify-{number}")) == 1


@pytest.mark.timeout(180)
@pytest.mark.parametrize("mode", ["500", "drop"])
async def test_each_effect_once_while_shopify_fails_and_loses_answers(stack: Stack, mode: str):
    """A fifth of Shopify's answers are 5xx before anything runs, and a third of the writes
    apply and then lose their answer: the order, ready and picked-up still happen once."""
    stack.shopify.shop.set_faults(
        FaultConfig(
            seed=7,
            error_before_rate=0.2,
            error_before_statuses=[500, 502, 503],
            extra_429_rate=0.1,
            apply_then_fail_rate=0.33,
            apply_then_fail_mode=mode,  # type: ignore[arg-type]
        )
    )
    number = await _place(stack, "SKU-0007")
    [order] = await eventually(lambda: _sitoo_orders(stack, f"shopify-{number}"), timeout_s=60)
    stack.sandbox.sandbox.staff.ready_for_pickup(order.orderid)
    await eventually(lambda: _ledger(stack, "fulfillment_order.prepared_for_pickup"), timeout_s=60)
    stack.sandbox.sandbox.staff.picked_up(order.orderid)
    await eventually(lambda: _ledger(stack, "fulfillment.create"), timeout_s=60)
    await _settle(stack, 3.0)
    faulted = {k: v for k, v in stack.shopify.shop.requests.items() if k != "200"}
    assert faulted, "faults were injected"
    assert len(_sitoo_orders(stack, f"shopify-{number}")) == 1
    assert len(_ledger(stack, "fulfillment_order.prepared_for_pickup")) == 1
    assert len(_ledger(stack, "fulfillment.create")) == 1


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (b"\xff\xfe\x00 not text", "body: not UTF-8"),
        (b"{" * 5000, "body"),
        (b'{"id": "not-a-number"}', "body has no order id"),
        (b"", "body: not JSON"),
    ],
    ids=["not-utf8", "deep", "bad-id", "empty"],
)
async def test_signed_bad_bodies_are_200_then_dead_lettered(stack: Stack, redis, body, reason):
    """A body Shopify signed but nobody can use: 200 (never 5xx), then one dead letter."""
    webhook_id = f"bad-{uuid.uuid4().hex}"
    async with httpx.AsyncClient(base_url=stack.service_url) as client:
        answer = await client.post(
            "/webhooks/shopify",
            content=body,
            headers={
                "X-Shopify-Hmac-Sha256": hmac_sha256_base64(HOOK_SECRET, body),
                "X-Shopify-Topic": "orders/create",
                "X-Shopify-Webhook-Id": webhook_id,
            },
        )
    assert answer.status_code == 200
    dead = stack.settings.shopify.webhook_stream + ".dlq"

    async def parked() -> list[str]:
        return [
            f[b"reason"].decode()
            for _, f in await redis.xrange(dead)
            if f[b"event_id"].decode() == f"webhook:{webhook_id}"
        ]

    [found] = await eventually(parked)
    assert found.startswith(reason)


async def test_refunds_are_recorded_in_sitoo_and_a_complete_one_cancels(stack: Stack):
    """A partial refund (refunds/create, doubled and reordered) is recorded on the Sitoo order,
    which stays open; the refund of what was left cancels it. Each once."""
    answer = await stack.admin.post(
        "/orders",
        json={
            "order": {"line_items": [{"sku": "SKU-0008", "quantity": 2, "price": "100.00"}]},
            "pickup_location_id": STOCKHOLM,
        },
    )
    answer.raise_for_status()
    number = int(answer.json()["order"]["id"])
    line = int(answer.json()["order"]["line_items"][0]["id"])
    [order] = await eventually(lambda: _sitoo_orders(stack, f"shopify-{number}"))

    async def refund(note: str) -> str:
        made = await stack.admin.post(
            f"/orders/{number}/refunds",
            json={"lines": [{"line_item_id": line, "quantity": 1}], "restock": True, "note": note},
        )
        made.raise_for_status()
        return f"refund-{made.json()['id']}"

    first = await refund("too small")

    def recorded() -> dict[str, str]:
        return stack.sandbox.sandbox.orders.get(order.orderid).additionaldata

    await eventually(lambda: first in recorded())
    assert recorded()[first] == "100.00 SEK; 1 x SKU-0008; too small"
    await _settle(stack)
    assert stack.sandbox.sandbox.orders.get(order.orderid).orderstateid == 0
    second = await refund("the other one too")
    await eventually(lambda: stack.sandbox.sandbox.orders.get(order.orderid).orderstateid == 20)
    assert second in recorded()
    await _settle(stack)
    assert len(_sitoo_orders(stack, f"shopify-{number}")) == 1
    sent = [d for d in stack.shopify.shop.webhooks.deliveries if d.topic == "refunds/create"]
    assert len({d.event_id for d in sent}) == 2
    assert {d.state for d in sent} == {"delivered"}  # signed, and accepted by the service
    cancels = [
        e
        for e in stack.sandbox.sandbox.ledger.entries()
        if e.kind == "order.update" and e.detail.get("orderstateid") == 20
    ]
    assert len([e for e in cancels if e.detail.get("orderid") == order.orderid]) == 1


async def test_an_order_cancelled_in_the_store_is_tagged_in_shopify_once(stack: Stack):
    """The default STORE_CANCELLATION (tag): staff cancel, the Shopify order is tagged once and
    stays open; the tag's orders/updated does not come back as a change in Sitoo."""
    number = await _place(stack, "SKU-0009")
    [order] = await eventually(lambda: _sitoo_orders(stack, f"shopify-{number}"))
    stack.sandbox.sandbox.staff.cancel(order.orderid)
    shopify_order = stack.shopify.shop.orders.orders[number]
    await eventually(lambda: shopify_order.tags == ["sitoo-cancelled-in-store"])
    await _settle(stack)
    assert len(_ledger(stack, "order.tags_add")) == 1
    assert shopify_order.cancelled_at is None
    assert stack.sandbox.sandbox.orders.get(order.orderid).orderstateid == 20
    assert len(_sitoo_orders(stack, f"shopify-{number}")) == 1
