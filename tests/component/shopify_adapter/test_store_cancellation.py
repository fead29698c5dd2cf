"""An order cancelled in a Sitoo store reaches Shopify as configured: cancel, tag or nothing."""

from __future__ import annotations

import json

import pytest
from redis.asyncio import Redis

from service.adapters.common.outbound import OutboundReading, OutboundWriter
from service.adapters.shopify import ShopifyClient
from service.adapters.shopify.store_cancellation import (
    CANCELLED_IN_STORE_TAG,
    StoreCancellation,
    StoreCancellations,
)
from service.adapters.shopify.writer import ShopifyWriter
from service.contracts.envelope import Envelope
from service.fakes.common.faults import ApplyThenFailMode
from service.fakes.shopify import FakeShopify, FaultConfig
from service.fakes.shopify.order_intake import place_order
from service.records.keys import DeploymentKeys
from service.settings import ConfigurationError, load_settings
from service.settings_shopify import ShopifySettings
from tests.component.shopify_adapter.conftest import STORE


def _cancelled(webshop_order_id: str, n: int = 1) -> dict[str, object]:
    return {
        "event_id": f"order.cancelled-{webshop_order_id}-{n}",
        "type": "order.cancelled",
        "schema_version": 1,
        "occurred_at": "2026-03-01T12:00:00Z",
        "source": "sitoo",
        "data": {
            "order_id": 5,
            "externalid": webshop_order_id,
            "webshop_order_id": webshop_order_id,
            "warehouse_id": 1,
            "at": "2026-03-01T12:00:00Z",
        },
    }


async def _writer(
    redis: Redis,
    unique: str,
    client: ShopifyClient,
    settings: ShopifySettings,
    action: StoreCancellation,
) -> OutboundWriter:
    keys = DeploymentKeys(unique)
    reading = OutboundReading(
        stream=f"{unique}.outbound",
        group="shopify-writer",
        consumer="c1",
        dead_letters=f"{unique}.outbound.shopify.dlq",
        batch=100,
        block_ms=10,
        reclaim_idle_ms=1000,
        max_deliveries=2,
    )
    cancellations = StoreCancellations(
        client,
        redis,
        keys=keys,
        action=action,
    )
    applier = ShopifyWriter(client, settings, redis, keys=keys, cancellations=cancellations)
    made = OutboundWriter(redis, reading, applier)
    await made.ensure_group()
    return made


async def _send(redis: Redis, writer: OutboundWriter, *events: dict[str, object]) -> int:
    for event in events:
        Envelope.model_validate(event)
        await redis.xadd(writer.reading.stream, {"event": json.dumps(event)})
    return await writer.step()


def _order(shop: FakeShopify) -> int:
    body = {"order": {"line_items": [{"sku": "SKU-0001", "quantity": 1}]}}
    return place_order(shop, {**body, "pickup_location_id": STORE}).number


async def test_cancel_cancels_the_shopify_order_once(
    redis: Redis, unique: str, client: ShopifyClient, settings: ShopifySettings, shop: FakeShopify
) -> None:
    """Twice (a redelivery, then a repeat after Shopify's own cancel): one orderCancel."""
    writer = await _writer(redis, unique, client, settings, "cancel")
    number = _order(shop)
    await _send(redis, writer, _cancelled(f"shopify-{number}", 1))
    await _send(redis, writer, _cancelled(f"shopify-{number}", 2))
    assert shop.orders.orders[number].cancelled_at is not None
    [entry] = shop.ledger_entries(kind="order.cancel")
    assert entry.detail == {"reason": "OTHER", "restock": True, "refund": False}


async def test_cancel_leaves_an_order_cancelled_in_shopify_alone(
    redis: Redis, unique: str, client: ShopifyClient, settings: ShopifySettings, shop: FakeShopify
) -> None:
    """Read first: an order Shopify already cancelled gets no second orderCancel."""
    writer = await _writer(redis, unique, client, settings, "cancel")
    number = _order(shop)
    shop.orders.cancel(number, reason="CUSTOMER", restock=True, refund=False, staff_note=None)
    await _send(redis, writer, _cancelled(f"shopify-{number}"))
    assert len(shop.ledger_entries(kind="order.cancel")) == 1


async def test_tag_adds_the_tag_once_and_ignore_writes_nothing(
    redis: Redis, unique: str, client: ShopifyClient, settings: ShopifySettings, shop: FakeShopify
) -> None:
    """tag: the order is tagged (once, though sent twice); ignore: nothing at all."""
    tagging = await _writer(redis, unique, client, settings, "tag")
    tagged = _order(shop)
    await _send(
        redis, tagging, _cancelled(f"shopify-{tagged}", 1), _cancelled(f"shopify-{tagged}", 2)
    )
    assert shop.orders.orders[tagged].tags == [CANCELLED_IN_STORE_TAG]
    assert shop.orders.orders[tagged].cancelled_at is None
    assert len(shop.ledger_entries(kind="order.tags_add")) == 1

    ignoring = await _writer(redis, f"{unique}-ignore", client, settings, "ignore")
    left = _order(shop)
    await _send(redis, ignoring, _cancelled(f"shopify-{left}"))
    assert shop.orders.orders[left].tags == []
    assert shop.orders.orders[left].cancelled_at is None


async def test_a_cancellation_the_webshop_asked_for_is_not_echoed(
    redis: Redis, unique: str, client: ShopifyClient, settings: ShopifySettings, shop: FakeShopify
) -> None:
    """The order's tombstone says the webshop cancelled it: Sitoo's echo writes nothing."""
    writer = await _writer(redis, unique, client, settings, "cancel")
    number = _order(shop)
    await redis.set(DeploymentKeys(unique).order_cancelled(f"shopify-{number}"), "1")
    await _send(redis, writer, _cancelled(f"shopify-{number}"))
    assert shop.orders.orders[number].cancelled_at is None
    assert shop.ledger_entries(kind="order.cancel") == []


@pytest.mark.parametrize("mode", ["500", "drop"])
async def test_cancel_once_while_answers_fail_or_are_lost(
    redis: Redis,
    unique: str,
    client: ShopifyClient,
    settings: ShopifySettings,
    *,
    shop: FakeShopify,
    mode: ApplyThenFailMode,
) -> None:
    """orderCancel applies and then loses its answer (a 500, or none): read back, not resent."""
    writer = await _writer(redis, unique, client, settings, "cancel")
    number = _order(shop)
    shop.set_faults(
        FaultConfig(
            apply_then_fail_rate=1.0,
            apply_then_fail_mode=mode,
            operation_contains="orderCancel",
        )
    )
    await _send(redis, writer, _cancelled(f"shopify-{number}", 1))
    await _send(redis, writer, _cancelled(f"shopify-{number}", 2))
    assert {k for k in shop.requests if k != "200"}, "the answer really was lost"
    assert shop.orders.orders[number].cancelled_at is not None
    assert len(shop.ledger_entries(kind="order.cancel")) == 1


def test_a_bad_setting_is_refused_in_one_line(monkeypatch: pytest.MonkeyPatch) -> None:
    """Only cancel, tag and ignore are accepted; the default is tag."""
    assert load_settings().shopify.store_cancellation == "tag"
    monkeypatch.setenv("SITOO_SYNC_SHOPIFY__STORE_CANCELLATION", "delete")
    with pytest.raises(ConfigurationError) as refused:
        load_settings()
    assert str(refused.value) == (
        "SITOO_SYNC_SHOPIFY__STORE_CANCELLATION: Input should be 'cancel', 'tag' or 'ignore'"
    )
