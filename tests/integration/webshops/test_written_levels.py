"""Level records against real Redis: the newest version wins whichever replica gets there first."""

from __future__ import annotations

import asyncio

import redis.asyncio as aioredis

from service.records.keys import DeploymentKeys
from service.records.levels import WrittenLevels

PLACE = "stock:Location/1:SKU-1"


def _levels(redis: aioredis.Redis, unique: str, *, lease_ms: int = 60_000) -> WrittenLevels:
    return WrittenLevels(
        redis, keys=DeploymentKeys(unique), webshop="shop", lease_ms=lease_ms, retention_s=600
    )


async def test_an_older_level_taken_over_while_a_newer_one_is_written_is_not_written(
    redis: aioredis.Redis, unique: str
) -> None:
    """Replica A writes version 2; B, holding the reclaimed version 1, finds it done."""
    a, b = _levels(redis, unique), _levels(redis, unique)
    held_a = await a.take({PLACE: 2})
    assert held_a.go == {PLACE: 2}
    held_b = await b.take({PLACE: 1})
    assert held_b.done == {PLACE}
    assert not held_b.go
    await a.written(held_a, held_a.go)
    assert (await b.take({PLACE: 1})).done == {PLACE}
    assert (await b.take({PLACE: 2})).done == {PLACE}  # the same version again: written


async def test_a_newer_level_waits_while_an_older_one_is_written_then_goes(
    redis: aioredis.Redis, unique: str
) -> None:
    """A holds version 1; B's version 2 is busy until A ends, then B writes it."""
    a, b = _levels(redis, unique), _levels(redis, unique)
    held_a = await a.take({PLACE: 1})
    assert (await b.take({PLACE: 2})).busy == {PLACE}
    await a.written(held_a, held_a.go)
    held_b = await b.take({PLACE: 2})
    assert held_b.go == {PLACE: 2}
    await b.written(held_b, held_b.go)
    assert (await a.take({PLACE: 1})).done == {PLACE}


async def test_a_dead_holders_level_is_taken_again_once_its_lease_runs_out(
    redis: aioredis.Redis, unique: str
) -> None:
    """A takes version 1 and dies; the same version (its entry reclaimed) is written again."""
    a, b = _levels(redis, unique, lease_ms=300), _levels(redis, unique, lease_ms=300)
    await a.take({PLACE: 1})
    assert (await b.take({PLACE: 1})).done == {PLACE}  # A is on it; its entry stays pending
    assert (await b.take({PLACE: 3})).busy == {PLACE}
    await asyncio.sleep(0.4)
    held_b = await b.take({PLACE: 1})
    assert held_b.go == {PLACE: 1}
    await b.release(held_b, held_b.go)  # refused by the shop: not recorded
    assert (await a.take({PLACE: 1})).go == {PLACE: 1}


async def test_a_holder_whose_lease_ran_out_still_records_only_a_newer_version(
    redis: aioredis.Redis, unique: str
) -> None:
    """The version recorded is the highest written, in whatever order the writers end."""
    a, b = _levels(redis, unique, lease_ms=200), _levels(redis, unique)
    held_a = await a.take({PLACE: 1})
    await asyncio.sleep(0.3)
    held_b = await b.take({PLACE: 4})
    await b.written(held_b, held_b.go)
    await a.written(held_a, held_a.go)  # late: does not lower the record
    assert (await a.take({PLACE: 3})).done == {PLACE}
    assert (await a.take({PLACE: 5})).go == {PLACE: 5}
