"""One-time write records against real Redis: made once, whichever replica gets there first."""

from __future__ import annotations

import asyncio

import redis.asyncio as aioredis

from service.records.keys import DeploymentKeys
from service.records.steps import WrittenSteps

WHAT = "pickup:1042:ready"


def _steps(redis: aioredis.Redis, unique: str, *, lease_ms: int = 60_000) -> WrittenSteps:
    return WrittenSteps(
        redis, keys=DeploymentKeys(unique), webshop="shop", lease_ms=lease_ms, retention_s=600
    )


async def test_a_step_being_made_is_busy_for_another_replica_then_done(
    redis: aioredis.Redis, unique: str
) -> None:
    """A makes the step; B (the same event taken over) waits, then finds it made."""
    a, b = _steps(redis, unique), _steps(redis, unique)
    held_a = await a.take(WHAT)
    assert held_a.decision == "go"
    assert (await b.take(WHAT)).decision == "busy"
    await a.made(held_a)
    assert (await b.take(WHAT)).decision == "done"
    assert (await a.take(WHAT)).decision == "done"


async def test_a_step_handed_back_is_taken_by_the_next_replica(
    redis: aioredis.Redis, unique: str
) -> None:
    """A fails and releases; B makes it."""
    a, b = _steps(redis, unique), _steps(redis, unique)
    held_a = await a.take(WHAT)
    await a.release(held_a)
    held_b = await b.take(WHAT)
    assert held_b.decision == "go"
    await b.made(held_b)
    assert (await a.take(WHAT)).decision == "done"


async def test_a_dead_holders_step_is_taken_again_once_its_lease_runs_out(
    redis: aioredis.Redis, unique: str
) -> None:
    """A takes the step and dies; B takes it over only after the lease has run out."""
    a, b = _steps(redis, unique, lease_ms=300), _steps(redis, unique, lease_ms=300)
    await a.take(WHAT)
    assert (await b.take(WHAT)).decision == "busy"
    await asyncio.sleep(0.4)
    held_b = await b.take(WHAT)
    assert held_b.decision == "go"
    await b.made(held_b)
    assert (await b.take(WHAT)).decision == "done"


async def test_a_late_release_by_a_holder_whose_lease_ran_out_leaves_the_new_holder_alone(
    redis: aioredis.Redis, unique: str
) -> None:
    """A stalls past its lease, B takes the step over; A's release does not free it for C."""
    a, b, c = (_steps(redis, unique, lease_ms=300) for _ in range(3))
    held_a = await a.take(WHAT)
    await asyncio.sleep(0.4)
    held_b = await b.take(WHAT)
    assert held_b.decision == "go"
    await a.release(held_a)
    assert (await c.take(WHAT)).decision == "busy"


async def test_a_mark_from_before_records_were_hashes_counts_as_made(
    redis: aioredis.Redis, unique: str
) -> None:
    steps = _steps(redis, unique)
    await redis.set(DeploymentKeys(unique).webshop_written("shop", WHAT), "1")
    assert (await steps.take(WHAT)).decision == "done"


async def test_a_made_step_is_kept_for_the_retention_time(
    redis: aioredis.Redis, unique: str
) -> None:
    steps = _steps(redis, unique)
    await steps.made(await steps.take(WHAT))
    key = DeploymentKeys(unique).webshop_written("shop", WHAT)
    assert 590 <= await redis.ttl(key) <= 600
    assert await redis.hgetall(key) == {b"done": b"1"}
