"""Shopify refunds become order.refunded, the same from the web hook and from the order."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest

from service.adapters.common.emitting import check
from service.adapters.common.errors import Disposition, ReadCutShort
from service.adapters.common.translating import RawDelivery, Translated, Untranslatable
from service.adapters.shopify import ShopifyClient, queries
from service.adapters.shopify.refund_translation import may_have_refunds
from service.adapters.shopify.translator import ShopifyTranslator
from service.fakes.shopify import FakeShopify
from service.fakes.shopify.order_intake import place_order
from tests.component.shopify_adapter.conftest import STORE


def _delivery(topic: str, body: object) -> RawDelivery:
    return RawDelivery("shopify", topic, json.dumps(body).encode(), {}, "1-0", 0)


def _pickup(shop: FakeShopify) -> tuple[int, list[int]]:
    order = place_order(
        shop,
        {
            "order": {
                "line_items": [
                    {"sku": "SKU-0001", "quantity": 2, "price": "100.00"},
                    {"sku": "SKU-0002", "quantity": 1, "price": "50.00"},
                ]
            },
            "pickup_location_id": STORE,
        },
    )
    return order.number, [line.number for line in order.lines]


def _refunded(outcome: Translated | Untranslatable) -> list[dict[str, object]]:
    assert isinstance(outcome, Translated), outcome
    for event in outcome.events:
        check(event)
    return [
        {"event_id": e.envelope.event_id, **e.envelope.data}
        for e in outcome.events
        if e.envelope.type == "order.refunded"
    ]


async def test_a_partial_refund_web_hook_gives_one_order_refunded(
    translator: ShopifyTranslator, shop: FakeShopify
) -> None:
    """refunds/create names the order; the event carries the refund's lines and money."""
    number, (shirts, _) = _pickup(shop)
    refund = shop.orders.refund_lines(number, [(shirts, 1)], restock=True, note="too\nsmall")
    body = {"id": refund.number, "order_id": number}
    (event,) = _refunded(await translator.translate(_delivery("refunds/create", body)))
    assert Decimal(str(event.pop("amount"))) == 100
    assert event == {
        "event_id": f"shopify-refund-{refund.number}",
        "order_id": f"shopify-{number}",
        "refund_id": str(refund.number),
        "currency": "SEK",
        # Restocked at the Sitoo-mastered store location: back into its warehouse 1.
        "lines": [{"sku": "SKU-0001", "quantity": 1, "restock_warehouse_id": 1}],
        "complete": False,
        "note": "too small",
    }


async def test_the_poller_and_later_web_hooks_derive_the_same_refunds(
    translator: ShopifyTranslator, shop: FakeShopify
) -> None:
    """The order read for orders/updated (the poller's topic) repeats every refund, same ids.

    The second refund gives back what was left, so it (and only it) is complete.
    """
    number, (shirts, socks) = _pickup(shop)
    first = shop.orders.refund_lines(number, [(shirts, 1)], restock=False, note=None)
    hook = _refunded(
        await translator.translate(
            _delivery("refunds/create", {"id": first.number, "order_id": number})
        )
    )
    second = shop.orders.refund_lines(number, [(shirts, 1), (socks, 1)], restock=False, note=None)
    polled = _refunded(await translator.translate(_delivery("orders/updated", {"id": number})))
    assert [e["event_id"] for e in polled] == [
        f"shopify-refund-{first.number}",
        f"shopify-refund-{second.number}",
    ]
    assert polled[0] == hook[0]
    assert [e["complete"] for e in polled] == [False, True]
    assert Decimal(str(polled[1]["amount"])) == 150
    assert polled[1]["lines"] == [
        {"sku": "SKU-0001", "quantity": 1, "restock_warehouse_id": None},
        {"sku": "SKU-0002", "quantity": 1, "restock_warehouse_id": None},
    ]


async def test_refunds_are_read_only_for_orders_that_show_one(
    translator: ShopifyTranslator, client: ShopifyClient, shop: FakeShopify
) -> None:
    """No refunded state and no units taken off: no refund read, no refund event."""
    number, (shirts, _) = _pickup(shop)
    gid = f"gid://shopify/Order/{number}"
    outcome = await translator.translate(_delivery("orders/updated", {"id": number}))
    assert _refunded(outcome) == []
    before = await client.get_order(gid)
    assert before is not None
    assert not may_have_refunds(before)
    shop.orders.refund_lines(number, [(shirts, 1)], restock=False, note=None)
    after = await client.get_order(gid)
    assert after is not None
    assert may_have_refunds(after)


async def test_a_refund_web_hook_without_an_order_id_is_dead_lettered(
    translator: ShopifyTranslator,
) -> None:
    """A body that names no order: one dead letter with the reason."""
    outcome = await translator.translate(_delivery("refunds/create", {"id": 5}))
    assert isinstance(outcome, Untranslatable)
    assert outcome.reason == "body has no order id"


async def test_every_refund_is_read_however_many_the_order_has(
    translator: ShopifyTranslator, shop: FakeShopify
) -> None:
    """Refunds beyond the first read's batch are read by id: none is left out."""
    many = queries.REFUNDS_BATCH * 2 + 2
    order = place_order(
        shop,
        {
            "order": {"line_items": [{"sku": "SKU-0001", "quantity": many, "price": "10.00"}]},
            "pickup_location_id": STORE,
        },
    )
    (line,) = [line.number for line in order.lines]
    refunds = [
        shop.orders.refund_lines(order.number, [(line, 1)], restock=False, note=None)
        for _ in range(many)
    ]
    last = {"id": refunds[-1].number, "order_id": order.number}
    found = _refunded(await translator.translate(_delivery("refunds/create", last)))
    assert [e["event_id"] for e in found] == [f"shopify-refund-{r.number}" for r in refunds]
    assert [e["complete"] for e in found] == [False] * (many - 1) + [True]


def _lines(count: int) -> list[dict[str, object]]:
    return [{"sku": "SKU-0001", "quantity": 1, "price": "10.00"} for _ in range(count)]


async def test_an_order_with_more_lines_than_are_read_is_refused_with_the_limit(
    translator: ShopifyTranslator, shop: FakeShopify
) -> None:
    """Acting on the first 50 lines would inject a short order: it is dead-lettered instead."""
    order = place_order(
        shop,
        {"order": {"line_items": _lines(queries.ORDER_LINES + 1)}, "pickup_location_id": STORE},
    )
    with pytest.raises(ReadCutShort, match=f"more than {queries.ORDER_LINES} lineItems"):
        await translator.translate(_delivery("orders/create", {"id": order.number}))
    assert ReadCutShort.disposition is Disposition.DEAD_LETTER


async def test_an_order_with_exactly_as_many_lines_as_are_read_is_translated(
    translator: ShopifyTranslator, shop: FakeShopify
) -> None:
    """The limit itself is not refused: only an order that has more."""
    order = place_order(
        shop,
        {"order": {"line_items": _lines(queries.ORDER_LINES)}, "pickup_location_id": STORE},
    )
    outcome = await translator.translate(_delivery("orders/create", {"id": order.number}))
    assert isinstance(outcome, Translated), outcome
    (placed,) = [e for e in outcome.events if e.envelope.type == "order.placed"]
    assert len(placed.envelope.data["lines"]) == queries.ORDER_LINES
