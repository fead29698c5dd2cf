"""Consumers of gone replicas leave the group; live ones, ours and those holding entries stay."""

from __future__ import annotations

import asyncio

import redis.asyncio as aioredis

from service.brokers.redis.housekeeping import remove_idle_consumers, sweep_idle_consumers

GROUP = "sitoo-sync"


async def _consumers(redis: aioredis.Redis, stream: str) -> dict[str, dict[str, int]]:
    return {
        info["name"].decode(): {"pending": int(info["pending"]), "idle": int(info["idle"])}
        for info in await redis.xinfo_consumers(stream, GROUP)
    }


async def _read_as(redis: aioredis.Redis, stream: str, consumer: str, *, ack: bool = True) -> None:
    """``consumer`` reads one new entry (Redis creates a consumer when it is handed one)."""
    await redis.xadd(stream, {"event": b"{}"})
    [[_, [(entry_id, _)]]] = await redis.xreadgroup(GROUP, consumer, {stream: ">"}, count=1)
    if ack:
        await redis.xack(stream, GROUP, entry_id)


async def test_only_idle_consumers_with_nothing_pending_are_removed(
    redis: aioredis.Redis, unique: str
) -> None:
    """Gone and empty: removed. Gone with an entry pending, live, or our own: kept."""
    stream = f"{unique}.orders"
    await redis.xgroup_create(stream, GROUP, id="0", mkstream=True)
    await _read_as(redis, stream, "pod-gone-with-pending", ack=False)
    await _read_as(redis, stream, "pod-gone-empty")
    await _read_as(redis, stream, "pod-self")
    await _read_as(redis, stream, "pod-live")
    await asyncio.sleep(0.4)
    await _read_as(redis, stream, "pod-live")  # a live replica reads all the time

    removed = await remove_idle_consumers(
        redis, stream=stream, group=GROUP, idle_ms=300, own="pod-self"
    )

    assert removed == ["pod-gone-empty"]
    left = await _consumers(redis, stream)
    assert set(left) == {"pod-gone-with-pending", "pod-self", "pod-live"}
    assert left["pod-gone-with-pending"]["pending"] == 1
    [pending] = await redis.xpending_range(stream, GROUP, min="-", max="+", count=10)
    assert pending["consumer"] == b"pod-gone-with-pending"  # its entry is still reclaimable


async def test_a_consumer_idle_less_than_the_threshold_stays(
    redis: aioredis.Redis, unique: str
) -> None:
    """Nothing is removed before its idle time reaches the threshold."""
    stream = f"{unique}.stock"
    await redis.xgroup_create(stream, GROUP, id="0", mkstream=True)
    await _read_as(redis, stream, "pod-old")
    assert (
        await remove_idle_consumers(
            redis, stream=stream, group=GROUP, idle_ms=60_000, own="pod-self"
        )
        == []
    )
    assert set(await _consumers(redis, stream)) == {"pod-old"}


async def test_a_sweep_covers_every_stream_and_skips_missing_ones(
    redis: aioredis.Redis, unique: str
) -> None:
    """A stream or group that does not exist yet removes nothing and stops nothing."""
    streams = [f"{unique}.a", f"{unique}.missing", f"{unique}.b"]
    for stream in (streams[0], streams[2]):
        await redis.xgroup_create(stream, GROUP, id="0", mkstream=True)
        await _read_as(redis, stream, "pod-gone")
    await asyncio.sleep(0.3)
    counted: list[tuple[str, int]] = []
    await sweep_idle_consumers(
        redis,
        streams=streams,
        group=GROUP,
        idle_s=0.2,
        own="pod-self",
        removed=lambda stream, count: counted.append((stream, count)),
    )
    assert counted == [(streams[0], 1), (streams[2], 1)]
    for stream in (streams[0], streams[2]):
        assert await _consumers(redis, stream) == {}


async def test_a_quiet_live_reader_removed_while_blocked_gets_its_next_entry(
    redis: aioredis.Redis, redis_url: str, unique: str
) -> None:
    """A reader blocked on a quiet stream may be removed; its next entry still reaches it, pending
    under its name, so nothing is lost or left unclaimable."""
    stream = f"{unique}.giftcards"
    await redis.xgroup_create(stream, GROUP, id="0", mkstream=True)
    await _read_as(redis, stream, "pod-quiet")
    reader = aioredis.Redis.from_url(redis_url)
    try:
        blocked = asyncio.create_task(
            reader.xreadgroup(GROUP, "pod-quiet", {stream: ">"}, count=1, block=10_000)
        )
        await asyncio.sleep(0.4)
        removed = await remove_idle_consumers(
            redis, stream=stream, group=GROUP, idle_ms=300, own="pod-other"
        )
        assert removed == ["pod-quiet"]
        entry_id = await redis.xadd(stream, {"event": b"{}"})
        [[_, [(delivered, _)]]] = await asyncio.wait_for(blocked, timeout=10)
    finally:
        await reader.aclose()
    assert delivered == entry_id
    assert (await _consumers(redis, stream))["pod-quiet"]["pending"] == 1
