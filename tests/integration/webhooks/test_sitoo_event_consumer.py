"""Stored Sitoo events are dereferenced and published with the same ids the pollers use."""

from __future__ import annotations

import asyncio
from collections import Counter
from decimal import Decimal

import httpx

from service.pollers.wiring import build_pollers
from service.records.connection import broker_for
from service.sandbox import SaleLine
from service.settings import HttpSettings
from service.sitoo.models import NewOrder, NewOrderItem
from service.webhooks.consumer import (
    SitooEventDeps,
    ensure_sitoo_event_group,
    register_sitoo_event_consumer,
)
from service.webhooks.intake import webhook_app
from tests.integration.pollers.conftest import build_rig

AUTH = ("sitoo", "hook-secret")
CARD = "95000000000000000001"


async def _until(check, *, attempts: int = 200) -> None:
    for _ in range(attempts):
        if await check():
            return
        await asyncio.sleep(0.05)
    raise AssertionError("condition not reached")


def _event(event_id: str, event_type: str, **data: object) -> dict[str, object]:
    return {"event_id": event_id, "event_type": event_type, "event_date": 0, "data": data}


async def test_web_hooks_and_pollers_publish_each_change_once(
    redis, redis_url, unique, redis_cluster_mode
):
    """POS sale, pickup ready and a stock count via web hooks; the pollers then add nothing."""
    async with build_rig(redis, unique, cluster=redis_cluster_mode) as rig:
        settings = rig.settings.model_copy(update={"http": HttpSettings(webhook_password=AUTH[1])})
        stores = {s.externalid: s.storeid for s in await rig.client.list_stores()}
        storeid = stores["STORE-1"]
        warehouseid = next(
            w.warehouseid for w in await rig.client.list_warehouses() if w.storeid == storeid
        )
        sale = rig.sandbox.staff.pos_sale(
            storeid,
            [SaleLine("SKU-0001")],
            receipt_id="R-1",
            giftcard=CARD,
            giftcard_amount="20.00",
        )
        pickup_id = await rig.client.create_order(
            NewOrder(
                externalid="W-7",
                warehouseid=warehouseid,
                additionaldata={"web-order-id": "7", "web-fulfilment": "pickup"},
                orderitems=[
                    NewOrderItem(
                        productname="P", quantity=1, sku="SKU-0002", moneyrowprice=Decimal("9.00")
                    )
                ],
            ),
            op_key="test:pickup",
        )
        rig.sandbox.staff.ready_for_pickup(pickup_id)
        count = rig.sandbox.staff.stock_count(warehouseid, {"SKU-0060": "2"})
        batch = [
            _event(f"{unique}-1", "order", order_id=sale.orderid, order_event_type="add"),
            _event(f"{unique}-2", "order", order_id=pickup_id, order_event_type="ready-for-pickup"),
            _event(
                f"{unique}-3",
                "warehouse-transaction",
                warehouse_transaction_id=count.warehousetransactionid,
                warehouse_id=warehouseid,
            ),
            _event(f"{unique}-4", "z-report", store_id=storeid),
        ]

        await ensure_sitoo_event_group(redis, settings)
        broker = broker_for(settings.redis, redis_url)
        register_sitoo_event_consumer(
            broker, settings, lambda: SitooEventDeps(redis=redis, sitoo=rig.client)
        )
        transport = httpx.ASGITransport(app=webhook_app(settings, lambda: redis))
        async with broker, httpx.AsyncClient(transport=transport, base_url="http://h") as http:
            await broker.start()
            for _ in range(2):  # Sitoo resends a batch it thinks was not accepted
                answer = await http.post("/sitoo/events", json=batch, auth=AUTH)
                assert answer.status_code == 200

            async def handled() -> bool:
                pending = await redis.xpending(
                    settings.streams.sitoo_webhooks, settings.streams.group
                )
                info = await redis.xinfo_groups(settings.streams.sitoo_webhooks)
                return pending["pending"] == 0 and info[0]["entries-read"] == len(batch)

            await _until(handled)

        via_hooks = await rig.outbound()
        for poller in build_pollers(redis, rig.client, settings):
            if poller.name == "orders":
                await poller.cycle(await rig.hold("orders"))
        events = await rig.outbound()

    counts = Counter(e["type"] for e in via_hooks)
    assert counts == {
        "order.recorded": 1,
        "giftcard.balance_changed": 1,
        "order.pickup_ready": 1,
        "stock.changed": 1,
    }
    assert events == via_hooks, "the poller found nothing the web hooks had not published"
    (stock,) = [e["data"] for e in via_hooks if e["type"] == "stock.changed"]
    assert (stock["sku"], stock["total"], stock["store_externalid"]) == (
        "SKU-0060",
        "2.000",
        "STORE-1",
    )
    (balance,) = [e["data"] for e in via_hooks if e["type"] == "giftcard.balance_changed"]
    assert balance["balance"] == "480.00"
