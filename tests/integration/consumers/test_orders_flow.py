"""Orders end to end: pickup orders, duplicates, cancels in either order, bad orders."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
import redis.asyncio as aioredis

from service.sandbox import RunningSandbox
from service.settings import Settings
from tests.integration.consumers.conftest import (
    Publish,
    envelope,
    results_by_inbound,
    settled,
)

CARD = "95000000000000000001"  # demo seed: 500.00 SEK


def pickup_order(order_id: str, sku: str = "SKU-0001", store: str = "STORE-1") -> dict[str, Any]:
    """A click-and-collect order: two shirts with a line discount, a voucher and shipping."""
    return {
        "order_id": order_id,
        "currency": "SEK",
        "customer": {"email": "anna@example.com", "first_name": "Anna", "last_name": "Berg"},
        "fulfilment": {"kind": "pickup", "store_externalid": store},
        "lines": [
            {
                "sku": sku,
                "name": "T-shirt",
                "quantity": 2,
                "unit_price": "249.00",
                "discount": "50.00",
                "vat_rate": "25",
            },
            {
                "sku": "SKU-0002",
                "name": "Socks",
                "quantity": 3,
                "unit_price": "39.90",
                "vat_rate": "25",
            },
        ],
        "order_discount": "20.00",
        "shipping": {"name": "Pickup fee", "price": "19.00", "vat_rate": "25"},
        "payments": [
            {"method": "Card", "amount": "566.70", "state": "captured", "reference": "psp-1"}
        ],
        "total": "566.70",
    }


@pytest.mark.usefixtures("service")
async def test_pickup_order_lands_once_with_the_webshop_total(
    settings: Settings,
    sandbox: RunningSandbox,
    redis: aioredis.Redis,
    publish: Publish,
) -> None:
    """Type 10, the store's warehouse, reserved, tagged, paid, and the same total to the cent."""
    document = envelope("order.placed", pickup_order("W-1001"))
    await publish(settings.streams.orders, document)
    await publish(settings.streams.orders, document)  # delivered twice
    results = await results_by_inbound(redis, settings.streams.results, count=1)
    assert results[document["event_id"]]["type"] == "order.placed.succeeded"
    await settled(redis, settings.streams.orders)  # the duplicate was handled too
    [order] = sandbox.sandbox.find_orders(externalid="W-1001")
    stored = order.to_json()
    store_warehouse = next(
        w for w in sandbox.sandbox.catalog.warehouses.values() if w.externalid == "WH-STORE-1"
    )
    assert stored["ordertypeid"] == 10
    assert stored["warehouseid"] == store_warehouse.warehouseid
    assert stored["datereserved"] > stored["orderdate"]
    assert stored["paymentstateid"] == 20
    assert stored["additionaldata"]["web-order-id"] == "W-1001"
    assert stored["additionaldata"]["web-fulfilment"] == "pickup"
    assert Decimal(stored["moneytotal_gross_all"]) == Decimal("566.70")
    assert [p["moneyamount"] for p in stored["payments"]] == ["566.70"]
    assert not stored.get("delivery_address")
    assert len(sandbox.sandbox.ledger_entries(kind="order.create")) == 1


@pytest.mark.usefixtures("service")
async def test_bad_orders_are_parked_and_do_not_hold_up_the_next(
    settings: Settings,
    sandbox: RunningSandbox,
    redis: aioredis.Redis,
    publish: Publish,
) -> None:
    """Unknown SKU and unknown store are dead-lettered with the reason; the good order lands."""
    unknown_sku = envelope("order.placed", pickup_order("W-2001", sku="NOPE-1"))
    unknown_store = envelope("order.placed", pickup_order("W-2002", store="STORE-404"))
    good = envelope("order.placed", pickup_order("W-2003"))
    for document in (unknown_sku, unknown_store, good):
        await publish(settings.streams.orders, document)
    results = await results_by_inbound(redis, settings.streams.results, count=3)
    assert results[unknown_sku["event_id"]]["data"]["reason_code"] == "unknown_sku"
    assert "NOPE-1" in results[unknown_sku["event_id"]]["data"]["reason"]
    assert results[unknown_store["event_id"]]["data"]["reason_code"] == "unknown_store"
    assert results[good["event_id"]]["type"] == "order.placed.succeeded"
    assert await redis.xlen(settings.streams.orders + settings.streams.dead_letter_suffix) == 2
    assert [o.externalid for o in sandbox.sandbox.find_orders()] == ["W-2003"]


@pytest.mark.usefixtures("service")
async def test_cancel_before_place_leaves_no_live_order(
    settings: Settings,
    sandbox: RunningSandbox,
    redis: aioredis.Redis,
    publish: Publish,
) -> None:
    """order.cancelled arriving first: the later order.placed creates nothing in Sitoo."""
    cancel = envelope("order.cancelled", {"order_id": "W-3001"})
    place = envelope("order.placed", pickup_order("W-3001"))
    await publish(settings.streams.orders, cancel)
    await publish(settings.streams.orders, place)
    results = await results_by_inbound(redis, settings.streams.results, count=2)
    assert results[cancel["event_id"]]["data"]["sitoo"]["order_found"] is False
    assert results[place["event_id"]]["data"]["reason_code"] == "cancelled"
    assert results[place["event_id"]]["data"]["dead_lettered"] is False
    assert sandbox.sandbox.find_orders(externalid="W-3001") == []


@pytest.mark.usefixtures("service")
async def test_cancel_after_place_cancels_and_refunds_the_gift_card(
    settings: Settings,
    sandbox: RunningSandbox,
    redis: aioredis.Redis,
    publish: Publish,
) -> None:
    """Cancelling sets state 20 once and rolls back the order's redemption."""
    place = envelope("order.placed", pickup_order("W-4001"))
    redeem = envelope(
        "giftcard.redeem",
        {"card_number": CARD, "amount": "100.00", "currency": "SEK", "order_id": "W-4001"},
    )
    await publish(settings.streams.giftcards, redeem)
    await publish(settings.streams.orders, place)
    await results_by_inbound(redis, settings.streams.results, count=2)
    cancel = envelope("order.cancelled", {"order_id": "W-4001"})
    await publish(settings.streams.orders, cancel)
    await publish(settings.streams.orders, cancel)
    results = await results_by_inbound(redis, settings.streams.results, count=3)
    await settled(redis, settings.streams.orders)
    assert results[cancel["event_id"]]["data"]["sitoo"]["rolled_back_redemptions"] == [
        redeem["event_id"]
    ]
    [order] = sandbox.sandbox.find_orders(externalid="W-4001")
    assert order.orderstateid == 20
    card = sandbox.sandbox.giftcard_state(CARD)["giftcard"]
    assert card["moneyamount"] == "500.00"
    assert len(sandbox.sandbox.ledger_entries(kind="giftcard.rollback")) == 1
    assert len(sandbox.sandbox.ledger_entries(kind="order.update")) == 1
