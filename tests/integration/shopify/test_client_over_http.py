"""The Shopify client against the fake over real HTTP, with faults: every mutation lands once."""

from __future__ import annotations

from collections import Counter
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from decimal import Decimal

from pydantic import SecretStr

from service.adapters.shopify import ShopifyClient, build_http_client
from service.adapters.shopify.models import QuantityChange
from service.fakes.shopify import (
    FakeShopifyConfig,
    FaultConfig,
    RunningFakeShopify,
    serve_fake_shopify,
)
from service.fakes.shopify.order_intake import place_order
from service.settings_shopify import ShopifySettings

STORE = "gid://shopify/Location/70000000001"


@asynccontextmanager
async def _client(
    config: FakeShopifyConfig, **settings: object
) -> AsyncIterator[tuple[ShopifyClient, RunningFakeShopify]]:
    async with serve_fake_shopify(config, port=0, send_webhooks=False) as running:
        options = ShopifySettings(
            admin_url=running.url,  # type: ignore[arg-type]
            access_token=SecretStr("shpat_fake_access_token"),
            webhook_secret=SecretStr("fake-shopify-app-secret"),
            read_timeout_s=0.5,
            call_deadline_s=30.0,
            **settings,  # type: ignore[arg-type]
        )
        async with build_http_client(options) as http:
            yield ShopifyClient(http=http, settings=options), running


async def test_batched_stock_writes_land_once_under_drops_5xx_429_and_throttling() -> None:
    """Lost answers, 5xx after applying, 429s and THROTTLED: each batch applied exactly once."""
    faults = FaultConfig(
        seed=11,
        apply_then_fail_rate=0.3,
        apply_then_fail_mode="drop",
        error_before_rate=0.1,
        extra_429_rate=0.05,
        throttled_rate=0.05,
        mutations_only=True,
    )
    async with _client(FakeShopifyConfig(faults=faults), inventory_batch_size=5) as (
        client,
        running,
    ):
        skus = [f"SKU-{n:04d}" for n in range(1, 41)]
        variants = await client.variants_by_sku(skus)
        items = [variants[s][0].inventory_item_id for s in skus]
        for round_ in range(3):
            levels = await client.inventory_levels(STORE, items)
            changes = [
                QuantityChange(i, STORE, 100 * round_ + n, levels[i]["available"])  # type: ignore[index]
                for n, i in enumerate(items)
            ]
            await client.set_inventory_quantities(changes, idempotency_key=f"round-{round_}")
        final = await client.inventory_levels(STORE, items)
        entries = running.shop.ledger_entries(kind="inventory.set")
        requests = dict(running.shop.requests)
    assert [final[i]["available"] for i in items] == [200 + n for n in range(40)]  # type: ignore[index]
    assert len(entries) == 3 * 8  # 40 quantities in batches of 5, three rounds
    assert max(Counter(e.key for e in entries).values()) == 1
    assert requests.get("applied_then_drop", 0) > 0
    assert requests.get("THROTTLED", 0) > 0


async def test_gift_card_debits_land_once_although_shopify_has_no_key() -> None:
    """Dropped answers and 500s after the debit was applied: each reference debited once."""
    faults = FaultConfig(
        seed=5,
        apply_then_fail_rate=0.5,
        apply_then_fail_mode="drop",
        operation_contains="giftCardDebit",
    )
    async with _client(FakeShopifyConfig(faults=faults)) as (client, running):
        card = await client.create_giftcard(Decimal(500), reference="card-http-1")
        for n in range(12):
            await client.debit_giftcard(
                card.gift_card.id, Decimal(10), "SEK", reference=f"sale-{n}"
            )
        running.shop.set_faults(
            faults.model_copy(update={"apply_then_fail_mode": "500", "seed": 6})
        )
        for n in range(12, 20):
            await client.debit_giftcard(
                card.gift_card.id, Decimal(10), "SEK", reference=f"sale-{n}"
            )
        balance = await client.get_giftcard(card.gift_card.id)
        debits = running.shop.ledger_entries(kind="giftcard.debit")
        requests = dict(running.shop.requests)
    assert len(debits) == 20
    assert balance is not None
    assert balance.balance.amount == 300
    assert requests.get("applied_then_drop", 0) > 0
    assert requests.get("applied_then_500", 0) > 0


async def test_pickup_cancel_and_card_issue_land_once_with_stalls_and_drops() -> None:
    """Stalled answers (read timeouts) and drops after applying, on every kind of write."""
    faults = FaultConfig(
        seed=3,
        apply_then_fail_rate=0.5,
        apply_then_fail_mode="stall",
        stall_s=1.0,
        mutations_only=True,
    )
    async with _client(FakeShopifyConfig(faults=faults)) as (client, running):
        shop = running.shop
        for n in range(4):
            placed = place_order(
                shop,
                {
                    "order": {"line_items": [{"sku": "SKU-0001", "quantity": 1}]},
                    "pickup_location_id": 70000000001,
                },
            )
            order = await client.get_order(f"gid://shopify/Order/{placed.number}")
            assert order is not None
            fo = order.fulfillment_orders[0].id
            await client.mark_ready_for_pickup([fo])
            if n % 2:
                await client.fulfil([fo])
            else:
                await client.cancel_order(order.id, restock=True)
            await client.create_giftcard(Decimal(50), reference=f"issue-{n}")
        shop.set_faults(faults.model_copy(update={"apply_then_fail_mode": "drop"}))
        for n in range(4, 8):
            await client.create_giftcard(Decimal(50), reference=f"issue-{n}")
        kinds = Counter(e.kind for e in shop.ledger_entries() if e.app is not None)
        requests = dict(shop.requests)
    assert kinds == Counter(
        {
            "fulfillment_order.prepared_for_pickup": 4,
            "fulfillment.create": 2,
            "order.cancel": 2,
            "giftcard.create": 8,
        }
    )
    assert requests.get("applied_then_stall", 0) > 0
    assert requests.get("applied_then_drop", 0) > 0


async def test_throttled_as_http_429_with_retry_after_is_waited_out() -> None:
    """FACTS.md §10.1: the client handles THROTTLED as a 429 as well."""
    async with _client(FakeShopifyConfig(throttle_status=429)) as (client, running):
        running.shop.buckets.drain("main")
        assert len(await client.locations()) == 3  # costs 52 points: 0.5 s of refill
        assert running.shop.requests.get("THROTTLED") == 1
