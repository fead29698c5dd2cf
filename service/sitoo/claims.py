"""The claims port of the Sitoo client: what an exactly-once write asks of its record store.

The client owns this port; the store that implements it on Redis lives outside the client
(:mod:`service.records.operations`), so the client never depends on how claims are kept.
"""

from __future__ import annotations

import enum
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from pydantic import JsonValue


class ClaimStatus(enum.Enum):
    """What the caller of :meth:`IdempotencyStore.claim` must do."""

    ACQUIRED = "acquired"  # first attempt: do the work, then complete()
    TAKEOVER = "takeover"  # an earlier attempt may have written: reconcile, then complete()
    DONE = "done"  # finished before: use Claim.result and call nothing
    IN_FLIGHT = "in_flight"  # held by another claimant right now (claim_many only): do nothing


@dataclass(frozen=True, slots=True)
class Claim:
    """The answer to a claim: a lease to act on, or the recorded result."""

    key: str
    status: ClaimStatus
    token: str = ""
    result: JsonValue = None
    first_claimed_at: float = 0.0  # Unix seconds of the operation's first claim
    attempt: int = 0  # how many times the operation has been claimed, this one included
    acknowledged: bool = True  # False: too few replicas hold the claim to write under it


class IdempotencyStore(Protocol):
    """Where write operations are claimed and their results remembered."""

    lease_s: float  # how long a claim is held; must outlast one whole client call

    async def claim(self, op_key: str) -> Claim:
        """Lease ``op_key``, or return its result; raises OperationInFlight if held too long."""
        ...

    async def complete(self, claim: Claim, result: JsonValue) -> bool:
        """Record the result; False when the lease was lost to another claimant."""
        ...

    async def release(self, claim: Claim, *, outcome_unknown: bool) -> bool:
        """Give the lease back; with ``outcome_unknown`` the next claim is a takeover."""
        ...

    async def claim_many(self, op_keys: Sequence[str]) -> list[Claim]:
        """Claim every key at once, without waiting: a held key is ``IN_FLIGHT``."""
        ...

    async def complete_many(self, done: Sequence[tuple[Claim, JsonValue]]) -> list[bool]:
        """Record each claim's result; per claim, False when its lease was lost."""
        ...

    async def release_many(self, claims: Sequence[Claim], *, outcome_unknown: bool) -> None:
        """Give every lease back (see :meth:`release`)."""
        ...
