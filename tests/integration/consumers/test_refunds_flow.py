"""order.refunded through the running consumers against the strict sandbox."""

from __future__ import annotations

import asyncio

import pytest
import redis.asyncio as aioredis

from service.sandbox import RunningSandbox
from service.settings import Settings
from tests.integration.consumers.conftest import Publish, envelope, results_by_inbound
from tests.integration.consumers.test_orders_flow import pickup_order

STORE_WAREHOUSE = 1  # the demo seed's WH-STORE-1


def _refund(order_id: str, **extra: object) -> dict[str, object]:
    return {
        "order_id": order_id,
        "refund_id": f"R-{order_id}",
        "currency": "SEK",
        "amount": "199.00",
        "lines": [{"sku": "SKU-0001", "quantity": 1, "restock_warehouse_id": STORE_WAREHOUSE}],
        **extra,
    }


@pytest.mark.usefixtures("service")
async def test_a_refund_overtaking_its_order_is_retried_until_the_order_is_there(
    settings: Settings, sandbox: RunningSandbox, redis: aioredis.Redis, publish: Publish
) -> None:
    """Refund first, placement a moment later: the refund is retried and then recorded."""
    refund = envelope("order.refunded", _refund("W-9003"))
    await publish(settings.streams.orders, refund)
    await asyncio.sleep(0.3)
    await publish(settings.streams.orders, envelope("order.placed", pickup_order("W-9003")))
    results = await results_by_inbound(redis, settings.streams.results, count=2)
    assert results[refund["event_id"]]["type"] == "order.refunded.succeeded"
    [order] = sandbox.sandbox.find_orders(externalid="W-9003")
    assert "refund-R-W-9003" in order.additionaldata


@pytest.mark.usefixtures("service")
async def test_a_refund_of_an_order_never_placed_is_dead_lettered_with_the_reason(
    settings: Settings, redis: aioredis.Redis, publish: Publish
) -> None:
    """Still no Sitoo order after the last delivery: one dead letter, replayable later."""
    refund = envelope("order.refunded", _refund("W-9001"))
    await publish(settings.streams.orders, refund)
    results = await results_by_inbound(redis, settings.streams.results, count=1)
    data = results[refund["event_id"]]["data"]
    assert (data["reason_code"], data["dead_lettered"]) == ("retries_exhausted", True)
    assert "OrderNotInSitoo: no Sitoo order has externalid W-9001" in data["reason"]
    assert await redis.xlen(settings.streams.orders + settings.streams.dead_letter_suffix) == 1


@pytest.mark.usefixtures("service")
async def test_a_refund_of_a_collected_order_restocks_once(
    settings: Settings, sandbox: RunningSandbox, redis: aioredis.Redis, publish: Publish
) -> None:
    """Collected, then refunded with a restock, delivered twice: one move into the store."""
    place = envelope("order.placed", pickup_order("W-9002"))
    await publish(settings.streams.orders, place)
    await results_by_inbound(redis, settings.streams.results, count=1)
    [order] = sandbox.sandbox.find_orders(externalid="W-9002")
    sandbox.sandbox.staff.picked_up(order.orderid)
    before = len(sandbox.sandbox.ledger.entries(kind="warehouse.transaction"))
    refund = envelope("order.refunded", _refund("W-9002"))
    await publish(settings.streams.orders, refund)
    await publish(settings.streams.orders, refund)
    results = await results_by_inbound(redis, settings.streams.results, count=2)
    assert results[refund["event_id"]]["type"] == "order.refunded.succeeded"
    moved = sandbox.sandbox.ledger.entries(kind="warehouse.transaction")[before:]
    assert [(m.detail["warehouseid"], m.detail["transactiontype"]) for m in moved] == [
        (STORE_WAREHOUSE, 10)
    ]
    assert sandbox.sandbox.orders.get(order.orderid).additionaldata["refund-R-W-9002"] == (
        "199.00 SEK; 1 x SKU-0001"
    )
