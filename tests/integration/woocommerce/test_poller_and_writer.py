"""The reconciliation poller and the outbound writer alone: real Redis, the fake in process."""

from __future__ import annotations

import json
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import pytest
from pydantic import SecretStr

from service.adapters.common.emitting import EventAppender
from service.adapters.common.errors import AccessDenied
from service.adapters.common.outbound import OutboundReading, OutboundWriter
from service.adapters.common.translating import Translated, delivery_from
from service.adapters.woocommerce import WooCommerceClient, build_http_client
from service.adapters.woocommerce.order_translation import OrderTranslator
from service.adapters.woocommerce.outbound import PickupWrites, WooCommerceWriter, WriterConfig
from service.adapters.woocommerce.reconcile import PollSettings, WooCommerceOrderPoller
from service.adapters.woocommerce.translate import PickupMap
from service.adapters.woocommerce.webhooks import WooCommerceTranslator
from service.contracts.registry import Channel
from service.deadletters import DeadLetterFilter, DeadLetterStore
from service.fakes.woocommerce import (
    FakeWooCommerce,
    FakeWooCommerceConfig,
    create_fake_woocommerce_app,
    fake_woocommerce_transport,
)
from service.fakes.woocommerce.admin_shop import OrderBody, place_order
from service.pollers.cursors import FencedCursors
from service.pollers.lease import Holding, Lease
from service.pollers.runner import RedisStatusBoard
from service.records.keys import DeploymentKeys
from service.records.steps import WrittenSteps
from service.records.streams import stream_names
from service.settings import Settings
from service.settings_woocommerce import WooCommerceSettings

KEY = "ck_fake_consumer_key_0000000000000000000000"
SECRET = "cs_fake_consumer_secret_00000000000000000000"


class Clock:
    """The fake's time, moved by hand."""

    value = datetime.now(UTC).timestamp()

    def __call__(self) -> float:
        return self.value


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def store_app(clock: Clock) -> Any:
    return create_fake_woocommerce_app(FakeWooCommerceConfig(), now=clock)


@pytest.fixture
def store(store_app: Any) -> FakeWooCommerce:
    found: FakeWooCommerce = store_app.state.store
    return found


@pytest.fixture
async def client(store_app: Any) -> AsyncIterator[WooCommerceClient]:
    settings = WooCommerceSettings(
        url="https://shop.example.com",  # type: ignore[arg-type]
        consumer_key=SecretStr(KEY),
        consumer_secret=SecretStr(SECRET),
        webhook_secret=SecretStr("x"),
    )
    async with build_http_client(settings, fake_woocommerce_transport(store_app)) as http:
        yield WooCommerceClient(http=http, settings=settings)


def _dead_letters(redis: Any, unique: str) -> DeadLetterStore:
    return DeadLetterStore(
        redis,
        streams=[f"{unique}.raw"],
        names=stream_names(Settings()),
        keys=DeploymentKeys(unique),
        retention_s=600,
    )


def _place(store: FakeWooCommerce, **body: object) -> int:
    body.setdefault("line_items", [{"sku": "SKU-0001", "quantity": 1}])
    return place_order(store, OrderBody.model_validate(body)).id


async def _lead(redis: Any, unique: str, name: str) -> Holding:
    holding = await Lease(redis, keys=DeploymentKeys(unique), name=name, ttl_s=30).acquire()
    assert holding is not None
    return holding


async def test_the_poller_appends_each_event_once_and_dead_letters_once(
    redis: Any,
    unique: str,
    client: WooCommerceClient,
    store: FakeWooCommerce,
    clock: Clock,
) -> None:
    orders = f"{unique}.orders"
    poller = WooCommerceOrderPoller(
        client,
        EventAppender(
            redis, {Channel.ORDERS: orders}, keys=DeploymentKeys(unique), retention_ms=60_000
        ),
        FencedCursors(redis, keys=DeploymentKeys(unique)),
        _dead_letters(redis, unique),
        orders=OrderTranslator(PickupMap({"Store Stockholm": "STORE-1"}), client),
        settings=PollSettings(
            interval_s=1,
            overlap_s=60,
            start_lookback_s=3600,
            raw_stream=f"{unique}.raw",
        ),
    )
    holding = await _lead(redis, unique, poller.name)
    good = _place(store, pickup_location="Store Stockholm")
    unmapped = _place(store, pickup_location="Store Gothenburg")
    _place(store, status="checkout-draft", pickup_location="Store Stockholm")
    for _ in range(2):  # the second cycle reads the same orders again (the overlap)
        await poller.cycle(holding)
    events = [json.loads(f[b"event"])["event_id"] for _, f in await redis.xrange(orders)]
    assert events == [f"wc-order-{good}-placed"]
    (letter,) = [f for _, f in await redis.xrange(f"{unique}.raw.dlq")]
    assert json.loads(letter[b"original:body"])["id"] == unmapped
    assert letter[b"original:topic"] == b"order.updated"  # replayed, it translates as one
    assert letter[b"reason_code"] == b"untranslatable"
    assert b"'Store Gothenburg' is not mapped" in letter[b"reason"]
    # Replayed once the map names the location: translated like a web hook's delivery.
    store_ = _dead_letters(redis, unique)
    (parked,) = await store_.list(DeadLetterFilter())
    await store_.replay(parked)
    ((entry_id, fields),) = await redis.xrange(f"{unique}.raw")
    delivery = delivery_from("woocommerce", fields, entry_id.decode())
    fixed = WooCommerceTranslator(
        OrderTranslator(PickupMap({"Store Gothenburg": "STORE-2"}), client)
    )
    outcome = await fixed.translate(delivery)
    assert isinstance(outcome, Translated)
    assert [e.envelope.event_id for e in outcome.events] == [f"wc-order-{unmapped}-placed"]
    cursor = await FencedCursors(redis, keys=DeploymentKeys(unique)).get(poller.name)
    assert isinstance(cursor, dict)
    assert cursor["modified_after"].endswith("Z")

    # Cancelled later: read again, one order.cancelled; its modification time moves the cursor.
    clock.value += 10
    order = store.orders.orders[good]
    store.orders.save(order, store.orders.set_status(order, "cancelled"))
    await poller.cycle(holding)
    await poller.cycle(holding)
    events = [json.loads(f[b"event"])["event_id"] for _, f in await redis.xrange(orders)]
    assert events == [f"wc-order-{good}-placed", f"wc-order-{good}-cancelled"]
    moved = await FencedCursors(redis, keys=DeploymentKeys(unique)).get(poller.name)
    assert isinstance(moved, dict)
    assert moved["modified_after"] > cursor["modified_after"]


def _writer(
    client: WooCommerceClient,
    redis: Any,
    unique: str,
    *,
    reclaim_idle_ms: int = 60_000,
) -> OutboundWriter:
    return OutboundWriter(
        redis,
        OutboundReading(
            stream=f"{unique}.sitoo.events",
            group="woo",
            consumer="c1",
            dead_letters=f"{unique}.sitoo.events.woocommerce.dlq",
            batch=100,
            block_ms=10,
            reclaim_idle_ms=reclaim_idle_ms,
            max_deliveries=5,
        ),
        WooCommerceWriter(
            client,
            redis,
            WriterConfig(
                keys=DeploymentKeys(unique),
                warehouse_id=7,
                pickup=PickupWrites(
                    ready_note="Ready for pickup.",
                    ready_status=None,
                    picked_up_note="Picked up.",
                    picked_up_status="completed",
                    notify_customer=True,
                ),
            ),
        ),
    )


async def _publish(redis: Any, unique: str, event_type: str, data: dict[str, Any]) -> None:
    envelope = {
        "event_id": f"e-{uuid.uuid4().hex}",
        "type": event_type,
        "schema_version": 1,
        "occurred_at": "2026-03-01T12:00:00Z",
        "source": "sitoo",
        "data": data,
    }
    await redis.xadd(f"{unique}.sitoo.events", {"event": json.dumps(envelope)})


def _level(sku: str, available: str, version: int, warehouse_id: int = 7) -> dict[str, Any]:
    return {"sku": sku, "warehouse_id": warehouse_id, "available": available, "version": version}


async def _drain(writer: OutboundWriter) -> None:
    while await writer.step():
        pass


async def _stock(client: WooCommerceClient, sku: str) -> int | None:
    return (await client.products_by_sku([sku]))[sku].stock_quantity


async def test_stock_newest_version_wins_and_only_the_configured_warehouse(
    redis: Any,
    unique: str,
    client: WooCommerceClient,
) -> None:
    writer = _writer(client, redis, unique)
    await writer.ensure_group()  # at the stream's end: only what is published from now on
    await _publish(redis, unique, "stock.changed", _level("SKU-0001", "12.000", 2))
    await _publish(redis, unique, "stock.changed", _level("SKU-0001", "9", 1))  # older, later
    await _publish(redis, unique, "stock.changed", _level("SKU-0002", "-3", 1))  # never below 0
    await _publish(redis, unique, "stock.changed", _level("SKU-0003", "5.5", 1, warehouse_id=8))
    await _publish(redis, unique, "stock.changed", _level("TEE-M", "4", 1))
    await _publish(redis, unique, "order.recorded", {"order_id": 1})
    await _drain(writer)
    client.skus.forget("SKU-0001")
    client.skus.forget("SKU-0002")
    client.skus.forget("TEE-M")
    assert await _stock(client, "SKU-0001") == 12
    assert await _stock(client, "SKU-0002") == 0
    assert await _stock(client, "TEE-M") == 4
    assert await _stock(client, "SKU-0003") != 5

    # A reclaimed older level after the newer one was written: skipped by its version.
    await _publish(redis, unique, "stock.changed", _level("SKU-0001", "1", 1))
    await _drain(writer)
    client.skus.forget("SKU-0001")
    assert await _stock(client, "SKU-0001") == 12
    pending = await redis.xpending(f"{unique}.sitoo.events", "woo")
    assert pending["pending"] == 0


async def test_pickup_progress_is_written_once_even_when_redelivered(
    redis: Any,
    unique: str,
    client: WooCommerceClient,
    store: FakeWooCommerce,
) -> None:
    order_id = _place(store, pickup_location="Store Stockholm")
    writer = _writer(client, redis, unique)
    await writer.ensure_group()  # at the stream's end: only what is published from now on
    progress = {"order_id": 1001, "webshop_order_id": f"wc-{order_id}", "externalid": "x"}
    for event_type in ("order.pickup_ready", "order.pickup_ready", "order.picked_up"):
        await _publish(redis, unique, event_type, progress)
    # Another replica is making the picked-up step: the entry stays pending, written later.
    elsewhere = WrittenSteps(
        redis, keys=DeploymentKeys(unique), webshop="woocommerce", lease_ms=60_000, retention_s=60
    )
    held = await elsewhere.take(f"pickup:{order_id}:picked-up")
    assert held.decision == "go"
    await _drain(writer)
    assert (await redis.xpending(f"{unique}.sitoo.events", "woo"))["pending"] == 1
    await elsewhere.release(held)
    await _drain(_writer(client, redis, unique, reclaim_idle_ms=0))  # claimed back at once
    assert (await redis.xpending(f"{unique}.sitoo.events", "woo"))["pending"] == 0
    notes = [n.note for n in await client.order_notes(order_id)]
    ours = [n for n in notes if "[sitoo-sync:" in n]
    assert sorted(ours) == sorted(
        ["Ready for pickup. [sitoo-sync:pickup-ready]", "Picked up. [sitoo-sync:pickup-picked-up]"]
    )
    order = await client.get_order(order_id)
    assert order is not None
    assert order.status == "completed"


async def test_progress_of_an_order_the_shop_does_not_have_is_settled_not_retried_forever(
    redis: Any,
    unique: str,
    client: WooCommerceClient,
) -> None:
    """A permanent refusal (404: the order is gone) is dead-lettered with the reason."""
    writer = _writer(client, redis, unique)
    await writer.ensure_group()  # at the stream's end: only what is published from now on
    progress = {"order_id": 1001, "webshop_order_id": "wc-987654", "externalid": "x"}
    await _publish(redis, unique, "order.pickup_ready", progress)
    await _publish(redis, unique, "order.pickup_ready", {"webshop_order_id": "100234"})  # not ours
    await _drain(writer)
    assert (await redis.xpending(f"{unique}.sitoo.events", "woo"))["pending"] == 0
    (letter,) = [f for _, f in await redis.xrange(f"{unique}.sitoo.events.woocommerce.dlq")]
    assert letter[b"reason"].startswith(b"NotFound: ")


class _NoHookAccess:
    """The shop's orders, but a key that may not read web hooks."""

    def __init__(self, client: WooCommerceClient) -> None:
        self.raw_orders_modified_after = client.raw_orders_modified_after

    async def disabled_webhooks(self) -> list[Any]:
        raise AccessDenied("Sorry, you cannot list resources.", status=403)


async def test_hooks_that_cannot_be_read_do_not_stop_the_reconciliation(
    redis: Any,
    unique: str,
    client: WooCommerceClient,
    store: FakeWooCommerce,
) -> None:
    orders = f"{unique}.orders"
    poller = WooCommerceOrderPoller(
        _NoHookAccess(client),
        EventAppender(
            redis, {Channel.ORDERS: orders}, keys=DeploymentKeys(unique), retention_ms=60_000
        ),
        FencedCursors(redis, keys=DeploymentKeys(unique)),
        _dead_letters(redis, unique),
        orders=OrderTranslator(PickupMap({"Store Stockholm": "STORE-1"}), client),
        settings=PollSettings(
            interval_s=1,
            overlap_s=60,
            start_lookback_s=3600,
            raw_stream=f"{unique}.raw",
        ),
        board=RedisStatusBoard(redis, keys=DeploymentKeys(unique)),
    )
    order_id = _place(store, pickup_location="Store Stockholm")
    await poller.cycle(await _lead(redis, unique, poller.name))
    assert await redis.xlen(orders) == 1
    status = await redis.hgetall(DeploymentKeys(unique).poller_status(poller.name))
    assert status[b"alert"] == b"web hooks could not be read: AccessDenied"
    assert order_id


class _WithAnOddOrder:
    """The shop's listing with an order a plugin left without currency, lines or total."""

    def __init__(self, client: WooCommerceClient) -> None:
        self._client = client
        self.disabled_webhooks = client.disabled_webhooks

    async def raw_orders_modified_after(self, since: datetime) -> list[dict[str, Any]]:
        odd = {"id": 999_999, "status": "processing", "date_modified_gmt": "2026-01-01T00:00:00"}
        return [odd, *await self._client.raw_orders_modified_after(since)]


async def test_an_odd_order_in_the_listing_is_dead_lettered_and_the_rest_go_on(
    redis: Any,
    unique: str,
    client: WooCommerceClient,
    store: FakeWooCommerce,
) -> None:
    orders = f"{unique}.orders"
    poller = WooCommerceOrderPoller(
        _WithAnOddOrder(client),
        EventAppender(
            redis, {Channel.ORDERS: orders}, keys=DeploymentKeys(unique), retention_ms=60_000
        ),
        FencedCursors(redis, keys=DeploymentKeys(unique)),
        _dead_letters(redis, unique),
        orders=OrderTranslator(PickupMap({"Store Stockholm": "STORE-1"}), client),
        settings=PollSettings(
            interval_s=1, overlap_s=60, start_lookback_s=3600, raw_stream=f"{unique}.raw"
        ),
    )
    good = _place(store, pickup_location="Store Stockholm")
    holding = await _lead(redis, unique, poller.name)
    await poller.cycle(holding)
    await poller.cycle(holding)
    events = [json.loads(f[b"event"])["event_id"] for _, f in await redis.xrange(orders)]
    assert events == [f"wc-order-{good}-placed"]
    (letter,) = [f for _, f in await redis.xrange(f"{unique}.raw.dlq")]
    assert letter[b"reason"] == b"order 999999: the order has no line items"


class _WithAVanishedOrder:
    """The shop's listing with a copy of a refunded order that the store no longer has."""

    def __init__(self, client: WooCommerceClient) -> None:
        self._client = client
        self.disabled_webhooks = client.disabled_webhooks

    async def raw_orders_modified_after(self, since: datetime) -> list[dict[str, Any]]:
        listed = await self._client.raw_orders_modified_after(since)
        return [{**listed[0], "id": 999_998}, *listed]


async def test_the_poller_appends_each_refund_once_and_dead_letters_unreadable_refunds(
    redis: Any,
    unique: str,
    client: WooCommerceClient,
    store: FakeWooCommerce,
) -> None:
    """Two cycles read the refunded order twice: one event per refund. An order whose refunds
    the store refuses to show (404) is dead-lettered with the reason; the others go on."""
    orders = f"{unique}.orders"
    poller = WooCommerceOrderPoller(
        _WithAVanishedOrder(client),
        EventAppender(
            redis, {Channel.ORDERS: orders}, keys=DeploymentKeys(unique), retention_ms=60_000
        ),
        FencedCursors(redis, keys=DeploymentKeys(unique)),
        _dead_letters(redis, unique),
        orders=OrderTranslator(
            PickupMap({"Store Stockholm": "STORE-1"}), client, restock_warehouse_id=3
        ),
        settings=PollSettings(
            interval_s=1, overlap_s=60, start_lookback_s=3600, raw_stream=f"{unique}.raw"
        ),
    )
    number = _place(
        store, pickup_location="Store Stockholm", line_items=[{"sku": "SKU-0001", "quantity": 2}]
    )
    order = store.orders.get(number)
    assert order is not None
    refund = store.orders.refund(
        order,
        amount=order.line_items[0].price,
        reason="",
        lines=[(order.line_items[0], 1)],
        restock=True,
        refunded_by=1,
    )
    holding = await _lead(redis, unique, poller.name)
    await poller.cycle(holding)
    await poller.cycle(holding)
    events = [json.loads(f[b"event"]) for _, f in await redis.xrange(orders)]
    assert [e["event_id"] for e in events] == [
        f"wc-order-{number}-placed",
        f"wc-refund-{refund.id}",
    ]
    assert events[1]["data"]["lines"] == [
        {"sku": "SKU-0001", "quantity": 1, "restock_warehouse_id": 3}
    ]
    assert events[1]["data"]["complete"] is False  # one of the two units is still to collect
    (letter,) = [f for _, f in await redis.xrange(f"{unique}.raw.dlq")]
    assert letter[b"reason"].startswith(b"order 999998: the store refused a read: NotFound")
