"""Requests per stock poll cycle follow the number of changes, not the catalogue's size."""

from __future__ import annotations

from service.pollers.wiring import build_pollers
from tests.integration.pollers.conftest import build_rig

MARGIN_S = 60
CHANGES = 100


async def _incremental_cycle_cost(redis, prefix: str, catalogue: int) -> tuple[int, int]:
    """(sandbox requests, events published) of a steady-state cycle after 100 stock counts."""
    async with build_rig(
        redis,
        prefix,
        seed="empty",
        modified_margin_s=MARGIN_S,
        full_snapshot_interval_s=86_400,
    ) as rig:
        store = rig.sandbox.add_store("Bench", externalid="BENCH")
        warehouse = rig.sandbox.add_warehouse("Bench", storeid=store.storeid)
        skus = rig.sandbox.add_products(catalogue, prefix="B", warehouseids=[warehouse.warehouseid])
        (stock,) = (
            p for p in build_pollers(rig.redis, rig.client, rig.settings) if p.name == "stock"
        )
        holding = await rig.hold("stock")
        await stock.cycle(holding)  # first cycle: the full snapshot
        assert await rig.redis.xlen(rig.settings.streams.outbound) == catalogue

        # Items modified within the margin of the newest one are read again until newer
        # changes move the cursor on; after that only recent changes are read.
        for batch in range(2):
            rig.sandbox.clock.advance(MARGIN_S + 10)
            rig.sandbox.staff.stock_count(
                warehouse.warehouseid,
                {sku: str(batch + 1) for sku in skus[batch :: catalogue // CHANGES]},
            )
            if batch == 0:
                await stock.cycle(holding)
        before = await rig.redis.xlen(rig.settings.streams.outbound)
        rig.sandbox.counters.clear()
        await stock.cycle(holding)
        published = await rig.redis.xlen(rig.settings.streams.outbound) - before
        return rig.sandbox.counters.total, published


async def test_requests_per_cycle_do_not_grow_with_the_catalogue(redis, unique):
    """1,000 and 100,000 items with the same 100 changes cost the same requests per cycle."""
    small = await _incremental_cycle_cost(redis, f"{unique}s", 1_000)
    large = await _incremental_cycle_cost(redis, f"{unique}l", 100_000)
    assert small == large
    requests, published = small
    assert published == CHANGES
    assert requests == 3  # warehouses, stores, one page of changed items
