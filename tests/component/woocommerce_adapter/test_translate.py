"""Translating WooCommerce orders: the documentation's example and the fake's own payloads."""

from __future__ import annotations

import copy
import json
from collections.abc import AsyncIterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import pytest

from service.adapters.woocommerce.translate import (
    PickupMap,
    event_id,
    order_id_from_webshop,
    translate_order,
    webshop_order_id,
)
from service.contracts.envelope import Envelope
from service.contracts.registry import Channel, validate_payload
from service.fakes.woocommerce import create_fake_woocommerce_app, fake_woocommerce_transport
from service.fakes.woocommerce.config import FakeWooCommerceConfig

DATA = Path(__file__).parent / "data"
PICKUPS = PickupMap({"Store Stockholm": "STORE-1", "store gothenburg": "STORE-2"})


def documented_order() -> dict[str, Any]:
    """The REST API documentation's order (one of its lines has no SKU)."""
    order: dict[str, Any] = json.loads((DATA / "order-v3.json").read_text())
    return order


def with_skus(order: dict[str, Any]) -> dict[str, Any]:
    changed = copy.deepcopy(order)
    changed["line_items"][0]["sku"] = "SKU-0001"
    return changed


def only_event(raw: object) -> Envelope:
    translation = translate_order(raw, PICKUPS)
    assert translation.untranslatable is None, translation.untranslatable
    assert len(translation.events) == 1
    event = translation.events[0]
    # Every event is valid on the orders stream, as the consumers will check.
    validate_payload(event, Channel.ORDERS)
    return event


def test_documented_order_with_a_line_without_sku_is_untranslatable_with_the_reason() -> None:
    translation = translate_order(documented_order(), PICKUPS)
    assert translation.events == ()
    assert translation.untranslatable is not None
    assert "line 315" in translation.untranslatable
    assert "has no SKU" in translation.untranslatable


def test_documented_order_becomes_a_delivery_with_vat_and_shipping() -> None:
    event = only_event(with_skus(documented_order()))
    assert event.event_id == "wc-order-727-placed"
    assert event.type == "order.placed"
    assert event.source == "woocommerce"
    assert event.occurred_at.isoformat() == "2017-03-22T19:28:02+00:00"
    data = event.data
    assert data["order_id"] == "wc-727"
    assert data["currency"] == "USD"
    assert data["fulfilment"]["kind"] == "delivery"
    assert data["fulfilment"]["address"] == {
        "name": "John Doe",
        "street": "969 Market",
        "postal_code": "94103",
        "city": "San Francisco",
        "country": "US",
    }
    assert data["lines"][0] == {
        "sku": "SKU-0001",
        "name": "Woo Single #1",
        "quantity": 2,
        "unit_price": "3.23",  # (6.00 + 0.45) / 2, rounded up
        "discount": "0.01",  # so that the line is exactly 6.45
        "vat_rate": "7.5",
    }
    # The HTML entity WooCommerce stores in names is decoded.
    assert data["lines"][1]["name"] == "Ship Your Idea \u2013 Color: Black, Size: M Test"
    assert data["lines"][1]["unit_price"] == "12.90"
    assert data["shipping"] == {
        "name": "Flat Rate",
        "price": "10.00",
        "discount": "0.00",
        "vat_rate": "0",
        "sku": None,
    }
    assert data["total"] == "29.35"
    assert data["payments"] == [
        {
            "method": "Direct Bank Transfer",
            "amount": "29.35",
            "state": "captured",
            "reference": None,
        }
    ]
    assert data["customer"]["phone"] == "(555) 555-5555"


@pytest.mark.parametrize("status", ["completed", "on-hold"])
def test_a_later_state_of_a_placed_order_gives_the_same_event_id(status: str) -> None:
    later = with_skus(documented_order())
    later["status"] = status
    later["date_modified_gmt"] = "2017-03-23T10:00:00"
    assert only_event(later).event_id == only_event(with_skus(documented_order())).event_id


@pytest.mark.parametrize(
    ("status", "reason"), [("cancelled", "cancelled"), ("refunded", "refunded")]
)
def test_cancelled_and_refunded_orders_become_order_cancelled(status: str, reason: str) -> None:
    order = documented_order()  # even the line without SKU does not matter for a cancel
    order["status"] = status
    event = only_event(order)
    assert event.event_id == "wc-order-727-cancelled"
    assert event.type == "order.cancelled"
    assert event.data == {"order_id": "wc-727", "reason": f"{reason} in WooCommerce"}
    assert event.occurred_at.isoformat() == "2017-03-22T19:28:08+00:00"  # date_modified_gmt


@pytest.mark.parametrize("status", ["checkout-draft", "pending", "failed", "trash", "custom-x"])
def test_drafts_unpaid_and_unknown_statuses_produce_nothing(status: str) -> None:
    order = with_skus(documented_order())
    order["status"] = status
    translation = translate_order(order, PICKUPS)
    assert translation.events == ()
    assert translation.untranslatable is None
    assert translation.ignored is not None
    assert translation.outcome == "ignored"


def test_a_partly_refunded_order_is_still_placed() -> None:
    order = with_skus(documented_order())
    order["refunds"] = [{"id": 730, "reason": "", "total": "-10.00"}]
    assert only_event(order).type == "order.placed"


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        (lambda o: o.update(fee_lines=[{"name": "Gift wrap", "total": "5.00"}]), "fee lines"),
        (lambda o: o.update(total="30.00"), "does not match"),
        (lambda o: o.update(total="0.00"), "total is 0"),
        (lambda o: o.update(line_items=[]), "no line items"),
        (lambda o: o.update(currency="usd"), "data.currency"),
        (lambda o: o["line_items"][0].update(quantity=0), "quantity 0"),
        (lambda o: o["line_items"][0].update(total="abc"), "unexpected shape"),
        (lambda o: o["line_items"][0].update(sku="bad sku!"), "data.lines.0.sku"),
        (lambda o: o.pop("line_items"), "no line items"),
        (lambda o: o["shipping_lines"].__setitem__(0, 7), "unexpected shape"),
    ],
)
def test_bad_orders_are_untranslatable_with_a_reason(change: Any, reason: str) -> None:
    order = with_skus(documented_order())
    change(order)
    translation = translate_order(order, PICKUPS)
    assert translation.events == ()
    assert translation.untranslatable is not None
    assert reason in translation.untranslatable
    assert translation.untranslatable.startswith("order 727: ")


@pytest.mark.parametrize("raw", [None, [], "x", {"id": "7"}, {"id": True}, {"id": 0}])
def test_what_is_not_an_order_is_untranslatable(raw: object) -> None:
    translation = translate_order(raw, PICKUPS)
    assert translation.order_id is None
    assert translation.untranslatable is not None


def test_ids() -> None:
    assert webshop_order_id(5) == "wc-5"
    assert order_id_from_webshop("wc-5") == 5
    assert order_id_from_webshop("wc-x") is None
    assert order_id_from_webshop("5") is None
    assert order_id_from_webshop(None) is None
    assert event_id(5, "placed") == "wc-order-5-placed"


# --- the fake's payloads ------------------------------------------------------------------


@pytest.fixture
async def admin() -> AsyncIterator[httpx.AsyncClient]:
    app = create_fake_woocommerce_app(FakeWooCommerceConfig())
    async with httpx.AsyncClient(
        transport=fake_woocommerce_transport(app), base_url="https://shop.example.com/_fake"
    ) as client:
        yield client


async def place(admin: httpx.AsyncClient, **body: Any) -> dict[str, Any]:
    body.setdefault("line_items", [{"sku": "SKU-0001", "quantity": 2}])
    answer = await admin.post("/orders", json=body)
    assert answer.status_code == 201, answer.text
    order: dict[str, Any] = answer.json()["order"]
    return order


async def test_a_pickup_order_at_a_mapped_location_is_click_and_collect_in_that_store(
    admin: httpx.AsyncClient,
) -> None:
    order = await place(
        admin,
        pickup_location="Store Gothenburg",
        billing={"first_name": "Anna", "email": "anna@example.com"},
        payment_method="stripe",
    )
    event = only_event(order)
    assert event.data["fulfilment"] == {
        "kind": "pickup",
        "store_externalid": "STORE-2",
        "store_id": None,
    }
    assert event.data["customer"]["email"] == "anna@example.com"
    assert event.data["lines"][0]["sku"] == "SKU-0001"
    assert event.data["lines"][0]["quantity"] == 2
    assert event.data["payments"][0]["state"] == "captured"
    assert event.data["shipping"] is None


async def test_a_pickup_at_an_unmapped_location_is_untranslatable(
    admin: httpx.AsyncClient,
) -> None:
    order = await place(admin, pickup_location="Store Stockholm")
    translation = translate_order(order, PickupMap({"Store Gothenburg": "STORE-2"}))
    assert translation.untranslatable is not None
    assert "'Store Stockholm' is not mapped" in translation.untranslatable


async def test_legacy_local_pickup_needs_the_configured_store(admin: httpx.AsyncClient) -> None:
    order = await place(admin, shipping_method="local_pickup")
    translation = translate_order(order, PICKUPS)
    assert translation.untranslatable is not None
    assert "LOCAL_PICKUP_STORE" in translation.untranslatable
    event = translate_order(order, PickupMap({}, legacy_store="STORE-9")).events[0]
    assert event.data["fulfilment"]["store_externalid"] == "STORE-9"


async def test_a_fake_checkout_draft_is_ignored_and_an_on_hold_order_is_placed(
    admin: httpx.AsyncClient,
) -> None:
    draft = await place(admin, status="checkout-draft", pickup_location="Store Stockholm")
    assert translate_order(draft, PICKUPS).ignored is not None
    held = await place(admin, status="on-hold", pickup_location="Store Stockholm")
    assert only_event(held).event_id == f"wc-order-{held['id']}-placed"


def test_an_order_not_paid_yet_pays_on_pickup() -> None:
    order = with_skus(documented_order())
    order["status"] = "on-hold"
    order["date_paid_gmt"] = None
    assert only_event(order).data["payments"][0]["state"] == "authorised"


async def test_a_shipped_fake_order_is_a_delivery_with_shipping(admin: httpx.AsyncClient) -> None:
    order = await place(
        admin,
        shipping_method="flat_rate",
        shipping_total="49.00",
        billing={
            "first_name": "Bo",
            "last_name": "Ek",
            "address_1": "Storgatan 1",
            "postcode": "111 22",
            "city": "Stockholm",
            "country": "SE",
        },
    )
    event = only_event(order)
    assert event.data["fulfilment"]["kind"] == "delivery"
    assert event.data["fulfilment"]["address"]["postal_code"] == "111 22"
    assert event.data["shipping"]["price"] == "49.00"


def test_tax_rounded_per_order_leaves_cents_that_go_on_the_largest_line() -> None:
    """Lines keep unrounded tax ("round tax at subtotal level"); the total is rounded once."""
    order = with_skus(documented_order())
    line = {"subtotal": "3.99", "subtotal_tax": "0.9975", "total": "3.99", "total_tax": "0.9975"}
    order["line_items"] = [
        {**line, "id": n, "name": f"P{n}", "sku": f"SKU-000{n}", "quantity": 1} for n in (1, 2, 3)
    ]
    order["shipping_lines"] = []
    order["total"] = "14.96"  # 11.97 net + 2.9925 tax, rounded once; the lines round to 14.97
    event = only_event(order)
    lines = event.data["lines"]
    assert [li["vat_rate"] for li in lines] == ["25", "25", "25"]
    paid = [Decimal(li["unit_price"]) * li["quantity"] - Decimal(li["discount"]) for li in lines]
    assert paid == [Decimal("4.98"), Decimal("4.99"), Decimal("4.99")]
    # More than a cent per line apart is a real disagreement: refused with the reason.
    order["total"] = "14.90"
    assert "does not match" in str(translate_order(order, PICKUPS).untranslatable)
