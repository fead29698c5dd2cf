"""The leader lease and the fenced cursors against a real Redis."""

from __future__ import annotations

import asyncio

import pytest

from service.pollers.cursors import FencedCursors
from service.pollers.lease import Lease, LeaseLostError
from service.records.keys import DeploymentKeys


def _lease(redis, unique: str, ttl_s: float = 30.0) -> Lease:
    return Lease(redis, keys=DeploymentKeys(unique), name="stock", ttl_s=ttl_s)


async def test_only_one_replica_holds_the_lease(redis, unique):
    """A second replica cannot take a held lease; each acquisition gets a higher fence."""
    first, second = _lease(redis, unique), _lease(redis, unique)
    held = await first.acquire()
    assert held is not None
    assert held.fence == 1
    assert await second.acquire() is None
    assert await first.release(held)
    taken = await second.acquire()
    assert taken is not None
    assert taken.fence == 2


async def test_renew_keeps_the_lease_and_fails_for_a_non_holder(redis, unique):
    """Renewal pushes the expiry out for the holder and raises for anyone else."""
    first, second = _lease(redis, unique, ttl_s=5), _lease(redis, unique, ttl_s=5)
    held = await first.acquire()
    assert held is not None
    await redis.pexpire(first.key, 100)
    await first.renew(held)
    assert await redis.pttl(first.key) > 1000
    await redis.delete(first.key)  # the lease ran out
    taken = await second.acquire()
    assert taken is not None
    with pytest.raises(LeaseLostError):
        await first.renew(held)
    assert not await first.release(held), "an ex-holder must not delete the new holder's lease"
    assert await second.holder() == taken.token


async def test_a_stale_leader_cannot_move_the_cursor(redis, unique):
    """After a takeover the old leader's cursor write is refused and the new one's kept."""
    cursors = FencedCursors(redis, keys=DeploymentKeys(unique))
    old_lease, new_lease = _lease(redis, unique), _lease(redis, unique)
    old = await old_lease.acquire()
    assert old is not None
    await cursors.advance(old, {"next_order_id": 10})
    await redis.delete(old_lease.key)  # old leader paused past its lease
    new = await new_lease.acquire()
    assert new is not None
    await cursors.advance(new, {"next_order_id": 20})
    with pytest.raises(LeaseLostError):
        await cursors.advance(old, {"next_order_id": 11})
    assert await cursors.get("stock") == {"next_order_id": 20}


async def test_cursor_starts_empty(redis, unique):
    """A poller that never advanced has no cursor."""
    assert await FencedCursors(redis, keys=DeploymentKeys(unique)).get("orders") is None


async def test_a_lease_an_earlier_version_wrote_counts_as_held(redis, unique):
    """Rolling upgrade: an old leader's plain-string lease keeps new replicas out till it ends."""
    lease = _lease(redis, unique)
    await redis.set(lease.key, "7:old-owner", px=200)
    assert await lease.acquire() is None
    await asyncio.sleep(0.3)
    held = await lease.acquire()
    assert held is not None
    assert await lease.holder() == held.token
