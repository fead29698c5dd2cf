"""The Redis idempotency store: claims, leases, takeovers and results."""

from __future__ import annotations

import asyncio

import pytest
import redis.asyncio as aioredis

from service.records.keys import DeploymentKeys
from service.records.operations import ClaimStatus, RedisIdempotencyStore
from service.sitoo.errors import OperationInFlight


def _store(redis: aioredis.Redis, unique: str, **overrides: float) -> RedisIdempotencyStore:
    options: dict[str, float] = {"retention_s": 60.0, "lease_s": 5.0, "max_wait_s": 0.3}
    options.update(overrides)
    return RedisIdempotencyStore(redis, keys=DeploymentKeys(unique), **options)


async def test_first_claim_acquires_and_complete_records_the_result(
    redis: aioredis.Redis, unique: str
) -> None:
    """A fresh key is acquired; after complete, a duplicate gets the result and no lease."""
    store = _store(redis, unique)
    claim = await store.claim("evt-1:create-order")
    assert claim.status is ClaimStatus.ACQUIRED
    assert claim.attempt == 1
    assert await store.complete(claim, {"orderid": 42})
    again = await store.claim("evt-1:create-order")
    assert again.status is ClaimStatus.DONE
    assert again.result == {"orderid": 42}
    assert again.first_claimed_at == claim.first_claimed_at


async def test_result_is_kept_for_the_retention_period(redis: aioredis.Redis, unique: str) -> None:
    """The record's TTL is the configured retention, not the lease."""
    store = _store(redis, unique, retention_s=30 * 86_400)
    claim = await store.claim("k")
    await store.complete(claim, 1)
    ttl_ms = await redis.pttl(store.redis_key("k"))
    assert 29 * 86_400_000 < ttl_ms <= 30 * 86_400_000


async def test_concurrent_claims_let_exactly_one_through(
    redis: aioredis.Redis, unique: str
) -> None:
    """Of many simultaneous claimants one acquires; the others wait, then see DONE."""
    store = _store(redis, unique, max_wait_s=5.0)
    writes: list[int] = []

    async def handle(n: int) -> object:
        claim = await store.claim("evt-2:redeem")
        if claim.status is ClaimStatus.DONE:
            return claim.result
        writes.append(n)
        await asyncio.sleep(0.05)
        await store.complete(claim, n)
        return n

    results = await asyncio.gather(*(handle(n) for n in range(20)))
    assert len(writes) == 1
    assert set(results) == {writes[0]}


async def test_a_held_claim_is_in_flight_after_the_bounded_wait(
    redis: aioredis.Redis, unique: str
) -> None:
    """A duplicate that waits longer than max_wait_s gets OperationInFlight (retry later)."""
    store = _store(redis, unique, lease_s=30.0, max_wait_s=0.2)
    await store.claim("k")
    with pytest.raises(OperationInFlight):
        await store.claim("k")


async def test_expired_lease_is_taken_over(redis: aioredis.Redis, unique: str) -> None:
    """After a claimant dies its lease expires and the next claim is a takeover."""
    store = _store(redis, unique, lease_s=0.2, max_wait_s=2.0)
    crashed = await store.claim("evt-3:issue")
    assert crashed.status is ClaimStatus.ACQUIRED
    # The crashed holder never completes; a duplicate waits for its lease to run out.
    takeover = await store.claim("evt-3:issue")
    assert takeover.status is ClaimStatus.TAKEOVER
    assert takeover.attempt == 2
    assert not await store.complete(crashed, "late")
    assert await store.complete(takeover, "reconciled")
    assert (await store.claim("evt-3:issue")).result == "reconciled"


async def test_only_the_lease_holder_can_release(redis: aioredis.Redis, unique: str) -> None:
    """Release with a stale token changes nothing."""
    store = _store(redis, unique, lease_s=0.1, max_wait_s=2.0)
    first = await store.claim("k")
    second = await store.claim("k")
    assert second.status is ClaimStatus.TAKEOVER
    assert not await store.release(first, outcome_unknown=False)
    assert await store.release(second, outcome_unknown=False)


async def test_clean_release_lets_the_next_claim_acquire(
    redis: aioredis.Redis, unique: str
) -> None:
    """A release after a proven non-write is not a takeover for the next claimant."""
    store = _store(redis, unique)
    claim = await store.claim("k")
    assert await store.release(claim, outcome_unknown=False)
    assert (await store.claim("k")).status is ClaimStatus.ACQUIRED


async def test_release_with_unknown_outcome_forces_reconciliation(
    redis: aioredis.Redis, unique: str
) -> None:
    """Giving up with the outcome unknown makes every later claim a takeover until complete."""
    store = _store(redis, unique)
    claim = await store.claim("k")
    assert await store.release(claim, outcome_unknown=True)
    second = await store.claim("k")
    assert second.status is ClaimStatus.TAKEOVER
    assert await store.release(second, outcome_unknown=False)
    assert (await store.claim("k")).status is ClaimStatus.TAKEOVER
