"""Batched Redis scripts: many claims, leases and results per call, each key on its own terms."""

from __future__ import annotations

import json

import redis.asyncio as aioredis

from service.brokers.redis.settlement import Settlements
from service.contracts.results import ResultData
from service.inbox.transport import Settling
from service.records.keys import DeploymentKeys
from service.records.operations import ClaimStatus, RedisIdempotencyStore


def _store(redis: aioredis.Redis, unique: str) -> RedisIdempotencyStore:
    return RedisIdempotencyStore(redis, keys=DeploymentKeys(unique), retention_s=60.0, lease_s=5.0)


def _settlements(redis: aioredis.Redis, unique: str) -> Settlements:
    return Settlements(
        redis,
        keys=DeploymentKeys(unique),
        results_stream=f"{unique}:results",
        retention_s=60.0,
        lease_s=5.0,
    )


def _data(event_id: str, *, reason: str | None = None) -> ResultData:
    return ResultData(
        inbound_event_id=event_id,
        inbound_type="stock.adjusted",
        stream="webshop.stock",
        entry_id="1-0",
        status="succeeded",
        sitoo={"warehousetransactionid": 7},
        reason_code=None,
        reason=reason,
        dead_lettered=False,
    )


async def test_claim_many_answers_each_key_by_its_own_state(
    redis: aioredis.Redis, unique: str
) -> None:
    """Done, held, fresh and repeated keys in one call each get their own answer."""
    store = _store(redis, unique)
    done = await store.claim("done")
    await store.complete(done, 41)
    await store.claim("held")
    claims = await store.claim_many(["done", "held", "fresh", "fresh"])
    assert [c.status for c in claims] == [
        ClaimStatus.DONE,
        ClaimStatus.IN_FLIGHT,
        ClaimStatus.ACQUIRED,
        ClaimStatus.IN_FLIGHT,  # the same key twice: the second finds the first's lease
    ]
    assert claims[0].result == 41
    assert claims[2].attempt == 1


async def test_complete_many_records_only_where_the_lease_is_still_held(
    redis: aioredis.Redis, unique: str
) -> None:
    """A claim whose lease went to someone else is refused; the others are recorded."""
    store = _store(redis, unique)
    first, second = await store.claim_many(["a", "b"])
    await store.release(second, outcome_unknown=True)
    taken_over = await store.claim("b")
    assert taken_over.status is ClaimStatus.TAKEOVER
    assert await store.complete_many([(first, {"id": "é ☃ 😀"}), (second, 2)]) == [True, False]
    again = await store.claim_many(["a", "b"])
    assert again[0].status is ClaimStatus.DONE
    assert again[0].result == {"id": "é ☃ 😀"}
    assert again[1].status is ClaimStatus.IN_FLIGHT  # still the takeover's


async def test_release_many_with_unknown_outcome_makes_every_next_claim_a_takeover(
    redis: aioredis.Redis, unique: str
) -> None:
    """Released as outcome-unknown, each key must be reconciled by its next claimant."""
    store = _store(redis, unique)
    keys = [f"k{n}" for n in range(5)]
    await store.release_many(await store.claim_many(keys), outcome_unknown=True)
    assert {c.status for c in await store.claim_many(keys)} == {ClaimStatus.TAKEOVER}


async def test_claim_many_works_past_one_script_call(redis: aioredis.Redis, unique: str) -> None:
    """More keys than one script call takes are claimed, completed and found done."""
    store = _store(redis, unique)
    keys = [f"k{n}" for n in range(2_345)]
    claims = await store.claim_many(keys)
    assert all(c.status is ClaimStatus.ACQUIRED for c in claims)
    assert all(await store.complete_many([(c, n) for n, c in enumerate(claims)]))
    again = await store.claim_many(keys)
    assert [c.result for c in again] == list(range(len(keys)))


async def test_begin_leases_free_events_and_reports_held_and_settled_ones(
    redis: aioredis.Redis, unique: str
) -> None:
    """One call: a settled event repeats its result, a leased one is busy, a free one runs.

    An event id seen first with other content is a conflict, whatever state it is in.
    """
    settlements = _settlements(redis, unique)
    settled, held, free = (settlements.event_key(e) for e in ("settled", "held", "free"))
    await settlements.begin([(settled, "s/1-0", "sha256:a")], "earlier")
    await settlements.settle([Settling(settled, "s/1-0", _data("settled"), None)])
    await settlements.begin([(held, "s/2-0", "sha256:b")], "other")
    begun = await settlements.begin(
        [
            (settled, "s/9-0", "sha256:a"),
            (held, "s/9-1", "sha256:b"),
            (free, "s/9-2", "sha256:c"),
            (settled, "s/9-3", "sha256:other"),
            (held, "s/9-4", "sha256:other"),
        ],
        "mine",
    )
    assert [b.status for b in begun] == ["settled", "busy", "run", "conflict", "conflict"]
    assert begun[0].result == _data("settled")
    assert (begun[3].first_digest, begun[4].first_digest) == ("sha256:a", "sha256:b")


async def test_settle_emits_each_result_once_and_a_failing_record_fails_alone(
    redis: aioredis.Redis, unique: str
) -> None:
    """A record that cannot be written gets its error; the others are recorded and emitted."""
    settlements = _settlements(redis, unique)
    keys = [settlements.event_key(f"e{n}") for n in range(3)]
    await redis.set(keys[1], "not a hash")  # HGET on it fails inside the script
    items = [
        Settling(key, f"s/{n}-0", _data(f"e{n}", reason="naïve ☃"), f"c{n}")
        for n, key in enumerate(keys)
    ]
    answers = await settlements.settle(items)
    assert answers[0] is None
    assert isinstance(answers[1], Exception)
    assert "WRONGTYPE" in str(answers[1])
    assert answers[2] is None
    entries = await redis.xrange(f"{unique}:results")
    emitted = [json.loads(fields[b"event"])["data"]["inbound_event_id"] for _, fields in entries]
    assert emitted == ["e0", "e2"]
    again = await settlements.settle([items[0], items[2]])
    assert again == [_data("e0", reason="naïve ☃"), _data("e2", reason="naïve ☃")]
    assert await redis.xlen(f"{unique}:results") == 2
