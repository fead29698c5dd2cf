"""The client's typed calls against the fake: inventory, orders, pick-up, cancel, gift cards."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest

from service.adapters.shopify import ShopifyClient, giftcard_queries
from service.adapters.shopify.errors import ReconciliationFailed, StaleQuantities, UserErrors
from service.adapters.shopify.models import QuantityChange
from service.adapters.shopify.references import giftcard_code
from service.fakes.shopify import FakeShopify
from service.fakes.shopify.order_intake import place_order
from tests.component.shopify_client.conftest import STORE


async def test_shop_and_locations(client: ShopifyClient) -> None:
    """The shop and its locations."""
    assert (await client.shop()).domain == "sitoo-sync-dev.myshopify.com"
    assert [x.name for x in await client.locations()] == [
        "Store Stockholm",
        "Store Gothenburg",
        "Web Warehouse",
    ]


async def test_batched_compare_and_set_with_read_back(
    client: ShopifyClient, shop: FakeShopify
) -> None:
    """Six SKUs in batches of four: two calls, each keyed; the levels are the targets."""
    client._batch_size = 4
    skus = [f"SKU-{n:04d}" for n in range(1, 7)]
    variants = await client.variants_by_sku(skus)
    items = [variants[s][0].inventory_item_id for s in skus]
    levels = await client.inventory_levels(STORE, items)
    changes = [
        QuantityChange(i, STORE, 50 + n, levels[i]["available"]) for n, i in enumerate(items)
    ]  # type: ignore[index]
    results = await client.set_inventory_quantities(changes, idempotency_key="burst-1")
    assert len(results) == 2
    assert all(r.group_id for r in results)
    after = await client.inventory_levels(STORE, items)
    assert [after[i]["available"] for i in items] == [50 + n for n in range(6)]  # type: ignore[index]
    assert len(shop.ledger_entries(kind="inventory.set")) == 2
    again = await client.set_inventory_quantities(changes, idempotency_key="burst-1")
    assert [r.group_id for r in again] == [r.group_id for r in results]  # replayed, not applied
    assert len(shop.ledger_entries(kind="inventory.set")) == 2


async def test_a_stale_expectation_raises_with_the_index(client: ShopifyClient) -> None:
    """StaleQuantities names the refused quantity; its disposition is reconcile."""
    item = (await client.variants_by_sku(["SKU-0001"]))["SKU-0001"][0].inventory_item_id
    current = (await client.inventory_levels(STORE, [item]))[item]["available"]  # type: ignore[index]
    with pytest.raises(StaleQuantities) as caught:
        await client.set_inventory_quantities(
            [QuantityChange(item, STORE, 1, current + 3)], idempotency_key="stale-1"
        )
    assert caught.value.indexes == (0,)
    assert caught.value.disposition.value == "reconcile"


@pytest.mark.parametrize("version", ["2025-10", "2026-01", "2026-07"])
async def test_inventory_writes_follow_the_version(
    make_client, shop: FakeShopify, version: str
) -> None:
    """compareQuantity before 2026-01, changeFromQuantity (+ @idempotent) from it on."""
    async with make_client(version=version) as client:
        item = (await client.variants_by_sku(["SKU-0002"]))["SKU-0002"][0].inventory_item_id
        current = (await client.inventory_levels(STORE, [item]))[item]["available"]  # type: ignore[index]
        await client.set_inventory_quantities(
            [QuantityChange(item, STORE, current + 1, current)], idempotency_key=f"v-{version}"
        )
        assert (await client.inventory_levels(STORE, [item]))[item] == {"available": current + 1}
    assert len(shop.ledger_entries(kind="inventory.set")) == 1


async def test_pickup_flow_each_step_once(client: ShopifyClient, shop: FakeShopify) -> None:
    """Read the order, prepare, fulfil; repeating a step reports it was already done."""
    placed = place_order(
        shop,
        {
            "order": {"line_items": [{"sku": "SKU-0001", "quantity": 1}]},
            "pickup_location_id": 70000000001,
        },
    )
    order = await client.get_order(f"gid://shopify/Order/{placed.number}")
    assert order is not None
    (fo,) = order.fulfillment_orders
    assert fo.is_pickup
    assert fo.location_id == STORE
    assert await client.mark_ready_for_pickup([fo.id]) is True
    assert await client.mark_ready_for_pickup([fo.id]) is False
    made = await client.fulfil([fo.id])
    assert made is not None
    assert made.startswith("gid://shopify/Fulfillment/")
    assert await client.fulfil([fo.id]) is None
    assert len(shop.ledger_entries(kind="fulfillment_order.prepared_for_pickup")) == 1
    assert len(shop.ledger_entries(kind="fulfillment.create")) == 1


async def test_cancel_tags_refunds_and_the_update_poll(
    client: ShopifyClient, shop: FakeShopify
) -> None:
    """Cancel once, tag, read refunds and gift-card payments, page through updated orders."""
    card = next(iter(shop.giftcards.cards.values()))
    placed = place_order(
        shop,
        {
            "order": {"line_items": [{"sku": "SKU-0003", "quantity": 1}]},
            "gift_card_payments": [{"gift_card_id": card.number, "amount": "20"}],
        },
    )
    order_id = f"gid://shopify/Order/{placed.number}"
    order = await client.get_order(order_id)
    assert order is not None
    gift = [t for t in order.transactions if t.gateway == "gift_card"]
    assert gift[0].gift_card_id == f"gid://shopify/GiftCard/{card.number}"
    assert await client.cancel_order(order_id, refund=True, reason="CUSTOMER") is True
    assert await client.cancel_order(order_id) is False
    await client.add_tags(order_id, ["sitoo-cancelled"])
    await client.add_tags(order_id, ["sitoo-cancelled"])
    refunds = await client.order_refunds(order_id)
    assert refunds
    assert refunds[0].lines[0].restock_type == "CANCEL"
    page = await client.orders_updated_since(datetime(2020, 1, 1, tzinfo=UTC), first=1)
    assert page.orders[0].id == order_id
    assert not page.has_next_page
    assert len(shop.ledger_entries(kind="order.cancel")) == 1
    assert len(shop.ledger_entries(kind="order.tags_add")) == 1


async def test_gift_card_issue_and_adjustments_happen_once(
    client: ShopifyClient, shop: FakeShopify
) -> None:
    """Issue, debit, credit and set the balance; repeating each with its reference is a no-op."""
    created = await client.create_giftcard(Decimal(200), reference="sitoo-card-1", note="mirror")
    again = await client.create_giftcard(Decimal(200), reference="sitoo-card-1", note="mirror")
    assert again.gift_card.id == created.gift_card.id
    assert again.code == created.code
    card = created.gift_card.id
    first = await client.debit_giftcard(card, Decimal(50), "SEK", reference="redeem-1")
    second = await client.debit_giftcard(card, Decimal(50), "SEK", reference="redeem-1")
    assert (first.applied_now, second.applied_now) == (True, False)
    await client.credit_giftcard(card, Decimal(5), "SEK", reference="load-1")
    assert (await client.set_giftcard_balance(card, Decimal(100), reference="sync-1")) is not None
    assert (
        await client.set_giftcard_balance(card, Decimal(100), reference="sync-1")
    ).applied_now is False  # type: ignore[union-attr]
    assert await client.set_giftcard_balance(card, Decimal(100), reference="sync-2") is None
    fetched = await client.get_giftcard(card)
    assert fetched is not None
    assert fetched.balance.amount == 100
    kinds = [e.kind for e in shop.ledger_entries() if e.kind.startswith("giftcard.")]
    assert kinds == ["giftcard.create", "giftcard.debit", "giftcard.credit", "giftcard.debit"]
    with pytest.raises(UserErrors) as refused:
        await client.debit_giftcard(card, Decimal(1000), "SEK", reference="too-much")
    assert refused.value.codes == ("INSUFFICIENT_FUNDS",)


async def test_webhook_subscriptions_once(client: ShopifyClient, shop: FakeShopify) -> None:
    """Subscribing twice keeps one subscription; deleting twice is fine."""
    made = await client.subscribe_webhook("ORDERS_CREATE", "http://127.0.0.1:8080/webhooks/shopify")
    assert (
        await client.subscribe_webhook("ORDERS_CREATE", "http://127.0.0.1:8080/webhooks/shopify")
    ).id == made.id
    assert [s.topic for s in await client.webhook_subscriptions()] == ["ORDERS_CREATE"]
    await client.delete_webhook_subscription(made.id)
    await client.delete_webhook_subscription(made.id)
    assert await client.webhook_subscriptions() == []
    assert len(shop.ledger_entries(kind="webhook_subscription.create")) == 1


async def test_a_lost_gift_card_create_is_found_among_more_cards_than_one_page(
    client: ShopifyClient, shop: FakeShopify
) -> None:
    """The look-up after a lost answer reads every page of cards sharing the last characters:
    a card on the second page is found, not taken as absent and created again."""
    reference = "sitoo-card-many"
    code = giftcard_code(reference)
    for n in range(giftcard_queries.GIFT_CARDS_PAGE + 5):
        shop.giftcards.create(Decimal(1), code=f"other{n:03d}x{code[-4:]}", record=False)
    created = await client.create_giftcard(Decimal(200), reference=reference, note="mirror")
    again = await client.create_giftcard(
        Decimal(200), reference=reference, note="mirror", unknown=True
    )
    assert again.gift_card.id == created.gift_card.id
    assert len(shop.ledger_entries(kind="giftcard.create")) == 1


async def test_an_adjustment_beyond_the_pages_read_is_not_taken_as_absent(
    client: ShopifyClient, shop: FakeShopify
) -> None:
    """With more newer transactions than the look-up reads, absence is not proven: the
    outcome stays unknown (ReconciliationFailed) instead of allowing a second debit."""
    created = await client.create_giftcard(Decimal(500), reference="sitoo-card-busy")
    card = created.gift_card.id
    await client.debit_giftcard(card, Decimal(1), "SEK", reference="redeem-old")
    number = int(card.rsplit("/", 1)[1])
    for _ in range(giftcard_queries.GIFT_CARD_TRANSACTIONS_PAGE):
        shop.giftcards.adjust(number, Decimal(1), "SEK", debit=False, note="in store")

    found = await client.find_giftcard_adjustment(card, "redeem-old", max_pages=2)
    assert found is not None
    with pytest.raises(ReconciliationFailed, match="redeem-old is not among its newest 100"):
        await client.find_giftcard_adjustment(card, "redeem-old", max_pages=1)
    assert await client.find_giftcard_adjustment(card, "never-made", max_pages=2) is None
