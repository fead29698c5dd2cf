"""Exactly-once bookkeeping for Sitoo writes: claim an operation, then record its result.

Each operation key (``"{event_id}:{step}"``) has one Redis hash. A claim takes a lease
(token + expiry, checked against Redis' own clock); only the holder of that token can
record the result or release the claim (Lua scripts). A finished operation keeps its
result for the retention period, so a duplicate delivery gets it without calling Sitoo.
A claim taken over from a holder that died, or that gave up with the write's outcome
unknown, is reported as a *takeover*: the new holder must look the write up first.

Batched writes claim many keys in one round trip (:meth:`RedisIdempotencyStore.claim_many`):
a key held by another claimant is reported as ``IN_FLIGHT`` at once instead of waited for.
"""

from __future__ import annotations

import asyncio
import enum
import json
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

from pydantic import JsonValue

if TYPE_CHECKING:
    import redis.asyncio as aioredis

    from service.settings import IdempotencySettings


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


_CLAIM = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local result = redis.call('HGET', KEYS[1], 'result')
local first = redis.call('HGET', KEYS[1], 'first')
if result then
  return {'done', result, first or '0', redis.call('HGET', KEYS[1], 'attempts') or '0'}
end
local holder = redis.call('HGET', KEYS[1], 'token')
local expires = tonumber(redis.call('HGET', KEYS[1], 'expires') or '0')
if holder and expires > now then
  return {'busy', tostring(expires - now), first or '0', '0'}
end
local status = 'acquired'
if holder or redis.call('HGET', KEYS[1], 'unknown') then
  status = 'takeover'
  redis.call('HSET', KEYS[1], 'unknown', '1')
end
if not first then
  first = tostring(now)
  redis.call('HSET', KEYS[1], 'first', first)
end
local attempt = redis.call('HINCRBY', KEYS[1], 'attempts', 1)
redis.call('HSET', KEYS[1], 'token', ARGV[1], 'expires', tostring(now + tonumber(ARGV[2])))
redis.call('PEXPIRE', KEYS[1], ARGV[3])
return {status, '', first, tostring(attempt)}
"""

_COMPLETE = """
if redis.call('HGET', KEYS[1], 'token') ~= ARGV[1] then return 0 end
redis.call('HDEL', KEYS[1], 'token', 'expires', 'unknown')
redis.call('HSET', KEYS[1], 'result', ARGV[2])
redis.call('PEXPIRE', KEYS[1], ARGV[3])
return 1
"""

_RELEASE = """
if redis.call('HGET', KEYS[1], 'token') ~= ARGV[1] then return 0 end
redis.call('HDEL', KEYS[1], 'token', 'expires')
if ARGV[2] == '1' then redis.call('HSET', KEYS[1], 'unknown', '1') end
return 1
"""


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value


def _answer(op_key: str, token: str, reply: tuple[str, ...]) -> Claim:
    """The Claim for one reply (status, payload, first, attempt) of the claim script."""
    status, payload, first, attempt = reply
    first_s = int(first) / 1000
    if status == "done":
        return Claim(
            op_key,
            ClaimStatus.DONE,
            result=json.loads(payload),
            first_claimed_at=first_s,
            attempt=int(attempt),
        )
    return Claim(
        op_key, ClaimStatus(status), token=token, first_claimed_at=first_s, attempt=int(attempt)
    )


class RedisIdempotencyStore:
    """The :class:`IdempotencyStore` on Redis, shared by every replica."""

    def __init__(
        self,
        redis: aioredis.Redis,
        *,
        key_prefix: str,
        retention_s: float,
        lease_s: float,
        max_wait_s: float = 5.0,
    ) -> None:
        self._redis = redis
        self._prefix = f"{key_prefix}:idem:"
        self._retention_ms = int(retention_s * 1000)
        self._lease_ms = int(lease_s * 1000)
        self.lease_s = lease_s
        self._max_wait_s = max_wait_s
        self._claim = redis.register_script(_CLAIM)
        self._complete = redis.register_script(_COMPLETE)
        self._release = redis.register_script(_RELEASE)

    @classmethod
    def from_settings(
        cls, redis: aioredis.Redis, settings: IdempotencySettings, *, key_prefix: str
    ) -> RedisIdempotencyStore:
        """The store as configured: retention in days, lease in seconds."""
        return cls(
            redis,
            key_prefix=key_prefix,
            retention_s=settings.retention_days * 86_400,
            lease_s=settings.lease_s,
        )

    def redis_key(self, op_key: str) -> str:
        """The Redis key that holds ``op_key``'s record."""
        return self._prefix + op_key

    async def claim(self, op_key: str) -> Claim:
        """Lease ``op_key``, waiting (bounded, with backoff) while another holder works on it."""
        token = secrets.token_hex(16)
        loop = asyncio.get_running_loop()
        give_up_at = loop.time() + self._max_wait_s
        pause = 0.01
        while True:
            reply = await self._claim(
                keys=[self.redis_key(op_key)],
                args=[token, self._lease_ms, self._retention_ms],
            )
            status, payload, first, attempt = (_text(part) for part in reply)
            if status != "busy":
                break
            remaining = give_up_at - loop.time()
            if remaining <= 0:
                # Imported here: service.sitoo's package init imports this module.
                from service.sitoo.errors import OperationInFlight  # noqa: PLC0415

                raise OperationInFlight(f"operation {op_key!r} is being processed elsewhere")
            held_for_s = int(payload) / 1000
            await asyncio.sleep(min(pause, remaining, held_for_s))
            pause = min(pause * 2, 0.5)
        return _answer(op_key, token, (status, payload, first, attempt))

    async def claim_many(self, op_keys: Sequence[str]) -> list[Claim]:
        """Claim every key in one pipelined round trip; held keys come back ``IN_FLIGHT``."""
        if not op_keys:
            return []
        token = secrets.token_hex(16)
        async with self._redis.pipeline(transaction=False) as pipe:
            for op_key in op_keys:
                await self._claim(
                    keys=[self.redis_key(op_key)],
                    args=[token, self._lease_ms, self._retention_ms],
                    client=pipe,
                )
            replies = await pipe.execute()
        claims: list[Claim] = []
        for op_key, reply in zip(op_keys, replies, strict=True):
            parts = tuple(_text(part) for part in reply)
            if parts[0] == "busy":
                claims.append(Claim(op_key, ClaimStatus.IN_FLIGHT))
            else:
                claims.append(_answer(op_key, token, parts))
        return claims

    async def complete_many(self, done: Sequence[tuple[Claim, JsonValue]]) -> list[bool]:
        """Record every result in one pipelined round trip."""
        if not done:
            return []
        async with self._redis.pipeline(transaction=False) as pipe:
            for claim, result in done:
                await self._complete(
                    keys=[self.redis_key(claim.key)],
                    args=[claim.token, json.dumps(result), self._retention_ms],
                    client=pipe,
                )
            replies = await pipe.execute()
        return [bool(reply) for reply in replies]

    async def release_many(self, claims: Sequence[Claim], *, outcome_unknown: bool) -> None:
        """Drop every lease in one pipelined round trip."""
        if not claims:
            return
        async with self._redis.pipeline(transaction=False) as pipe:
            for claim in claims:
                await self._release(
                    keys=[self.redis_key(claim.key)],
                    args=[claim.token, "1" if outcome_unknown else "0"],
                    client=pipe,
                )
            await pipe.execute()

    async def complete(self, claim: Claim, result: JsonValue) -> bool:
        """Record ``result`` (JSON) if this claim still holds the lease."""
        done = await self._complete(
            keys=[self.redis_key(claim.key)],
            args=[claim.token, json.dumps(result), self._retention_ms],
        )
        return bool(done)

    async def release(self, claim: Claim, *, outcome_unknown: bool) -> bool:
        """Drop the lease so another attempt can start right away."""
        released = await self._release(
            keys=[self.redis_key(claim.key)], args=[claim.token, "1" if outcome_unknown else "0"]
        )
        return bool(released)
