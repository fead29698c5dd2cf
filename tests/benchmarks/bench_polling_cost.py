"""Polling cost: Sitoo requests and time per stock poll cycle for 1k, 10k and 100k items.

Run: ``REDIS_URL=redis://127.0.0.1:6379/0 .venv/bin/python -m tests.benchmarks.bench_polling_cost``

Each size: a full snapshot first (the baseline: what a poller without a cursor pays every
cycle), then 100 stock counts, then one steady-state incremental cycle.
"""

from __future__ import annotations

import asyncio
import os
import sys
import time
import uuid

import redis.asyncio as aioredis

from service.pollers.wiring import build_pollers
from tests.integration.pollers.conftest import build_rig

MARGIN_S = 60
CHANGES = 100


async def _measure(redis: aioredis.Redis, catalogue: int) -> str:
    prefix = f"bench-poll-{uuid.uuid4().hex[:6]}"
    async with build_rig(
        redis, prefix, seed="empty", modified_margin_s=MARGIN_S, full_snapshot_interval_s=86_400
    ) as rig:
        store = rig.sandbox.add_store("Bench", externalid="BENCH")
        warehouse = rig.sandbox.add_warehouse("Bench", storeid=store.storeid)
        skus = rig.sandbox.add_products(catalogue, prefix="B", warehouseids=[warehouse.warehouseid])
        (stock,) = (
            p for p in build_pollers(rig.redis, rig.client, rig.settings) if p.name == "stock"
        )
        holding = await rig.hold("stock")
        rig.sandbox.counters.clear()
        began = time.perf_counter()
        await stock.cycle(holding)
        full_s, full_requests = time.perf_counter() - began, rig.sandbox.counters.total
        for batch in range(2):
            rig.sandbox.clock.advance(MARGIN_S + 10)
            rig.sandbox.staff.stock_count(
                warehouse.warehouseid,
                {sku: str(batch + 1) for sku in skus[batch :: catalogue // CHANGES]},
            )
            if batch == 0:
                await stock.cycle(holding)
        rig.sandbox.counters.clear()
        before = await rig.redis.xlen(rig.settings.streams.outbound)
        began = time.perf_counter()
        await stock.cycle(holding)
        cycle_s = time.perf_counter() - began
        published = await rig.redis.xlen(rig.settings.streams.outbound) - before
        requests = rig.sandbox.counters.total
    return (
        f"  {catalogue:>7,} items: incremental cycle {requests} requests, {cycle_s * 1000:.0f} ms, "
        f"{published} changes published | full snapshot {full_requests} requests, {full_s:.2f} s\n"
    )


async def main() -> None:
    """Three catalogue sizes, same 100 changes."""
    url = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0")
    redis = aioredis.Redis.from_url(url)
    try:
        sys.stdout.write(
            f"stock poll cycle with {CHANGES} changes (sandbox over HTTP, 0 ms latency)\n"
        )
        for catalogue in (1_000, 10_000, 100_000):
            sys.stdout.write(await _measure(redis, catalogue))
    finally:
        await redis.aclose()


if __name__ == "__main__":
    asyncio.run(main())
