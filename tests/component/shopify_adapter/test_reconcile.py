"""The reconciliation poller against the fake shop and a real Redis, behind a real lease."""

from __future__ import annotations

import json

import httpx

from service.adapters.common.translating import Translated, delivery_from
from service.adapters.shopify.reconcile import ShopifyLevelsReconciler, ShopifyOrdersReconciler
from service.fakes.shopify import fake_shopify_transport
from service.fakes.shopify.order_intake import place_order
from service.pollers.cursors import FencedCursors
from service.pollers.lease import Lease
from service.records.keys import DeploymentKeys
from tests.component.shopify_adapter.conftest import STORE, WAREHOUSE


async def test_each_change_is_stored_once_and_the_cursor_advances(redis, unique, client, shop):
    """Two orders: two deliveries; polling again adds none; a change adds one."""
    stream = f"{unique}.shopify.webhooks"
    cursors = FencedCursors(redis, keys=DeploymentKeys(unique))
    poller = ShopifyOrdersReconciler(
        client,
        redis,
        cursors,
        stream=stream,
        keys=DeploymentKeys(unique),
        dedupe_ms=60_000,
        interval_s=1.0,
        margin_s=60.0,
        start_s=3600.0,
    )
    lease = Lease(redis, keys=DeploymentKeys(unique), name=poller.name, ttl_s=10)
    holding = await lease.acquire()
    assert holding is not None
    body = {"order": {"line_items": [{"sku": "SKU-0001", "quantity": 1}]}}
    first = place_order(shop, {**body, "pickup_location_id": STORE}).number
    second = place_order(shop, body).number

    await poller.cycle(holding)
    await poller.cycle(holding)
    entries = await redis.xrange(stream)
    assert [json.loads(f[b"body"])["id"] for _, f in entries] == [first, second]
    assert {f[b"topic"] for _, f in entries} == {b"orders/updated"}
    cursor = await cursors.get(poller.name)
    assert isinstance(cursor, dict)

    shop.clock.advance(5)
    await client.add_tags(f"gid://shopify/Order/{first}", ["changed"])
    await poller.cycle(holding)
    entries = await redis.xrange(stream)
    assert [json.loads(f[b"body"])["id"] for _, f in entries] == [first, second, first]
    assert (await cursors.get(poller.name)) != cursor


async def test_levels_of_shopify_mastered_locations_are_stored_when_changed(
    redis, unique, client, app, translator
):
    """Every level once on the first cycle, none again, a changed one anew; each translates."""
    shop = app.state.shop
    stream = f"{unique}.shopify.webhooks"
    cursors = FencedCursors(redis, keys=DeploymentKeys(unique))
    poller = ShopifyLevelsReconciler(
        client,
        redis,
        cursors,
        locations=[str(WAREHOUSE)],
        stream=stream,
        keys=DeploymentKeys(unique),
        dedupe_ms=60_000,
        interval_s=1.0,
        margin_s=0.0,
        start_s=3600.0,
    )
    holding = await Lease(redis, keys=DeploymentKeys(unique), name=poller.name, ttl_s=10).acquire()
    assert holding is not None
    at_location = [lv for lv in shop.catalog.levels.values() if lv.location == WAREHOUSE]

    await poller.cycle(holding)
    first = await redis.xlen(stream)
    assert first == len(at_location) > 0
    await poller.cycle(holding)
    assert await redis.xlen(stream) == first

    shop.clock.advance(5)
    level = at_location[0]
    async with httpx.AsyncClient(
        transport=fake_shopify_transport(app), base_url="http://fake.test"
    ) as admin:
        answer = await admin.put(
            "/_fake/inventory",
            json={
                "location_id": WAREHOUSE,
                "inventory_item_id": level.item,
                "available": level.available + 3,
            },
        )
        answer.raise_for_status()
    await poller.cycle(holding)
    entries = await redis.xrange(stream)
    assert len(entries) == first + 1
    entry_id, fields = entries[-1]
    delivery = delivery_from("shopify", fields, entry_id.decode())
    outcome = await translator.translate(delivery)
    assert isinstance(outcome, Translated)
    (event,) = outcome.events
    assert event.envelope.type == "stock.set"
    assert event.envelope.data["items"][0]["quantity"] == level.available
