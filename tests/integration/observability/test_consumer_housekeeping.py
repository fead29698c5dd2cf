"""The running service removes the consumers a rollout left behind, and counts them."""

from __future__ import annotations

import asyncio

import redis.asyncio as aioredis

from service.sandbox import RunningSandbox
from service.settings import StreamSettings
from tests.integration.observability.conftest import (
    order_fields,
    results_of,
    running_service,
    service_settings,
)
from tests.integration.observability.test_metrics import scrape, value


async def test_consumers_of_gone_pods_are_removed_and_ours_stays(
    sandbox: RunningSandbox, redis_url: str, redis: aioredis.Redis, unique: str
) -> None:
    """Gone pods leave the group; one that died holding an entry only once it was reclaimed."""
    base = service_settings(sandbox, redis_url, unique)
    streams: StreamSettings = base.streams.model_copy(update={"remove_idle_consumers_s": 1.0})
    settings = base.model_copy(update={"streams": streams})
    orders, group = streams.orders, streams.group
    await redis.xgroup_create(orders, group, id="0", mkstream=True)
    await redis.xadd(orders, {"event": b"not json: left pending by a pod that died"})
    await redis.xreadgroup(group, "pod-died-mid-entry", {orders: ">"}, count=1)
    await redis.xadd(orders, order_fields("W-OLD"))
    [[_, [(entry_id, _)]]] = await redis.xreadgroup(group, "pod-gone", {orders: ">"}, count=1)
    await redis.xack(orders, group, entry_id)
    await asyncio.sleep(1.2)

    async with running_service(settings) as (_, http):
        await redis.xadd(orders, order_fields("W-NEW"))  # our own consumer reads this one
        # The dead pod's entry is reclaimed (and dead-lettered: it is not JSON) ...
        results = await results_of(redis, streams.results, count=2)
        async with asyncio.timeout(20):
            while {"pod-gone", "pod-died-mid-entry"} & await _names(redis, orders, group):
                await asyncio.sleep(0.1)
        samples = await scrape(http)
        names = await _names(redis, orders, group)

    # ... before its consumer could go: nothing it held was dropped with it.
    assert sorted(result["data"]["status"] for result in results) == ["failed", "succeeded"]
    assert await redis.xlen(orders + streams.dead_letter_suffix) == 1
    assert names == {streams.consumer}
    assert value(samples, "sitoo_sync_group_consumers_removed_total", stream=orders) == 2


async def _names(redis: aioredis.Redis, stream: str, group: str) -> set[str]:
    return {info["name"].decode() for info in await redis.xinfo_consumers(stream, group)}
