"""WooCommerce refunds become order.refunded: one per refund, the same however often seen."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import pytest
from pydantic import SecretStr

from service.adapters.common.errors import NotFound
from service.adapters.common.translating import Translated, Untranslatable
from service.adapters.woocommerce.client import WooCommerceClient, build_http_client
from service.adapters.woocommerce.models import Refund
from service.adapters.woocommerce.order_translation import OrderTranslator
from service.adapters.woocommerce.refunds import refund_event_id, refund_events
from service.adapters.woocommerce.translate import PickupMap
from service.adapters.woocommerce.translate import Untranslatable as Unusable
from service.contracts.envelope import Envelope
from service.contracts.registry import Channel, validate_payload
from service.fakes.woocommerce import create_fake_woocommerce_app, fake_woocommerce_transport
from service.fakes.woocommerce.config import FakeWooCommerceConfig
from service.settings_woocommerce import WooCommerceSettings

DATA = Path(__file__).parent / "data"
PICKUPS = PickupMap({"Store Stockholm": "STORE-1"})
WAREHOUSE = 7


def _documented(name: str) -> dict[str, Any]:
    found: dict[str, Any] = json.loads((DATA / name).read_text())
    return found


def test_the_documented_refund_of_money_only_is_recorded_and_not_complete() -> None:
    order = _documented("order-v3.json")
    refund = Refund.from_json(_documented("order-refund-v3.json"))
    (event,) = refund_events(order, 727, [refund], restock_warehouse_id=WAREHOUSE)
    validate_payload(event, Channel.ORDERS)
    assert event.event_id == "wc-refund-726" == refund_event_id(726)
    assert event.type == "order.refunded"
    assert event.correlation_id == "wc-order-727"
    assert event.occurred_at.isoformat() == "2017-03-21T20:07:11+00:00"  # date_created_gmt
    assert event.data == {
        "order_id": "wc-727",
        "refund_id": "726",
        "currency": "USD",
        "amount": "10.00",
        "lines": [],
        "complete": False,
        "note": None,
    }


def test_a_refund_line_without_sku_is_untranslatable_with_the_reason() -> None:
    raw = _documented("order-refund-v3.json")
    raw["line_items"] = [{"id": 9, "sku": "", "quantity": -1, "total": "-5.00"}]
    with pytest.raises(Unusable, match="refund 726: line 9 has no SKU"):
        refund_events(
            _documented("order-v3.json"), 727, [Refund.from_json(raw)], restock_warehouse_id=None
        )


# --- through the client, against the fake store ----------------------------------------------


@pytest.fixture
def fake() -> Any:
    return create_fake_woocommerce_app(FakeWooCommerceConfig())


@pytest.fixture
async def admin(fake: Any) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(
        transport=fake_woocommerce_transport(fake), base_url="https://shop.example.com/_fake"
    ) as client:
        yield client


@pytest.fixture
async def client(fake: Any) -> AsyncIterator[WooCommerceClient]:
    settings = WooCommerceSettings(
        url="https://shop.example.com",  # type: ignore[arg-type]
        consumer_key=SecretStr("ck_fake_consumer_key_0000000000000000000000"),
        consumer_secret=SecretStr("cs_fake_consumer_secret_00000000000000000000"),
        webhook_secret=SecretStr("x"),
    )
    async with build_http_client(settings, fake_woocommerce_transport(fake)) as http:
        yield WooCommerceClient(http=http, settings=settings)


async def _place(admin: httpx.AsyncClient) -> dict[str, Any]:
    answer = await admin.post(
        "/orders",
        json={
            "line_items": [{"sku": "SKU-0001", "quantity": 2}, {"sku": "SKU-0002", "quantity": 1}],
            "pickup_location": "Store Stockholm",
        },
    )
    assert answer.status_code == 201, answer.text
    order: dict[str, Any] = answer.json()["order"]
    return order


async def _refund(
    admin: httpx.AsyncClient, order: dict[str, Any], amount: str, **units: int
) -> int:
    """A refund made in wp-admin: ``units`` maps SKU (dashes as underscores) to units."""
    ids = {line["sku"]: line["id"] for line in order["line_items"]}
    lines = [
        {"line_item_id": ids[sku.replace("_", "-")], "quantity": n} for sku, n in units.items()
    ]
    answer = await admin.post(
        f"/orders/{order['id']}/refunds",
        json={"amount": amount, "reason": "Damaged\nin transit", "lines": lines},
    )
    assert answer.status_code == 201, answer.text
    refund_id: int = answer.json()["id"]
    return refund_id


async def _events(
    orders: OrderTranslator, client: WooCommerceClient, number: int
) -> list[Envelope]:
    """The events of the order as it is now (as a web hook's body or the poller reads it)."""
    order = await client.get_order(number)
    assert order is not None
    outcome = await orders.of(order.raw)
    assert isinstance(outcome, Translated), outcome
    for event in outcome.events:
        validate_payload(event.envelope, Channel.ORDERS)
    return [event.envelope for event in outcome.events]


async def test_a_partial_refund_keeps_the_order_placed_and_adds_its_refund(
    admin: httpx.AsyncClient, client: WooCommerceClient
) -> None:
    order = await _place(admin)
    price = Decimal(order["line_items"][0]["price"])
    refund_id = await _refund(admin, order, str(price), SKU_0001=1)
    orders = OrderTranslator(PICKUPS, client, restock_warehouse_id=WAREHOUSE)
    placed, refunded = await _events(orders, client, order["id"])
    assert placed.event_id == f"wc-order-{order['id']}-placed"
    assert refunded.event_id == f"wc-refund-{refund_id}"
    assert refunded.data == {
        "order_id": f"wc-{order['id']}",
        "refund_id": str(refund_id),
        "currency": order["currency"],
        "amount": f"{price:.2f}",
        # WooCommerce's -1 is one unit given back, restocked where Sitoo keeps the shop's stock.
        "lines": [{"sku": "SKU-0001", "quantity": 1, "restock_warehouse_id": WAREHOUSE}],
        "complete": False,
        "note": "Damaged in transit",
    }
    # Without a stock warehouse, WooCommerce's stock is not Sitoo's: nothing to restock.
    unmapped = OrderTranslator(PICKUPS, client)
    _, again = await _events(unmapped, client, order["id"])
    assert again.data["lines"][0]["restock_warehouse_id"] is None


async def test_several_refunds_each_one_event_and_the_one_giving_back_the_last_unit_completes(
    admin: httpx.AsyncClient, client: WooCommerceClient
) -> None:
    order = await _place(admin)
    orders = OrderTranslator(PICKUPS, client)
    first = await _refund(admin, order, "1.00", SKU_0001=1)
    money_only = await _refund(admin, order, "0.50")
    last = await _refund(admin, order, "2.00", SKU_0001=1, SKU_0002=1)
    events = await _events(orders, client, order["id"])
    assert [(e.event_id, e.data.get("complete")) for e in events] == [
        (f"wc-order-{order['id']}-placed", None),
        (f"wc-refund-{first}", False),
        (f"wc-refund-{money_only}", False),
        (f"wc-refund-{last}", True),  # every unit of every line is back: nothing to hand over
    ]
    # The order is still "processing" (not all money went back); complete does not need it.
    assert (await client.get_order(order["id"])).status == "processing"  # type: ignore[union-attr]


async def test_a_full_refund_gives_its_refund_and_order_cancelled(
    admin: httpx.AsyncClient, client: WooCommerceClient
) -> None:
    """The refunded status still cancels; the complete refund cancels the same order once."""
    order = await _place(admin)
    partial = await _refund(admin, order, "1.00", SKU_0002=1)
    rest = Decimal(order["total"]) - 1
    full = await _refund(admin, order, str(rest), SKU_0001=2)
    events = await _events(OrderTranslator(PICKUPS, client), client, order["id"])
    assert [(e.event_id, e.data.get("complete")) for e in events] == [
        (f"wc-refund-{partial}", False),
        (f"wc-refund-{full}", True),
        (f"wc-order-{order['id']}-cancelled", None),
    ]
    assert events[2].data["reason"] == "refunded in WooCommerce"


async def test_the_same_order_seen_twice_derives_the_same_events(
    admin: httpx.AsyncClient, client: WooCommerceClient
) -> None:
    """A repeated delivery, or the poller after the web hook: identical ids and payloads."""
    order = await _place(admin)
    await _refund(admin, order, "1.00", SKU_0001=1)
    orders = OrderTranslator(PICKUPS, client, restock_warehouse_id=WAREHOUSE)
    once = await _events(orders, client, order["id"])
    # A later change of the order (a note, a status) does not change the refund's event.
    await admin.put(f"/orders/{order['id']}/status", json={"status": "completed"})
    twice = await _events(orders, client, order["id"])
    assert [(e.event_id, e.data) for e in once] == [(e.event_id, e.data) for e in twice]


async def test_unreadable_refunds_are_untranslatable_or_raise_for_the_consumer(
    admin: httpx.AsyncClient, client: WooCommerceClient
) -> None:
    order = await _place(admin)
    await _refund(admin, order, "1.00", SKU_0001=1)
    orders = OrderTranslator(PICKUPS, client)
    raw = (await client.get_order(order["id"])).raw  # type: ignore[union-attr]
    odd = {**raw, "refunds": [{"reason": "", "total": "-1.00"}]}
    outcome = await orders.of(odd)
    assert isinstance(outcome, Untranslatable)
    assert outcome.reason.startswith(f"order {order['id']}: refunds[] entry")
    # An order the store no longer has: the client's permanent error, dead-lettered by the
    # consumer (and by the poller) with its reason.
    gone = {**raw, "id": 999_999}
    with pytest.raises(NotFound):
        await orders.of(gone)
