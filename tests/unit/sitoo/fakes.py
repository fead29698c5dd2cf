"""An in-memory IdempotencyStore with the Redis store's semantics, for unit tests of use cases."""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass, field

from pydantic import JsonValue

from service.records.operations import Claim, ClaimStatus
from service.sitoo.errors import OperationInFlight


@dataclass
class _Record:
    token: str | None = None
    unknown: bool = False
    result: JsonValue = None
    done: bool = False
    attempts: int = 0


@dataclass
class InMemoryIdempotencyStore:
    """Same outcomes as RedisIdempotencyStore, minus time: a held lease is simply busy."""

    lease_s: float = 120.0
    records: dict[str, _Record] = field(default_factory=dict)
    _tokens: itertools.count[int] = field(default_factory=itertools.count)

    async def claim(self, op_key: str) -> Claim:
        """DONE with the result, busy (OperationInFlight), ACQUIRED or TAKEOVER."""
        record = self.records.setdefault(op_key, _Record())
        if record.done:
            return Claim(op_key, ClaimStatus.DONE, result=record.result, attempt=record.attempts)
        if record.token is not None:
            raise OperationInFlight(f"{op_key} is held")
        record.attempts += 1
        record.token = str(next(self._tokens))
        status = ClaimStatus.TAKEOVER if record.unknown else ClaimStatus.ACQUIRED
        return Claim(op_key, status, token=record.token, attempt=record.attempts)

    def crash(self, op_key: str) -> None:
        """The holder died and its lease ran out: the next claim is a takeover."""
        record = self.records[op_key]
        record.token = None
        record.unknown = True

    async def complete(self, claim: Claim, result: JsonValue) -> bool:
        """Record the result if the claim still holds the lease."""
        record = self.records[claim.key]
        if record.token != claim.token:
            return False
        record.token, record.unknown, record.done, record.result = None, False, True, result
        return True

    async def release(self, claim: Claim, *, outcome_unknown: bool) -> bool:
        """Drop the lease; remember an unknown outcome for the next claimant."""
        record = self.records[claim.key]
        if record.token != claim.token:
            return False
        record.token = None
        record.unknown = record.unknown or outcome_unknown
        return True

    async def claim_many(self, op_keys: Sequence[str]) -> list[Claim]:
        """Claim each key; a held one is IN_FLIGHT instead of an error."""
        claims: list[Claim] = []
        for op_key in op_keys:
            try:
                claims.append(await self.claim(op_key))
            except OperationInFlight:
                claims.append(Claim(op_key, ClaimStatus.IN_FLIGHT))
        return claims

    async def complete_many(self, done: Sequence[tuple[Claim, JsonValue]]) -> list[bool]:
        """Complete each claim."""
        return [await self.complete(claim, result) for claim, result in done]

    async def release_many(self, claims: Sequence[Claim], *, outcome_unknown: bool) -> None:
        """Release each claim."""
        for claim in claims:
            await self.release(claim, outcome_unknown=outcome_unknown)
