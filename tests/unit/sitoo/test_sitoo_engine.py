"""The exactly-once state machine: when it reconciles, writes again, records and releases."""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
import pytest
from pydantic import SecretStr

from service.records.operations import Claim, ClaimStatus
from service.settings import SitooCredential
from service.sitoo.caution import Caution, caution
from service.sitoo.engine import RequestEngine
from service.sitoo.errors import (
    BadRequest,
    BatchItemRejected,
    ClaimNotReplicated,
    RateLimited,
    ReconciliationFailed,
    ResponseLost,
    SitooError,
    WriteWithheld,
)
from service.sitoo.limiter import Lane, Slot
from tests.unit.sitoo.fakes import InMemoryIdempotencyStore


class _NoLimit:
    @asynccontextmanager
    async def _slot(self, lane: Lane) -> AsyncIterator[Slot]:
        yield Slot(0, "t", lane, grant_seq=1, overtaken_by=0)

    def slot(self, lane: Lane):  # type: ignore[no-untyped-def]
        return self._slot(lane)


class Script:
    """A write whose attempts fail as scripted and a Sitoo state reconcile can see."""

    def __init__(self, *failures: SitooError, applies_before_failing: bool = True) -> None:
        self.failures = list(failures)
        self.applies_before_failing = applies_before_failing
        self.applied = 0
        self.writes = 0
        self.lookups = 0

    async def write(self, _claim: Claim) -> int:
        self.writes += 1
        if self.failures:
            failure = self.failures.pop(0)
            if isinstance(failure, ResponseLost) and self.applies_before_failing:
                self.applied += 1
            raise failure
        self.applied += 1
        return 42

    async def reconcile(self, _claim: Claim) -> int | None:
        self.lookups += 1
        return 42 if self.applied else None


@pytest.fixture
async def engine() -> AsyncIterator[tuple[RequestEngine, InMemoryIdempotencyStore]]:
    store = InMemoryIdempotencyStore()
    async with httpx.AsyncClient() as http:
        yield (
            RequestEngine(
                http,
                _NoLimit(),
                store,
                credentials=[SitooCredential(api_id="a", api_password=SecretStr("p"))],
                call_deadline_s=10.0,
            ),
            store,
        )


async def _run(engine: RequestEngine, script: Script, key: str = "k") -> int:
    return await engine.exactly_once(
        key,
        write=script.write,
        reconcile=script.reconcile,
        encode=lambda i: i,
        decode=int,  # type: ignore[arg-type]
    )


async def test_lost_answer_is_reconciled_not_rewritten(engine) -> None:
    """A write applied but unanswered is found by reconciliation and never sent again."""
    runner, store = engine
    script = Script(ResponseLost("lost"))
    assert await _run(runner, script) == 42
    assert (script.writes, script.applied, script.lookups) == (1, 1, 1)
    assert (await store.claim("k")).status is ClaimStatus.DONE


async def test_unknown_outcome_proven_absent_is_written_again(engine) -> None:
    """When the look-up shows nothing was applied, the write is repeated once."""
    runner, _ = engine
    script = Script(ResponseLost("lost"), applies_before_failing=False)
    assert await _run(runner, script) == 42
    assert (script.writes, script.applied, script.lookups) == (2, 1, 1)


async def test_not_applied_errors_are_retried_without_lookups(engine) -> None:
    """429s are retried straight away; nothing needs reconciling."""
    runner, _ = engine
    script = Script(RateLimited("busy"), RateLimited("busy"))
    assert await _run(runner, script) == 42
    assert (script.writes, script.lookups) == (3, 0)


async def test_takeover_reconciles_before_the_first_write(engine) -> None:
    """A claim taken over from a dead holder looks first and finds the earlier write."""
    runner, store = engine
    first = Script()
    await store.claim("k")  # the holder that will die after writing
    first.applied = 1
    store.crash("k")
    assert await _run(runner, first) == 42
    assert (first.writes, first.lookups) == (0, 1)


async def test_duplicate_after_completion_calls_nothing(engine) -> None:
    """A recorded result comes back without writes or look-ups."""
    runner, _ = engine
    script = Script()
    await _run(runner, script)
    again = Script()
    assert await _run(runner, again) == 42
    assert (again.writes, again.lookups) == (0, 0)


async def test_permanent_error_releases_cleanly(engine) -> None:
    """A refused write leaves nothing to reconcile: the next claim is a fresh acquire."""
    runner, store = engine
    with pytest.raises(BadRequest):
        await _run(runner, Script(BadRequest("no", errortext="Invalid value")))
    assert (await store.claim("k")).status is ClaimStatus.ACQUIRED


async def test_rejected_batch_element_leaves_the_outcome_unknown(engine) -> None:
    """Other elements of a refused batch may be applied, so the next claim reconciles."""
    runner, store = engine
    rejected = BatchItemRejected("x", index=1, status=400, errortext="Invalid value")
    with pytest.raises(BatchItemRejected):
        await _run(runner, Script(rejected))
    assert (await store.claim("k")).status is ClaimStatus.TAKEOVER


async def test_exhausted_retries_with_a_write_unresolved_raise_reconcile(engine) -> None:
    """If every answer is lost, the error says RECONCILE and the next claim is a takeover."""
    runner, store = engine
    script = Script(*[ResponseLost("lost")] * 20, applies_before_failing=False)
    script.reconcile = _failing_lookup  # type: ignore[method-assign]
    with pytest.raises(ReconciliationFailed):
        await _run(runner, script)
    assert (await store.claim("k")).status is ClaimStatus.TAKEOVER


async def _failing_lookup(_claim: Claim) -> int | None:
    raise RateLimited("still busy")


async def test_look_first_finds_a_write_whose_claim_was_lost(engine) -> None:
    """A fresh claim under LOOK_FIRST looks up first: the write an earlier run made is found."""
    runner, _ = engine
    script = Script()
    script.applied = 1  # made by a run whose claim a failover lost
    with caution(Caution.LOOK_FIRST):
        assert await _run(runner, script) == 42
    assert (script.writes, script.lookups) == (0, 1)


async def test_look_first_writes_once_when_nothing_is_found(engine) -> None:
    """Nothing found: the write is made, once, after the look-up."""
    runner, _ = engine
    script = Script()
    with caution(Caution.LOOK_FIRST):
        assert await _run(runner, script) == 42
    assert (script.writes, script.lookups, script.applied) == (1, 1, 1)


async def test_look_only_records_what_it_finds_and_sends_nothing_else(engine) -> None:
    """LOOK_ONLY: a found write is the result; a missing one is withheld, never sent."""
    runner, store = engine
    found = Script()
    found.applied = 1
    missing = Script()
    with caution(Caution.LOOK_ONLY):
        assert await _run(runner, found, key="found") == 42
        with pytest.raises(WriteWithheld):
            await _run(runner, missing, key="missing")
    assert (found.writes, missing.writes, missing.lookups) == (0, 0, 1)
    assert (await store.claim("found")).status is ClaimStatus.DONE
    assert (await store.claim("missing")).status is ClaimStatus.ACQUIRED  # released, not lost


async def test_unacknowledged_claim_sends_nothing_and_releases(engine) -> None:
    """A claim too few replicas hold: ClaimNotReplicated, no look-up, no write, claim free."""
    runner, store = engine
    script = Script()
    original = store.claim

    async def unacknowledged(op_key: str) -> Claim:
        return dataclasses.replace(await original(op_key), acknowledged=False)

    store.claim = unacknowledged  # type: ignore[method-assign]
    with pytest.raises(ClaimNotReplicated):
        await _run(runner, script)
    store.claim = original  # type: ignore[method-assign]
    assert (script.writes, script.lookups) == (0, 0)
    assert await _run(runner, script) == 42
    assert script.writes == 1
