"""Shopify deliveries become contract events, or dead letters with a reason; never a crash."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest

from service.adapters.common.emitting import check
from service.adapters.common.errors import ReadInterrupted
from service.adapters.common.translating import RawDelivery, Translated, Untranslatable
from service.adapters.shopify.translator import ShopifyTranslator
from service.fakes.shopify import FakeShopify
from service.fakes.shopify.order_intake import place_order
from tests.component.shopify_adapter.conftest import GOTHENBURG, STORE, WAREHOUSE

DATA = Path(__file__).parents[2] / "integration/webshops/data"


def _delivery(topic: str, body: object) -> RawDelivery:
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    return RawDelivery("shopify", topic, raw, {}, "1-0", 0)


def _order(shop: FakeShopify, **options: object) -> int:
    body = {
        "order": {
            "email": "ada@example.com",
            "line_items": [
                {"sku": "SKU-0001", "quantity": 2, "price": "100.00"},
                {"sku": "SKU-0002", "quantity": 1, "price": "50.00"},
            ],
            **options.pop("order", {}),  # type: ignore[dict-item]
        },
        **options,
    }
    return place_order(shop, body).number


async def test_pickup_order_becomes_a_pickup_in_the_mapped_store(translator, shop):
    """PICK_UP fulfillment order at a mapped location: order.placed with that store."""
    number = _order(shop, pickup_location_id=STORE)
    outcome = await translator.translate(_delivery("orders/create", {"id": number}))
    assert isinstance(outcome, Translated)
    (event,) = outcome.events
    check(event)
    envelope = event.envelope
    assert envelope.event_id == f"shopify-order-{number}-placed"
    assert envelope.type == "order.placed"
    assert envelope.source == "shopify"
    data = envelope.data
    assert data["order_id"] == f"shopify-{number}"
    assert data["fulfilment"] == {"kind": "pickup", "store_id": 1}
    assert [(line["sku"], line["quantity"]) for line in data["lines"]] == [
        ("SKU-0001", 2),
        ("SKU-0002", 1),
    ]
    assert Decimal(data["total"]) == 250
    assert sum(float(p["amount"]) for p in data["payments"]) == 250.0
    assert data["customer"] == {"email": "ada@example.com"}


async def test_the_same_order_always_gives_the_same_event(translator, shop):
    """Web hook, retry and poller read the same order: identical id and content."""
    number = _order(shop, pickup_location_id=STORE)
    first = await translator.translate(_delivery("orders/create", {"id": number}))
    again = await translator.order_state(str(number))
    updated = await translator.translate(
        _delivery("orders/updated", {"admin_graphql_api_id": f"gid://shopify/Order/{number}"})
    )
    assert isinstance(first, Translated)
    assert isinstance(again, Translated)
    assert isinstance(updated, Translated)
    assert first.events == again.events == updated.events


async def test_delivery_order_carries_address_and_ships_from_the_mapped_store(translator, shop):
    """A shipped order: the address, the shipping charge and the store it ships from."""
    number = _order(
        shop,
        order={
            "shipping_lines": [{"title": "Postnord", "price": "49.00"}],
            "shipping_address": {
                "first_name": "Ada",
                "last_name": "Lovelace",
                "address1": "Drottninggatan 1",
                "zip": "111 51",
                "city": "Stockholm",
                "country_code": "se",
            },
        },
        fulfillment_location_id=STORE,
    )
    outcome = await translator.translate(_delivery("orders/create", {"id": number}))
    assert isinstance(outcome, Translated)
    (event,) = outcome.events
    check(event)
    data = event.envelope.data
    assert data["fulfilment"]["kind"] == "delivery"
    assert data["fulfilment"]["address"]["country"] == "SE"
    assert data["fulfilment"]["ship_from"] == {"store_id": 1}
    assert Decimal(data["shipping"]["price"]) == 49
    assert Decimal(data["total"]) == 299


async def test_pickup_at_an_unmapped_location_is_dead_lettered_with_the_setting(translator, shop):
    """A pick-up location the map does not name: the reason names the setting."""
    number = _order(shop, pickup_location_id=GOTHENBURG)
    outcome = await translator.translate(_delivery("orders/create", {"id": number}))
    assert isinstance(outcome, Untranslatable)
    assert outcome.reason == (
        f"pick-up location {GOTHENBURG} is not in SITOO_SYNC_SHOPIFY__LOCATIONS"
    )


async def test_unpaid_and_skuless_orders_are_dead_lettered(translator, shop):
    """Not paid in full, or a line without SKU: one dead letter with the reason."""
    unpaid = _order(shop, pickup_location_id=STORE, order={"financial_status": "pending"})
    skuless = place_order(
        shop,
        {
            "order": {"line_items": [{"title": "Engraving", "quantity": 1, "price": "10.00"}]},
            "pickup_location_id": STORE,
        },
    ).number
    first = await translator.translate(_delivery("orders/create", {"id": unpaid}))
    second = await translator.translate(_delivery("orders/create", {"id": skuless}))
    assert isinstance(first, Untranslatable)
    assert "is not paid in full" in first.reason
    assert isinstance(second, Untranslatable)
    assert second.reason == "line 'Engraving' has no SKU"


async def test_cancelled_order_gives_placed_and_cancelled(translator, client, shop):
    """orders/cancelled: both events, so a missed orders/create is made up for."""
    number = _order(shop, pickup_location_id=STORE)
    assert await client.cancel_order(f"gid://shopify/Order/{number}", reason="CUSTOMER")
    outcome = await translator.translate(_delivery("orders/cancelled", {"id": number}))
    assert isinstance(outcome, Translated)
    assert [e.envelope.type for e in outcome.events] == ["order.placed", "order.cancelled"]
    cancelled = outcome.events[1].envelope
    assert cancelled.event_id == f"shopify-order-{number}-cancelled"
    assert cancelled.data == {"order_id": f"shopify-{number}", "reason": "customer"}
    for event in outcome.events:
        check(event)


async def test_order_without_fulfillment_orders_yet_is_retried(translator, shop):
    """Shopify routes fulfillment orders after the order: a retryable error, not a verdict."""
    number = _order(shop, pickup_location_id=STORE)
    order = shop.orders.orders[number]
    hidden, order.fulfillment_orders = order.fulfillment_orders, []
    with pytest.raises(ReadInterrupted):
        await translator.translate(_delivery("orders/create", {"id": number}))
    order.fulfillment_orders = hidden


def _level(location: int, available: int, *, item: int | None = None) -> dict[str, object]:
    return {
        "inventory_item_id": item,
        "location_id": location,
        "available": available,
        "updated_at": "2026-03-01T12:00:00+01:00",
    }


async def test_levels_at_shopify_mastered_locations_become_stock_set(translator, shop):
    """Shopify masters the warehouse location: stock.set of the mapped warehouse."""
    item = next(v.inventory_item for v in shop.catalog.variants.values() if v.sku == "SKU-0005")
    outcome = await translator.translate(
        _delivery("inventory_levels/update", _level(WAREHOUSE, 7, item=item))
    )
    assert isinstance(outcome, Translated)
    (event,) = outcome.events
    check(event)
    assert event.envelope.type == "stock.set"
    assert event.envelope.data == {
        "warehouse_id": 9,
        "items": [{"sku": "SKU-0005", "quantity": 7}],
    }
    assert event.envelope.event_id == f"shopify-stock-{item}-{WAREHOUSE}-1772362800000"


async def test_levels_at_sitoo_mastered_or_unmapped_locations_are_not_echoed(translator, shop):
    """Sitoo masters the store's stock (our own writes come back): no event."""
    item = next(iter(shop.catalog.variants.values())).inventory_item
    for location in (STORE, GOTHENBURG):
        outcome = await translator.translate(
            _delivery("inventory_levels/update", _level(location, 3, item=item))
        )
        assert outcome == Translated(note=outcome.note)
        assert outcome.events == ()


@pytest.mark.parametrize(
    ("topic", "body", "reason"),
    [
        ("orders/create", b"\xff", "body: not UTF-8"),
        ("orders/create", b"[1]", "body is not a JSON object"),
        ("orders/create", b"{", "body: not JSON"),
        ("orders/create", b'{"id": 1, "id": 2}', "body: an object names the key 'id' more"),
        ("orders/create", {"id": "abc"}, "body has no order id"),
        ("orders/create", {"id": 999999}, "order 999999 is not in Shopify"),
        ("inventory_levels/update", {"location_id": 1}, "body has no whole number 'available'"),
        ("inventory_levels/update", _level(WAREHOUSE, -2, item=1), "inventory item 1 is not"),
        ("products/create", {"id": 1}, "topic 'products/create' is not translated"),
        ("", {"id": 1}, "topic '(none)' is not translated"),
    ],
)
async def test_bad_deliveries_are_untranslatable_with_reason(translator, topic, body, reason):
    """Each bad delivery: one reason, no exception."""
    outcome = await translator.translate(_delivery(topic, body))
    assert isinstance(outcome, Untranslatable)
    assert outcome.reason.startswith(reason)


async def test_negative_available_is_dead_lettered(translator, shop):
    """Sitoo levels cannot be negative: the reason says so."""
    item = next(iter(shop.catalog.variants.values())).inventory_item
    outcome = await translator.translate(
        _delivery("inventory_levels/update", _level(WAREHOUSE, -2, item=item))
    )
    assert isinstance(outcome, Untranslatable)
    assert "is negative" in outcome.reason


@pytest.mark.parametrize(
    ("name", "topic"),
    [
        ("rest-order.json", "orders/create"),
        ("rest-order.json", "orders/cancelled"),
        ("rest-inventory_level.json", "inventory_levels/update"),
        ("rest-refund.json", "refunds/create"),
        ("rest-gift_card.json", "gift_cards/create"),
        ("rest-gift_card_adjustment.json", "gift_cards/update"),
        ("rest-location.json", "locations/update"),
    ],
)
async def test_shared_example_payloads_translate_or_dead_letter(translator, name, topic):
    """Real Shopify bodies (shared examples): an outcome each, never an exception."""
    body = (DATA / name).read_bytes()
    outcome = await translator.translate(_delivery(topic, body))
    assert isinstance(outcome, Translated | Untranslatable)
    if name == "rest-inventory_level.json":
        assert outcome == Translated(note="location 905684977 is not mapped")
    elif name in {"rest-order.json", "rest-refund.json"}:
        # A refund names its order, which is read like any order's.
        assert outcome == Untranslatable("order 450789469 is not in Shopify")
    else:
        assert isinstance(outcome, Untranslatable)
        assert "is not translated" in outcome.reason


async def test_an_order_older_than_the_placement_window_is_not_placed_again(client, settings, shop):
    """Long after the marks expired, a change to an old order places nothing; a cancel counts."""
    number = _order(shop, pickup_location_id=STORE)
    later = datetime.now(UTC) + timedelta(days=40)
    translator = ShopifyTranslator(
        client, settings, placement_window=timedelta(days=27), clock=lambda: later
    )
    outcome = await translator.translate(_delivery("orders/updated", {"id": number}))
    assert outcome == Translated(note="placed long ago: not placed again")
    await client.cancel_order(f"gid://shopify/Order/{number}")
    outcome = await translator.translate(_delivery("orders/cancelled", {"id": number}))
    assert isinstance(outcome, Translated)
    assert [e.envelope.type for e in outcome.events] == ["order.cancelled"]
