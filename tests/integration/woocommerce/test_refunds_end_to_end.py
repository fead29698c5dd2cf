"""A WooCommerce refund end to end: the fake shop over HTTP, the service, the strict sandbox."""

from __future__ import annotations

import asyncio
import json
from collections import Counter
from decimal import Decimal
from typing import Any

import pytest

from service.fakes.woocommerce.config import WebhookConfig
from tests.integration.woocommerce.test_end_to_end import Stack, eventually, stack

CANCELLED = 20  # Sitoo's order state


async def _results(s: Stack, event_id: str) -> list[dict[str, Any]]:
    entries = await s.redis.xrange(s.settings.streams.results)
    found = [json.loads(fields[b"event"]) for _, fields in entries]
    return [r for r in found if r["data"]["inbound_event_id"] == event_id]


async def _updates_delivered(s: Stack, order_id: int) -> list[dict[str, Any]]:
    deliveries = (await s.shop_admin.get("/webhooks/deliveries")).json()
    return [
        d
        for d in deliveries
        if d["topic"] == "order.updated"
        and d["state"] == "delivered"
        and d.get("resource_id") == order_id
    ]


async def _refund_writes(s: Stack, orderid: int) -> list[dict[str, Any]]:
    """The sandbox's applied writes of the order's additional data (the refund records)."""
    ledger = (await s.sandbox_admin.get("/_sandbox/ledger", params={"kind": "order.update"})).json()
    return [
        e
        for e in ledger
        if e["detail"].get("orderid") == orderid and "additionaldata" in e["detail"]["fields"]
    ]


@pytest.mark.timeout(120)
async def test_a_partial_refund_delivered_twice_is_recorded_once_and_the_rest_cancels_once(
    redis_url: str,
) -> None:
    async with stack(redis_url, WebhookConfig(queue_delay_s=0.1, poll_interval_s=0.05)) as s:
        for topic in ("order.created", "order.updated"):
            await s.hook(topic)
        order_id = await s.place(
            pickup_location="Store Stockholm", line_items=[{"sku": "SKU-0002", "quantity": 2}]
        )
        externalid = f"wc-{order_id}"

        async def in_sitoo() -> bool:
            return len(await s.sitoo_orders(externalid)) == 1

        await eventually(in_sitoo)
        (sitoo_order,) = await s.sitoo_orders(externalid)
        updates_before = len(await _updates_delivered(s, order_id))
        order = (await s.shop_api.get(f"/orders/{order_id}")).json()
        line = order["line_items"][0]
        made = await s.shop_admin.post(
            f"/orders/{order_id}/refunds",
            json={
                "amount": str(line["price"]),
                "reason": "One arrived broken",
                "lines": [{"line_item_id": line["id"], "quantity": 1}],
            },
        )
        assert made.status_code == 201, made.text
        refund_event = f"wc-refund-{made.json()['id']}"
        # The refund's order.updated, and the same state sent once more.
        await s.shop_admin.post(
            "/webhooks/send",
            json={"resource_id": order_id, "topic": "order.updated", "merge": False},
        )

        async def answered() -> bool:
            return len(await _results(s, refund_event)) >= 1

        await eventually(answered)
        await asyncio.sleep(1.5)  # the repeat, poll cycles: nothing may happen twice
        # The refund's own delivery and the repeat both reached the service.
        assert len(await _updates_delivered(s, order_id)) >= updates_before + 2
        refunded = [e for e in await s.canonical() if e["type"] == "order.refunded"]
        assert [e["event_id"] for e in refunded] == [refund_event]
        assert refunded[0]["data"]["complete"] is False
        assert refunded[0]["data"]["lines"] == [
            {"sku": "SKU-0002", "quantity": 1, "restock_warehouse_id": s.warehouses["WH-STORE-1"]}
        ]
        (result,) = await _results(s, refund_event)
        assert result["data"]["status"] == "succeeded", result
        (stored,) = await s.sitoo_orders(externalid)
        key = f"refund-{made.json()['id']}"
        assert stored["additionaldata"][key] == (
            f"{float(line['price']):.2f} {order['currency']}; 1 x SKU-0002; One arrived broken"
        )
        assert stored["orderstateid"] == sitoo_order["orderstateid"]  # still open: one unit left
        assert len(await _refund_writes(s, sitoo_order["orderid"])) == 1

        # The rest refunded: the order becomes "refunded". Its refund is complete and the
        # status gives order.cancelled too; the Sitoo order is cancelled once.
        rest = await s.shop_admin.post(
            f"/orders/{order_id}/refunds",
            json={
                "amount": str(Decimal(order["total"]) - Decimal(str(line["price"]))),
                "lines": [{"line_item_id": line["id"], "quantity": 1}],
            },
        )
        assert rest.status_code == 201, rest.text
        last_event = f"wc-refund-{rest.json()['id']}"
        cancelled_event = f"wc-order-{order_id}-cancelled"

        async def both_answered() -> bool:
            return all([await _results(s, last_event), await _results(s, cancelled_event)])

        await eventually(both_answered)
        await asyncio.sleep(1.0)
        (stored,) = await s.sitoo_orders(externalid)
        assert stored["orderstateid"] == CANCELLED
        ledger = (
            await s.sandbox_admin.get("/_sandbox/ledger", params={"kind": "order.update"})
        ).json()
        cancels = [
            e
            for e in ledger
            if e["detail"].get("orderid") == sitoo_order["orderid"]
            and e["detail"].get("orderstateid") == CANCELLED
        ]
        assert len(cancels) == 1
        counts = Counter(e["event_id"] for e in await s.canonical())
        assert counts[last_event] == counts[cancelled_event] == 1
        for event_id in (last_event, cancelled_event):
            (result,) = await _results(s, event_id)
            assert result["data"]["status"] == "succeeded", result
