"""Store actions in the sandbox reach the outbound stream once each, as the right event."""

from __future__ import annotations

from collections import Counter
from decimal import Decimal

import pytest
from redis.exceptions import ResponseError

from service.pollers.cursors import FencedCursors
from service.pollers.tracking import track_giftcard
from service.pollers.wiring import build_pollers
from service.records.keys import DeploymentKeys
from service.sandbox import SaleLine
from service.sitoo.models import NewOrder, NewOrderItem

CARD = "95000000000000000001"  # the demo card without a PIN, 500.00


async def _store(rig, externalid: str) -> tuple[int, int]:
    """(storeid, warehouseid) of a demo store."""
    stores = {s.externalid: s.storeid for s in await rig.client.list_stores()}
    warehouses = await rig.client.list_warehouses()
    storeid = stores[externalid]
    return storeid, next(w.warehouseid for w in warehouses if w.storeid == storeid)


async def _run(rig, pollers, *names: str) -> None:
    for poller in pollers:
        if poller.name in names:
            await poller.cycle(await rig.hold(poller.name))


def _of_type(events, kind: str):
    return [e for e in events if e["type"] == kind]


async def test_each_store_action_is_published_once(rig):
    """POS sale, pickup ready and picked up, in-store redemption and a stock count: once each."""
    pollers = build_pollers(rig.redis, rig.client, rig.settings)
    await track_giftcard(rig.redis, rig.settings, CARD)
    await _run(rig, pollers, "stock", "orders", "giftcards")
    baseline = await rig.outbound()
    assert len(_of_type(baseline, "stock.changed")) == 400  # 100 SKUs in 4 warehouses
    assert [e["data"]["balance"] for e in _of_type(baseline, "giftcard.balance_changed")] == [
        "500.00"
    ]

    storeid, warehouseid = await _store(rig, "STORE-1")
    sale = rig.sandbox.staff.pos_sale(
        storeid,
        [SaleLine("SKU-0001", 2)],
        receipt_id="R-1",
        giftcard=CARD,
        giftcard_amount="50.00",
    )
    pickup_id = await rig.client.create_order(
        NewOrder(
            externalid="W-100",
            warehouseid=warehouseid,
            additionaldata={"web-order-id": "100", "web-fulfilment": "pickup"},
            orderitems=[
                NewOrderItem(
                    productname="P", quantity=1, sku="SKU-0002", moneyrowprice=Decimal("10.00")
                )
            ],
        ),
        op_key="test:create-pickup",
    )
    rig.sandbox.staff.stock_count(warehouseid, {"SKU-0050": "3"})
    await _run(rig, pollers, "orders", "stock", "giftcards")

    rig.sandbox.staff.ready_for_pickup(pickup_id)
    await _run(rig, pollers, "orders")
    rig.sandbox.staff.picked_up(pickup_id)
    rig.sandbox.staff.redeem_giftcard(CARD, "100.00", receipt_id="R-2", storeid=storeid)
    for _ in range(2):  # a second round must add nothing
        await _run(rig, pollers, "orders", "stock", "giftcards")

    events = (await rig.outbound())[len(baseline) :]
    counts = Counter(e["type"] for e in events)
    assert counts["order.recorded"] == 1
    assert counts["order.pickup_ready"] == 1
    assert counts["order.picked_up"] == 1
    assert counts["giftcard.balance_changed"] == 2
    assert len({e["event_id"] for e in events}) == len(events)

    (recorded,) = _of_type(events, "order.recorded")
    assert recorded["data"]["order_id"] == sale.orderid
    assert recorded["data"]["receipt_id"] == "R-1"
    assert recorded["data"]["lines"][0]["sku"] == "SKU-0001"
    assert recorded["data"]["payments"][0]["giftcard_cardnumber"] == CARD
    (ready,) = _of_type(events, "order.pickup_ready")
    assert ready["data"]["order_id"] == pickup_id
    assert ready["data"]["webshop_order_id"] == "100"
    balances = [e["data"]["balance"] for e in _of_type(events, "giftcard.balance_changed")]
    assert balances == ["450.00", "350.00"]

    stock = {
        (e["data"]["warehouse_id"], e["data"]["sku"]): e["data"]
        for e in _of_type(events, "stock.changed")
    }
    assert stock[(warehouseid, "SKU-0050")]["total"] == "3.000"
    assert stock[(warehouseid, "SKU-0050")]["version"] == 2
    expected = rig.sandbox.stock_state(warehouseid=warehouseid, sku="SKU-0001")[0]
    assert Decimal(stock[(warehouseid, "SKU-0001")]["total"]) == Decimal(expected["decimaltotal"])
    # SKU-0002 was reserved by the pickup order and then delivered: its level changed too.
    assert all(w == warehouseid for w, _ in stock), "only the store's warehouse moved"


async def test_a_publish_failure_does_not_advance_the_cursor(rig):
    """While the outbound stream cannot be written, the order cursor stays where it was."""
    pollers = build_pollers(rig.redis, rig.client, rig.settings)
    orders = next(p for p in pollers if p.name == "orders")
    cursors = FencedCursors(rig.redis, keys=DeploymentKeys(rig.settings.redis.key_prefix))
    storeid, _ = await _store(rig, "STORE-2")
    holding = await rig.hold("orders")
    await orders.cycle(holding)
    start = await cursors.get("orders")
    sale = rig.sandbox.staff.pos_sale(storeid, [SaleLine("SKU-0003")], receipt_id="R-9")

    await rig.redis.set(rig.settings.streams.outbound, "blocked")
    with pytest.raises(ResponseError):
        await orders.cycle(holding)
    assert await cursors.get("orders") == start

    await rig.redis.delete(rig.settings.streams.outbound)
    await orders.cycle(holding)
    assert await cursors.get("orders") == {"next_order_id": sale.orderid + 1}
    assert [e["data"]["order_id"] for e in await rig.outbound()] == [sale.orderid]


async def test_first_start_does_not_replay_order_history(rig):
    """Orders older than the poller's first cycle are history: only later ones are published."""
    pollers = build_pollers(rig.redis, rig.client, rig.settings)
    orders = next(p for p in pollers if p.name == "orders")
    storeid, _ = await _store(rig, "STORE-1")
    old_sale = rig.sandbox.staff.pos_sale(storeid, [SaleLine("SKU-0004")], receipt_id="R-OLD")
    holding = await rig.hold("orders")
    await orders.cycle(holding)
    assert await rig.outbound() == []
    new_sale = rig.sandbox.staff.pos_sale(storeid, [SaleLine("SKU-0004")], receipt_id="R-NEW")
    await orders.cycle(holding)
    published = [e["data"]["order_id"] for e in await rig.outbound()]
    assert published == [new_sale.orderid]
    assert old_sale.orderid not in published
