"""Stock end to end: coalesced adjustments, newest-wins levels, bad entries in between."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
import redis.asyncio as aioredis

from service.sandbox import RunningSandbox
from service.settings import Settings
from tests.integration.consumers.conftest import (
    Publish,
    envelope,
    pending,
    read_results,
    results_by_inbound,
    running_service,
)


def stock_total(sandbox: RunningSandbox, warehouseid: int, sku: str) -> Decimal:
    """decimaltotal of one item in the sandbox."""
    [item] = sandbox.sandbox.stock_state(warehouseid=warehouseid, sku=sku)
    return Decimal(item["decimaltotal"])


def warehouse_id(sandbox: RunningSandbox, externalid: str) -> int:
    """A demo warehouse's id by externalid."""
    for warehouse in sandbox.sandbox.catalog.warehouses.values():
        if warehouse.externalid == externalid:
            return int(warehouse.warehouseid)
    raise AssertionError(externalid)


async def test_adjustments_are_coalesced_and_bad_entries_dead_lettered(
    settings: Settings,
    sandbox: RunningSandbox,
    redis: aioredis.Redis,
    publish: Publish,
) -> None:
    """20 deltas (one sent twice) go out as one request; bad entries in between are parked."""
    store = warehouse_id(sandbox, "WH-STORE-1")
    before = stock_total(sandbox, store, "SKU-0005")
    good = [
        envelope(
            "stock.adjusted", {"warehouse_id": store, "items": [{"sku": "SKU-0005", "delta": "1"}]}
        )
        for _ in range(20)
    ]
    bad: list[bytes | dict[str, object]] = [
        b"not json",
        envelope(
            "stock.adjusted", {"warehouse_id": store, "items": [{"sku": "NOPE", "delta": "1"}]}
        ),
        envelope(
            "stock.adjusted", {"warehouse_id": store, "items": [{"sku": "SKU-0005", "delta": "0"}]}
        ),
        envelope("stock.exploded", {}),
        b"\xff\xfe\x00",
    ]
    await publish(settings.streams.stock, good[0])  # the same event twice in one batch
    for index, document in enumerate(good):
        await publish(settings.streams.stock, document)
        if index % 4 == 0 and bad:
            await publish(settings.streams.stock, bad.pop())
    # Everything is written before the service starts: one read gets all of it as one batch.
    async with running_service(settings):
        results = await results_by_inbound(redis, settings.streams.results, count=25)
        async with asyncio.timeout(10):
            while await pending(redis, settings.streams.stock):
                await asyncio.sleep(0.02)
    assert stock_total(sandbox, store, "SKU-0005") == before + 20
    transactions = sandbox.sandbox.ledger_entries(kind="warehouse.transaction")
    assert len(transactions) == 20
    posts = {
        key: counts
        for key, counts in sandbox.sandbox.counters.snapshot()["endpoints"].items()
        if key.startswith("POST") and "warehousetransactions" in key
    }
    assert [counts.get("200") for counts in posts.values()] == [1]  # one request for all 20
    dead = await redis.xlen(settings.streams.stock + settings.streams.dead_letter_suffix)
    assert dead == 5
    every = await read_results(redis, settings.streams.results, count=25)
    failed = [r for r in every if r["type"].endswith(".failed")]
    assert len(failed) == 5
    assert all(r["data"]["dead_lettered"] for r in failed)
    # Unreadable (no type) or of an unknown type: named "unknown", never what the entry claims.
    assert sum(r["type"] == "unknown.failed" for r in failed) == 3
    assert all(results[g["event_id"]]["type"] == "stock.adjusted.succeeded" for g in good)


@pytest.mark.usefixtures("service")
async def test_newest_stock_level_wins(
    settings: Settings,
    sandbox: RunningSandbox,
    redis: aioredis.Redis,
    publish: Publish,
) -> None:
    """A newer level published first is not overwritten by an older one published later."""
    web = warehouse_id(sandbox, "WH-WEB")
    now = datetime.now(UTC)
    newer = envelope(
        "stock.set",
        {"warehouse_externalid": "WH-WEB", "items": [{"sku": "SKU-0007", "quantity": "42"}]},
        occurred_at=now.isoformat(),
    )
    older = envelope(
        "stock.set",
        {"warehouse_externalid": "WH-WEB", "items": [{"sku": "SKU-0007", "quantity": "3"}]},
        occurred_at=(now - timedelta(minutes=1)).isoformat(),
    )
    await publish(settings.streams.stock, newer)
    await results_by_inbound(redis, settings.streams.results, count=1)
    await publish(settings.streams.stock, older)
    results = await results_by_inbound(redis, settings.streams.results, count=2)
    assert results[older["event_id"]]["data"]["sitoo"]["skipped_older"] == ["SKU-0007"]
    assert stock_total(sandbox, web, "SKU-0007") == Decimal(42)
