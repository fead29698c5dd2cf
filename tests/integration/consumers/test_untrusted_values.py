"""What an entry claims never names anything outward, and each entry of a batch stands alone.

One stock batch mixes valid adjustments with entries of made-up, overlong and misplaced
types, a reused event id with other content and unreadable bytes. The valid ones are
applied together; every other one gets its own outcome; no result type, dead-letter type,
reply type or Redis key carries a name the entry made up.
"""

from __future__ import annotations

import asyncio
import uuid

import redis.asyncio as aioredis

from service.contracts.registry import EVENT_KINDS
from service.sandbox import RunningSandbox
from service.settings import Settings
from tests.integration.consumers.conftest import (
    Publish,
    envelope,
    pending,
    read_results,
    running_service,
)
from tests.integration.consumers.test_stock_flow import stock_total, warehouse_id

MADE_UP = f"zz.made-up-{uuid.uuid4().hex[:8]}"
OUTWARD_TYPES = {f"{name}.{status}" for name in EVENT_KINDS for status in ("succeeded", "failed")}
OUTWARD_TYPES.add("unknown.failed")


async def test_a_batch_of_mixed_entries_settles_each_on_its_own(
    settings: Settings, sandbox: RunningSandbox, redis: aioredis.Redis, publish: Publish
) -> None:
    store = warehouse_id(sandbox, "WH-STORE-1")
    before = stock_total(sandbox, store, "SKU-0006")

    def adjust(delta: str, **overrides: object) -> dict[str, object]:
        items = [{"sku": "SKU-0006", "delta": delta}]
        return envelope("stock.adjusted", {"warehouse_id": store, "items": items}, **overrides)

    first, last = adjust("2"), adjust("3")
    reused = adjust("40", event_id=first["event_id"])  # same id, other content
    strangers = [
        adjust("1", type=MADE_UP),
        adjust("1", type="a" + "b" * 99),  # the longest type the envelope allows
        adjust("1", type="c" * 5000),
        envelope("order.cancelled", {"order_id": "W-1"}),  # a known type on the wrong stream
        b'{"event_id": "x", "event_id": "y"}',
        b"\xff\xfe",
    ]
    await publish(settings.streams.stock, first)
    for document in strangers[:3]:
        await publish(settings.streams.stock, document)
    await publish(settings.streams.stock, reused)
    for document in strangers[3:]:
        await publish(settings.streams.stock, document)
    await publish(settings.streams.stock, last)

    async with running_service(settings):
        results = await read_results(redis, settings.streams.results, count=9)
        async with asyncio.timeout(10):
            while await pending(redis, settings.streams.stock):
                await asyncio.sleep(0.02)

    assert stock_total(sandbox, store, "SKU-0006") == before + 5  # first and last only
    by_id = {r["data"]["inbound_event_id"]: r for r in results if not r["data"]["dead_lettered"]}
    assert by_id[first["event_id"]]["type"] == "stock.adjusted.succeeded"
    assert by_id[last["event_id"]]["type"] == "stock.adjusted.succeeded"
    codes = sorted(r["data"]["reason_code"] for r in results if r["data"]["dead_lettered"])
    assert codes == ["conflict"] + ["invalid"] * 6
    assert {r["type"] for r in results} <= OUTWARD_TYPES

    letters = await redis.xrange(settings.streams.stock + settings.streams.dead_letter_suffix)
    assert len(letters) == 7
    for _, fields in letters:
        assert fields[b"type"].decode() in {*EVENT_KINDS, "unknown", ""}
        assert MADE_UP.encode() not in fields[b"reason"]
    keys = [key async for key in redis.scan_iter(match="*made-up*")]
    keys += [key async for key in redis.scan_iter(match="*bbbbbbbbbb*")]
    assert keys == []
