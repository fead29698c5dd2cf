"""The Redis limiter across OS processes: slots per credential, pools, lanes, expiry."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import redis.asyncio as aioredis

from service.records.keys import DeploymentKeys
from service.sitoo.limiter import Lane, RedisLimiter
from service.tasks import stop_tasks

_WORKER = Path(__file__).with_name("limiter_worker.py")
_ROOT = Path(__file__).resolve().parents[3]


def _start_workers(url: str, prefix: str, count: int, *extra: str) -> list[subprocess.Popen[str]]:
    env = {**os.environ, "PYTHONPATH": str(_ROOT)}
    return [
        subprocess.Popen(
            [sys.executable, str(_WORKER), url, prefix, *extra],
            stdout=subprocess.PIPE,
            text=True,
            env=env,
        )
        for _ in range(count)
    ]


def _collect(workers: list[subprocess.Popen[str]]) -> list[dict[str, list]]:
    reports = []
    for worker in workers:
        out, _ = worker.communicate(timeout=60)
        assert worker.returncode == 0
        reports.append(json.loads(out))
    return reports


def _overlaps(intervals: list[list[int]], allowed: int) -> int:
    """How many times more than ``allowed`` intervals of one credential were open at once."""
    violations = 0
    for credential in {i[0] for i in intervals}:
        events = sorted(
            [(start, 1) for c, start, _ in intervals if c == credential]
            + [(end, -1) for c, _, end in intervals if c == credential]
        )
        open_now = 0
        for _, delta in events:
            open_now += delta
            violations += open_now > allowed
    return violations


async def test_one_in_flight_per_credential_across_processes(redis_url: str, unique: str) -> None:
    """Four processes with three tasks each never overlap on the single slot."""
    workers = _start_workers(redis_url, unique, 4, "--calls", "8", "--tasks", "3")
    reports = await asyncio.to_thread(_collect, workers)
    intervals = [i for r in reports for i in r["intervals"]]
    assert len(intervals) == 4 * 8 * 3
    assert max(p for r in reports for p in r["peaks"]) == 1
    assert _overlaps(intervals, allowed=1) == 0


async def test_credential_pool_runs_one_call_per_credential_in_parallel(
    redis_url: str, unique: str
) -> None:
    """With two API users, both are used and neither ever has two calls in flight."""
    workers = _start_workers(
        redis_url, unique, 3, "--credentials", "api-1,api-2", "--calls", "6", "--tasks", "4"
    )
    reports = await asyncio.to_thread(_collect, workers)
    intervals = [i for r in reports for i in r["intervals"]]
    assert {i[0] for i in intervals} == {0, 1}
    assert max(p for r in reports for p in r["peaks"]) == 1
    assert _overlaps(intervals, allowed=1) == 0
    assert _overlaps(intervals, allowed=0) > 0  # the pool did run calls side by side


async def test_interactive_call_overtakes_a_saturating_bulk_load(
    redis: aioredis.Redis, redis_url: str, unique: str
) -> None:
    """While bulk callers in other processes queue, each interactive call gets the next slot."""
    workers = _start_workers(
        redis_url, unique, 3, "--calls", "40", "--tasks", "4", "--hold-ms", "3"
    )
    limiter = RedisLimiter(redis, keys=DeploymentKeys(unique), credentials=["api-1"])
    bulk_queue = f"{unique}:limiter:wait:bulk"
    try:
        while await redis.zcard(bulk_queue) < 6:
            await asyncio.sleep(0.01)
        overtaken = []
        for _ in range(10):
            async with limiter.slot(Lane.INTERACTIVE) as slot:
                overtaken.append(slot.overtaken_by)
                queued_bulk = await redis.zcard(bulk_queue)
                assert queued_bulk > 0  # the load was still saturating when we were served
    finally:
        reports = await asyncio.to_thread(_collect, workers)
    # Each interactive call waited only for the one bulk call in flight when it arrived.
    assert overtaken == [0] * 10
    assert max(p for r in reports for p in r["peaks"]) == 1


async def test_bulk_callers_are_served_first_come_first_served(
    redis: aioredis.Redis, unique: str
) -> None:
    """Within a lane, waiters are granted in arrival order."""
    limiter = RedisLimiter(redis, keys=DeploymentKeys(unique), credentials=["api-1"])
    holder = await limiter.acquire(Lane.BULK)
    order: list[int] = []

    async def wait_in_line(n: int) -> None:
        async with limiter.slot(Lane.BULK):
            order.append(n)

    tasks = []
    for n in range(5):
        tasks.append(asyncio.create_task(wait_in_line(n)))
        while await redis.zcard(f"{unique}:limiter:wait:bulk") < n + 1:
            await asyncio.sleep(0.005)
    await limiter.release(holder)
    await asyncio.gather(*tasks)
    assert order == [0, 1, 2, 3, 4]


async def test_a_dead_holders_slot_expires(redis: aioredis.Redis, unique: str) -> None:
    """A slot never released (its process died) is free again once its lease runs out."""
    limiter = RedisLimiter(
        redis,
        keys=DeploymentKeys(unique),
        credentials=["api-1"],
        slot_lease_s=0.3,
        max_block_s=0.05,
    )
    await limiter.acquire(Lane.BULK)  # never released
    assert await limiter.in_flight() == [1]
    second = await asyncio.wait_for(limiter.acquire(Lane.BULK), timeout=10)
    assert second.overtaken_by == 0
    assert await limiter.in_flight() == [1]


async def test_a_cancelled_waiter_leaves_the_queue(redis: aioredis.Redis, unique: str) -> None:
    """Cancelling a waiting caller removes it, so it blocks nobody behind it."""
    limiter = RedisLimiter(redis, keys=DeploymentKeys(unique), credentials=["api-1"])
    holder = await limiter.acquire(Lane.BULK)
    waiter = asyncio.create_task(limiter.acquire(Lane.INTERACTIVE))
    while await redis.zcard(f"{unique}:limiter:wait:interactive") == 0:
        await asyncio.sleep(0.005)
    await stop_tasks([waiter])
    assert await redis.zcard(f"{unique}:limiter:wait:interactive") == 0
    await limiter.release(holder)
    bulk = await asyncio.wait_for(limiter.acquire(Lane.BULK), timeout=5)
    assert bulk.overtaken_by == 0


async def test_rate_cap_spaces_request_starts(redis: aioredis.Redis, unique: str) -> None:
    """With a requests-per-second cap the next start is pushed out by one interval."""
    limiter = RedisLimiter(
        redis,
        keys=DeploymentKeys(unique),
        credentials=["api-1"],
        max_requests_per_s=4,
        max_in_flight=5,
    )
    slot = await limiter.acquire(Lane.BULK)
    seconds, micros = await redis.time()
    now_ms = seconds * 1000 + micros // 1000
    next_start = int(await redis.get(f"{unique}:limiter:next:api-1"))
    assert 0 < next_start - now_ms <= 250
    await limiter.release(slot)
    follow_up = await asyncio.wait_for(limiter.acquire(Lane.BULK), timeout=5)
    assert int(await redis.get(f"{unique}:limiter:next:api-1")) >= next_start + 250
    await limiter.release(follow_up)


async def test_a_reserved_credential_serves_only_the_interactive_lane(
    redis: aioredis.Redis, unique: str
) -> None:
    """Bulk work waits for the shared API user while the till's one stays free for checkouts."""
    limiter = RedisLimiter(
        redis, keys=DeploymentKeys(unique), credentials=["shared", "till"], interactive_only=1
    )
    bulk = await limiter.acquire(Lane.BULK)
    assert bulk.credential == 0
    second_bulk = asyncio.create_task(limiter.acquire(Lane.BULK))
    await asyncio.sleep(0.3)
    assert not second_bulk.done()  # the reserved credential is free, but not for bulk work
    checkout = await asyncio.wait_for(limiter.acquire(Lane.INTERACTIVE), timeout=1)
    assert checkout.credential == 1
    await limiter.release(bulk)
    assert (await asyncio.wait_for(second_bulk, timeout=1)).credential == 0
    await limiter.release(checkout)
    # With the reserved one busy, a checkout may still use a free shared credential.
    till_busy = await limiter.acquire(Lane.INTERACTIVE)
    assert till_busy.credential == 1
    await limiter.release(second_bulk.result())
    fallback = await asyncio.wait_for(limiter.acquire(Lane.INTERACTIVE), timeout=1)
    assert fallback.credential == 0


def test_every_credential_reserved_is_refused(redis: aioredis.Redis, unique: str) -> None:
    """Bulk work needs at least one API user it may use."""
    with pytest.raises(ValueError, match="at least one credential that bulk work may use"):
        RedisLimiter(redis, keys=DeploymentKeys(unique), credentials=["till"], interactive_only=1)


async def test_a_lost_wake_up_is_made_good_by_the_recorded_grant(
    redis: aioredis.Redis, unique: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A grant whose wake-up push never arrives is found in the granted hash within a block."""
    keys = DeploymentKeys(unique)
    limiter = RedisLimiter(redis, keys=keys, credentials=["api-1"], max_block_s=0.05)
    holder = await limiter.acquire(Lane.BULK)
    waiter = asyncio.create_task(limiter.acquire(Lane.BULK))
    while await redis.zcard(keys.limiter("wait_bulk")) < 1:
        await asyncio.sleep(0.005)

    async def lost(woken: object) -> None:  # the releaser dies before pushing the wake-up
        return None

    monkeypatch.setattr(limiter, "_wake", lost)
    await limiter.release(holder)
    assert await redis.hlen(keys.limiter("granted")) == 1
    slot = await asyncio.wait_for(waiter, 2.0)
    assert slot.credential == 0
    await limiter.release(slot)
    assert await redis.hlen(keys.limiter("granted")) == 0
    assert await limiter.in_flight() == [0]
