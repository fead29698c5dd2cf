"""The reconciliation poller against the fake shop and a real Redis, behind a real lease."""

from __future__ import annotations

import json

from service.adapters.shopify.reconcile import ShopifyOrdersReconciler
from service.fakes.shopify.order_intake import place_order
from service.pollers.cursors import FencedCursors
from service.pollers.lease import Lease
from service.records.keys import DeploymentKeys
from tests.component.shopify_adapter.conftest import STORE


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
