"""The Shopify writer against the fake shop and a real Redis: coalesced, newest wins, once."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime

import pytest

from service.adapters.common.outbound import OutboundReading, OutboundWriter, entry_from
from service.adapters.shopify.translation import order_gid
from service.adapters.shopify.writer import ShopifyWriter
from service.contracts.envelope import Envelope
from service.fakes.shopify import FakeShopify, FaultConfig
from service.fakes.shopify.order_intake import place_order
from service.records.keys import DeploymentKeys
from service.records.levels import WrittenLevels
from service.records.steps import WrittenSteps
from tests.component.shopify_adapter.conftest import STORE

WAREHOUSE_OF_STORE = 1  # LOCATIONS maps the Stockholm location to Sitoo warehouse 1


def _stock(sku: str, available: str, version: int) -> dict[str, object]:
    return {
        "event_id": f"stock-{sku}-{version}",
        "type": "stock.changed",
        "schema_version": 1,
        "occurred_at": "2026-03-01T12:00:00Z",
        "source": "sitoo",
        "data": {
            "sku": sku,
            "warehouse_id": WAREHOUSE_OF_STORE,
            "store_id": 1,
            "store_externalid": "STORE-1",
            "total": available,
            "reserved": "0",
            "available": available,
            "version": version,
            "modified_at": None,
            "at": "2026-03-01T12:00:00Z",
        },
    }


def _pickup(kind: str, webshop_order_id: str) -> dict[str, object]:
    return {
        "event_id": f"{kind}-{webshop_order_id}",
        "type": kind,
        "schema_version": 1,
        "occurred_at": datetime.now(UTC).isoformat(),
        "source": "sitoo",
        "data": {
            "order_id": 5,
            "externalid": webshop_order_id,
            "webshop_order_id": webshop_order_id,
            "warehouse_id": WAREHOUSE_OF_STORE,
            "at": "2026-03-01T12:00:00Z",
        },
    }


@pytest.fixture
async def writer(redis, unique, client, settings):
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
    applier = ShopifyWriter(client, settings, redis, keys=DeploymentKeys(unique))
    made = OutboundWriter(redis, reading, applier)
    await made.ensure_group()
    made.applier = applier  # type: ignore[attr-defined] - the counters, for the assertions
    return made


async def _send(redis, writer, *events: dict[str, object]) -> int:
    for event in events:
        Envelope.model_validate(event)  # the test sends only contract-valid events
        await redis.xadd(writer.reading.stream, {"event": json.dumps(event)})
    return await writer.step()


def _available(shop: FakeShopify, sku: str, location: int = STORE) -> int:
    item = next(v.inventory_item for v in shop.catalog.variants.values() if v.sku == sku)
    level = shop.catalog.level(item, location)
    assert level is not None
    return level.available


async def test_a_batch_is_coalesced_and_the_newest_version_wins(redis, writer, shop):
    """Three levels of one SKU and one of another: one mutation, newest values."""
    handled = await _send(
        redis,
        writer,
        _stock("SKU-0001", "40", 2),
        _stock("SKU-0001", "41", 3),
        _stock("SKU-0001", "39", 1),
        _stock("SKU-0002", "8", 1),
    )
    assert handled == 4
    assert (_available(shop, "SKU-0001"), _available(shop, "SKU-0002")) == (41, 8)
    assert len(shop.ledger_entries(kind="inventory.set")) == 1
    assert await redis.xpending(writer.reading.stream, "shopify-writer") == {
        "pending": 0,
        "min": None,
        "max": None,
        "consumers": [],
    }


async def test_an_older_level_arriving_late_and_an_unchanged_one_write_nothing(redis, writer, shop):
    """Version 1 after version 2 is skipped; a level Shopify already has is not sent."""
    await _send(redis, writer, _stock("SKU-0003", "12", 2))
    await _send(redis, writer, _stock("SKU-0003", "99", 1))
    current = _available(shop, "SKU-0004")
    await _send(redis, writer, _stock("SKU-0004", str(current), 1))
    assert _available(shop, "SKU-0003") == 12
    assert len(shop.ledger_entries(kind="inventory.set")) == 1


async def test_a_level_another_replica_is_writing_decides_by_version(redis, unique, writer, shop):
    """Another replica holds SKU-0005's level at version 2 (mid-write): this replica's
    version 1 of it is done without a write, its version 3 waits (pending) until the other
    ends, then is written."""
    location = f"gid://shopify/Location/{STORE}"
    other = WrittenLevels(
        redis, keys=DeploymentKeys(unique), webshop="shopify", lease_ms=60_000, retention_s=60
    )
    held = await other.take({f"stock:{location}:SKU-0005": 2})
    before = _available(shop, "SKU-0005")
    await _send(redis, writer, _stock("SKU-0005", "70", 1))
    assert _available(shop, "SKU-0005") == before
    await _send(redis, writer, _stock("SKU-0005", "72", 3))
    assert _available(shop, "SKU-0005") == before
    assert (await redis.xpending(writer.reading.stream, "shopify-writer"))["pending"] == 1
    await other.written(held, held.go)  # the other replica wrote 2 and is done
    await asyncio.sleep(1.1)  # the entry waits out the reclaim time before it is taken back
    await writer.step()
    assert _available(shop, "SKU-0005") == 72
    assert len(shop.ledger_entries(kind="inventory.set")) == 1
    assert (await redis.xpending(writer.reading.stream, "shopify-writer"))["pending"] == 0


async def test_a_level_changed_in_shopify_between_read_and_write_is_not_overwritten(
    redis, writer, shop, monkeypatch
):
    """The write compares with the level it read: a change landing in between refuses it,
    the entry is retried and the level is read again."""
    item = next(v.inventory_item for v in shop.catalog.variants.values() if v.sku == "SKU-0006")
    reads = 0
    original = writer.applier._shopify.inventory_levels

    async def read_then_change(location_id, items, **kwargs):
        nonlocal reads
        found = await original(location_id, items, **kwargs)
        reads += 1
        if reads == 1:  # another writer lands right after this read
            shop.catalog.level(item, STORE).available = 55
        return found

    monkeypatch.setattr(writer.applier._shopify, "inventory_levels", read_then_change)
    await _send(redis, writer, _stock("SKU-0006", "60", 1))
    assert _available(shop, "SKU-0006") == 55  # refused: not written over the change
    await asyncio.sleep(1.1)
    await writer.step()
    assert _available(shop, "SKU-0006") == 60
    assert len(shop.ledger_entries(kind="inventory.set")) == 1


def _pickup_order(shop: FakeShopify) -> str:
    """A pick-up order at the mapped store; its webshop order id as Sitoo's events carry it."""
    order = {"order": {"line_items": [{"sku": "SKU-0001", "quantity": 1}]}}
    number = place_order(shop, {**order, "pickup_location_id": STORE}).number
    return f"shopify-{number}"


async def test_pickup_progress_reaches_shopify_once(redis, writer, shop):
    """Ready twice and picked up twice: one prepare, one fulfilment; others' orders ignored."""
    ours = _pickup_order(shop)
    await _send(
        redis,
        writer,
        _pickup("order.pickup_ready", ours),
        _pickup("order.pickup_ready", "woo-7"),
    )
    await _send(redis, writer, _pickup("order.pickup_ready", ours))
    await _send(redis, writer, _pickup("order.picked_up", ours))
    await _send(redis, writer, _pickup("order.picked_up", ours))
    assert len(shop.ledger_entries(kind="fulfillment_order.prepared_for_pickup")) == 1
    assert len(shop.ledger_entries(kind="fulfillment.create")) == 1


async def test_a_pickup_step_another_replica_is_making_is_not_made_twice(
    redis, unique, writer, shop
):
    """The same ready-for-pickup taken over while another replica still makes it: this
    replica leaves it pending; once the other has made it, the entry ends without a write."""
    ours = _pickup_order(shop)
    other = WrittenSteps(
        redis, keys=DeploymentKeys(unique), webshop="shopify", lease_ms=60_000, retention_s=60
    )
    held = await other.take(f"order.pickup_ready:{order_gid(ours)}")
    assert held.decision == "go"
    await _send(redis, writer, _pickup("order.pickup_ready", ours))
    assert (await redis.xpending(writer.reading.stream, "shopify-writer"))["pending"] == 1
    assert shop.ledger_entries(kind="fulfillment_order.prepared_for_pickup") == []
    await other.made(held)  # the other replica prepared it (its write is not repeated here)
    await asyncio.sleep(1.1)  # the entry waits out the reclaim time before it is taken back
    await writer.step()
    assert (await redis.xpending(writer.reading.stream, "shopify-writer"))["pending"] == 0
    assert shop.ledger_entries(kind="fulfillment_order.prepared_for_pickup") == []


async def test_an_order_shopify_does_not_have_is_dead_lettered(redis, writer):
    """A permanent refusal: parked with the reason, acknowledged."""
    await _send(redis, writer, _pickup("order.pickup_ready", "shopify-424242"))
    [(_, letter)] = await redis.xrange(writer.reading.dead_letters)
    assert letter[b"reason"] == b"order gid://shopify/Order/424242 is not in Shopify"
    # The service's one dead-letter format, so `sitoo-sync dlq` lists and replays it.
    assert letter[b"reason_code"] == b"webshop_refused"
    assert letter[b"stream"] == writer.reading.stream.encode()
    assert (letter[b"type"], letter[b"event_id"]) == (
        b"order.pickup_ready",
        b"order.pickup_ready-shopify-424242",
    )
    [(entry_id, fields)] = await redis.xrange(writer.reading.stream)
    assert letter[b"entry_id"] == entry_id
    assert letter[b"original:event"] == fields[b"event"]
    # A second delivery of the same entry (a reclaim that raced the first) parks nothing.
    await writer.handle([entry_from(entry_id, fields)])
    assert await redis.xlen(writer.reading.dead_letters) == 1


async def test_a_failing_shop_leaves_entries_pending_then_dead_letters(redis, writer, shop):
    """503 on every mutation: pending for a retry, parked on the last delivery."""
    shop.set_faults(
        FaultConfig(error_before_rate=1.0, error_before_statuses=[503], mutations_only=True)
    )
    await _send(redis, writer, _stock("SKU-0005", "3", 1))
    pending = await redis.xpending(writer.reading.stream, "shopify-writer")
    assert pending["pending"] == 1
    assert await redis.xlen(writer.reading.dead_letters) == 0
    # The reclaimer takes it back (second delivery, the last allowed): parked.
    await redis.xclaim(
        writer.reading.stream, "shopify-writer", "c1", min_idle_time=0, message_ids=[pending["min"]]
    )
    await writer.handle([entry_from(i, f) for i, f in await redis.xrange(writer.reading.stream)])
    [(_, letter)] = await redis.xrange(writer.reading.dead_letters)
    assert letter[b"reason"].startswith(b"gave up after 2 deliveries")
    assert (letter[b"reason_code"], letter[b"deliveries"]) == (b"retries_exhausted", b"2")
    assert (await redis.xpending(writer.reading.stream, "shopify-writer"))["pending"] == 0
