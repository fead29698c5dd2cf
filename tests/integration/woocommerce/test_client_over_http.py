"""The WooCommerce client against the fake over real HTTP with faults: writes have effect once."""

from __future__ import annotations

from collections import Counter
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime

import pytest
from pydantic import SecretStr

from service.adapters.woocommerce import StockLevel, WooCommerceClient, build_http_client
from service.adapters.woocommerce.errors import NotFound
from service.fakes.woocommerce import (
    FakeWooCommerceConfig,
    FaultConfig,
    RunningFakeWooCommerce,
    serve_fake_woocommerce,
)
from service.fakes.woocommerce.admin_shop import OrderBody, place_order
from service.settings_woocommerce import WooCommerceSettings

KEY = "ck_fake_consumer_key_0000000000000000000000"
SECRET = "cs_fake_consumer_secret_00000000000000000000"


@asynccontextmanager
async def _client(
    config: FakeWooCommerceConfig, **settings: object
) -> AsyncIterator[tuple[WooCommerceClient, RunningFakeWooCommerce]]:
    async with serve_fake_woocommerce(config, send_webhooks=False) as running:
        options = WooCommerceSettings(
            url=running.url,  # type: ignore[arg-type]
            consumer_key=SecretStr(KEY),
            consumer_secret=SecretStr(SECRET),
            webhook_secret=SecretStr("whsec"),
            read_timeout_s=0.5,
            call_deadline_s=30.0,
            **settings,  # type: ignore[arg-type]
        )
        async with build_http_client(options) as http:
            yield WooCommerceClient(http=http, settings=options), running


async def test_pickup_progress_lands_once_under_drops_stalls_and_500s() -> None:
    """Status and note per order: one save, one note each, whatever happened to the answers."""
    faults = FaultConfig(
        seed=2, apply_then_fail_rate=0.5, apply_then_fail_mode="drop", writes_only=True
    )
    async with _client(FakeWooCommerceConfig(faults=faults)) as (client, running):
        store = running.store
        body = OrderBody.model_validate(
            {"line_items": [{"sku": "SKU-0001"}], "pickup_location": "Store Stockholm"}
        )
        orders = [place_order(store, body).id for _ in range(6)]
        for mode in ("drop", "stall", "500"):
            store.set_faults(
                faults.model_copy(update={"apply_then_fail_mode": mode, "stall_s": 1.0})
            )
            for order_id in orders:
                await client.add_order_note(
                    order_id, f"Ready ({mode})", reference=f"ready-{order_id}-{mode}"
                )
        for order_id in orders:
            await client.set_order_status(order_id, "completed")
        notes = Counter(e.detail["note"] for e in store.ledger_entries(kind="order_note.create"))
        saves = Counter(e.key for e in store.ledger_entries(kind="order.update"))
        requests = dict(store.requests)
        statuses = {store.orders.get(o).status for o in orders}
    assert len(notes) == 18
    assert set(notes.values()) == {1}
    assert saves == Counter({f"order/{o}": 1 for o in orders})
    assert statuses == {"completed"}
    assert requests.get("applied_then_drop", 0) > 0
    assert requests.get("applied_then_stall", 0) > 0


async def test_stock_reaches_the_shop_over_lost_batch_answers() -> None:
    """Batches of 100 under drops and 503s; the poller-style listing reads every order."""
    faults = FaultConfig(
        seed=9,
        apply_then_fail_rate=0.3,
        apply_then_fail_mode="drop",
        error_before_rate=0.1,
        path_contains="/batch",
    )
    skus = [f"SKU-{n:04d}" for n in range(1, 101) if n % 5]
    async with _client(FakeWooCommerceConfig(faults=faults)) as (client, running):
        store = running.store
        since = datetime.now(UTC)
        for round_ in range(3):
            report = await client.set_stock(
                StockLevel(s, round_ * 10 + i) for i, s in enumerate(skus)
            )
            assert {r.outcome for r in report.results} == {"set"}
        body = OrderBody.model_validate({"line_items": [{"sku": "SKU-0002"}]})
        placed = place_order(store, body).id
        listed = await client.orders_modified_after(since.replace(year=since.year - 1))
        final = [store.catalog.by_sku(s).stock_quantity for s in skus]
        requests = dict(store.requests)
    assert final[1] == 21 - 1  # SKU-0002 sold one after the last write
    assert final[:1] + final[2:] == [20 + i for i in range(len(skus)) if i != 1]
    assert [o.id for o in listed] == [placed]
    assert requests.get("applied_then_drop", 0) > 0


async def test_refunds_are_read_with_their_negative_lines_through_read_faults() -> None:
    """``order_refunds``: every refund, its lines as WooCommerce stores them (negative), read
    again after 429s and 5xx; an order the store does not have is NotFound."""
    faults = FaultConfig(
        seed=5,
        error_before_rate=0.3,
        extra_429_rate=0.2,
        retry_after_s=0.05,
        path_contains="refunds",
    )
    async with _client(FakeWooCommerceConfig(faults=faults)) as (client, running):
        store = running.store
        body = OrderBody.model_validate({"line_items": [{"sku": "SKU-0003", "quantity": 3}]})
        order = place_order(store, body)
        item = order.line_items[0]
        made = [
            store.orders.refund(
                order,
                amount=item.price,
                reason=f"refund {n}",
                lines=[(item, 1)],
                restock=False,
                refunded_by=1,
            )
            for n in range(3)
        ]
        refunds = await client.order_refunds(order.id)
        with pytest.raises(NotFound) as missing:
            await client.order_refunds(999_999)
        outcomes = dict(store.requests)
    assert sorted(r.id for r in refunds) == [r.id for r in made]
    assert {(r.amount, r.lines[0].sku, r.lines[0].quantity) for r in refunds} == {
        (item.price, "SKU-0003", -1)
    }
    assert {r.reason for r in refunds} == {"refund 0", "refund 1", "refund 2"}
    assert missing.value.code == "woocommerce_rest_order_invalid_id"
    assert sum(n for kind, n in outcomes.items() if kind != "200") >= 1, outcomes
