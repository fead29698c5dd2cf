"""Exactly-once bookkeeping for Sitoo writes: claim an operation, then record its result.

Each operation key (``"{event_id}:{step}"``) has one Redis hash. A claim takes the
service's one lease on it (:mod:`service.records.lease`); only the holder of that token can
record the result or release the claim (Lua scripts). A finished operation keeps its
result for the retention period, so a duplicate delivery gets it without calling Sitoo.
A claim taken over from a holder that died, or that gave up with the write's outcome
unknown, is reported as a *takeover*: the new holder must look the write up first.

Batched writes claim many keys in one script call (:meth:`RedisIdempotencyStore.claim_many`):
a key held by another claimant is reported as ``IN_FLIGHT`` at once instead of waited for.

With ``replicas`` set, a claim also waits (Redis ``WAIT``, on the connection that made
it) until that many replicas hold it; with ``fsync``, until the primary's append-only file
and that many replicas' have it on disk (``WAITAOF``, Redis 7.2 and later). A claim not
acknowledged in time comes back with ``acknowledged`` False: a failover (or a crash, with
``fsync``) could lose it, and the write it guards must not be sent (the caller releases
it and tries later).
"""

from __future__ import annotations

import asyncio
import json
import secrets
from collections.abc import Sequence
from typing import TYPE_CHECKING, TypeVar

from service.records.connection import master_of
from service.records.lease import LEASE_LUA
from service.sitoo.claims import Claim, ClaimStatus, IdempotencyStore
from service.sitoo.errors import OperationInFlight

if TYPE_CHECKING:
    import redis.asyncio as aioredis
    from pydantic import JsonValue
    from redis.asyncio.cluster import ClusterNode

    from service.records.keys import DeploymentKeys
    from service.settings import IdempotencySettings

# The port is the client's; it is named here too for the callers that build the store.
__all__ = ["Claim", "ClaimStatus", "IdempotencyStore", "RedisIdempotencyStore"]
T = TypeVar("T")
# Keys per script call: a script blocks Redis while it runs, so a huge batch goes in runs.
KEYS_PER_CALL = 1000


# Each script works on any number of keys in one call and answers with one string, so a
# batch costs one command and one reply to parse, not thousands (packing and parsing
# those costs more in Python than the work costs in Redis).

# KEYS: records. ARGV: token, lease ms, retention ms.
# A JSON array with four strings per key: status, payload (the result, or ms until the
# lease runs out), first claim ms, attempt.
_CLAIM = (
    LEASE_LUA
    + """
local replies = {}
local n = 0
local function answer(status, payload, first, attempt)
  replies[n + 1], replies[n + 2], replies[n + 3], replies[n + 4] = status, payload, first, attempt
  n = n + 4
end
for _, key in ipairs(KEYS) do
  local r = redis.call('HMGET', key, 'result', 'first', 'attempts', 'unknown')
  local result, first = r[1], r[2]
  local holder, expires = lease_state(key)
  if result then
    answer('done', result, first or '0', r[3] or '0')
  elseif holder and expires > now then
    answer('busy', tostring(expires - now), first or '0', '0')
  else
    -- A token left on a lease that ran out: its holder died or gave up mid-write.
    local status = 'acquired'
    if holder or r[4] then
      status = 'takeover'
      redis.call('HSET', key, 'unknown', '1')
    end
    if not first then
      first = tostring(now)
      redis.call('HSET', key, 'first', first)
    end
    local attempt = redis.call('HINCRBY', key, 'attempts', 1)
    lease_take(key, ARGV[1], tonumber(ARGV[2]))
    redis.call('PEXPIRE', key, ARGV[3])
    answer(status, '', first, tostring(attempt))
  end
end
return cjson.encode(replies)
"""
)

# KEYS: records. ARGV: retention ms, a JSON array of each key's claim token and result.
# Per key one character: 1 when recorded, 0 when the lease was lost.
_COMPLETE = (
    LEASE_LUA
    + """
local args = cjson.decode(ARGV[2])
local done = {}
for i, key in ipairs(KEYS) do
  if lease_drop(key, args[2 * i - 1]) then
    redis.call('HDEL', key, 'unknown')
    redis.call('HSET', key, 'result', args[2 * i])
    redis.call('PEXPIRE', key, ARGV[1])
    done[i] = '1'
  else
    done[i] = '0'
  end
end
return table.concat(done)
"""
)

# KEYS: records. ARGV: '1' when the outcome is unknown, a JSON array of each key's token.
# Per key one character: 1 when released, 0 when the lease was lost.
_RELEASE = (
    LEASE_LUA
    + """
local tokens = cjson.decode(ARGV[2])
local released = {}
for i, key in ipairs(KEYS) do
  if lease_drop(key, tokens[i]) then
    if ARGV[1] == '1' then redis.call('HSET', key, 'unknown', '1') end
    released[i] = '1'
  else
    released[i] = '0'
  end
end
return table.concat(released)
"""
)


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value


def _chunks(items: Sequence[T]) -> list[Sequence[T]]:
    """``items`` in runs of at most ``KEYS_PER_CALL``."""
    return [items[i : i + KEYS_PER_CALL] for i in range(0, len(items), KEYS_PER_CALL)]


def _answer(op_key: str, token: str, reply: tuple[str, ...], *, acknowledged: bool) -> Claim:
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
        op_key,
        ClaimStatus(status),
        token=token,
        first_claimed_at=first_s,
        attempt=int(attempt),
        acknowledged=acknowledged,
    )


class RedisIdempotencyStore:
    """The :class:`IdempotencyStore` on Redis, shared by every replica."""

    def __init__(
        self,
        redis: aioredis.Redis,
        *,
        keys: DeploymentKeys,
        retention_s: float,
        lease_s: float,
        max_wait_s: float = 5.0,
        replicas: int = 0,
        replica_timeout_s: float = 1.0,
        fsync: bool = False,
    ) -> None:
        self._redis = redis
        self._keys = keys
        self._replicas = replicas
        self._fsync = fsync
        self._replica_timeout_ms = max(1, int(replica_timeout_s * 1000))
        self._retention_ms = int(retention_s * 1000)
        self._lease_ms = int(lease_s * 1000)
        self.lease_s = lease_s
        self._max_wait_s = max_wait_s
        self._claim = redis.register_script(_CLAIM)
        self._complete = redis.register_script(_COMPLETE)
        self._release = redis.register_script(_RELEASE)

    @classmethod
    def from_settings(
        cls,
        redis: aioredis.Redis,
        settings: IdempotencySettings,
        *,
        keys: DeploymentKeys,
        replicas: int = 0,
        replica_timeout_s: float = 1.0,
        fsync: bool = False,
    ) -> RedisIdempotencyStore:
        """The store as configured: retention in days, lease in seconds, what claims wait for."""
        return cls(
            redis,
            keys=keys,
            retention_s=settings.retention_days * 86_400,
            lease_s=settings.lease_s,
            replicas=replicas,
            replica_timeout_s=replica_timeout_s,
            fsync=fsync,
        )

    def redis_key(self, op_key: str) -> str:
        """The Redis key that holds ``op_key``'s record."""
        return self._keys.operation(op_key)

    async def claim(self, op_key: str) -> Claim:
        """Lease ``op_key``, waiting (bounded, with backoff) while another holder works on it."""
        token = secrets.token_hex(16)
        loop = asyncio.get_running_loop()
        give_up_at = loop.time() + self._max_wait_s
        pause = 0.01
        while True:
            [reply], acknowledged = await self._claim_chunk([op_key], token)
            status, payload, _, _ = reply
            if status != "busy":
                return _answer(op_key, token, reply, acknowledged=acknowledged)
            remaining = give_up_at - loop.time()
            if remaining <= 0:
                raise OperationInFlight(f"operation {op_key!r} is being processed elsewhere")
            held_for_s = int(payload) / 1000
            await asyncio.sleep(min(pause, remaining, held_for_s))
            pause = min(pause * 2, 0.5)

    async def claim_many(self, op_keys: Sequence[str]) -> list[Claim]:
        """Claim every key in one script call per chunk; held keys come back ``IN_FLIGHT``."""
        token = secrets.token_hex(16)
        claims: list[Claim] = []
        for chunk in _chunks(op_keys):
            replies, acknowledged = await self._claim_chunk(chunk, token)
            for op_key, reply in zip(chunk, replies, strict=True):
                if reply[0] == "busy":
                    claims.append(Claim(op_key, ClaimStatus.IN_FLIGHT))
                else:
                    claims.append(_answer(op_key, token, reply, acknowledged=acknowledged))
        return claims

    async def complete_many(self, done: Sequence[tuple[Claim, JsonValue]]) -> list[bool]:
        """Record every result in one script call per chunk."""
        recorded: list[bool] = []
        for chunk in _chunks(done):
            pairs: list[str] = []
            for claim, result in chunk:
                pairs += (claim.token, json.dumps(result))
            reply = await self._complete(
                keys=[self.redis_key(claim.key) for claim, _ in chunk],
                args=[self._retention_ms, json.dumps(pairs)],
            )
            recorded += (flag == "1" for flag in _text(reply))
        return recorded

    async def release_many(self, claims: Sequence[Claim], *, outcome_unknown: bool) -> None:
        """Drop every lease in one script call per chunk."""
        await self._release_all(claims, outcome_unknown=outcome_unknown)

    async def complete(self, claim: Claim, result: JsonValue) -> bool:
        """Record ``result`` (JSON) if this claim still holds the lease."""
        [done] = await self.complete_many([(claim, result)])
        return done

    async def release(self, claim: Claim, *, outcome_unknown: bool) -> bool:
        """Drop the lease so another attempt can start right away."""
        [released] = await self._release_all([claim], outcome_unknown=outcome_unknown)
        return released

    async def _claim_chunk(
        self, op_keys: Sequence[str], token: str
    ) -> tuple[list[tuple[str, str, str, str]], bool]:
        """The claim script's reply (status, payload, first, attempt) per key, and whether
        enough replicas acknowledged the claims."""
        keys = [self.redis_key(op_key) for op_key in op_keys]
        args: list[str | int] = [token, self._lease_ms, self._retention_ms]
        acknowledged = True
        if self._replicas or self._fsync:
            # WAIT and WAITAOF count the writes of their own connection: the claim and the
            # wait go down one connection, in one round trip (on a cluster, the connection
            # to the master of the deployment's slot).
            master = await master_of(self._redis, keys[0])
            routing = {} if master is None else {"target_nodes": master}
            async with self._redis.pipeline(transaction=False) as pipe:
                pipe.eval(_CLAIM, len(keys), *keys, *args)
                if self._fsync:
                    pipe.execute_command(
                        "WAITAOF", 1, self._replicas, self._replica_timeout_ms, **routing
                    )
                else:
                    pipe.execute_command(
                        "WAIT", self._replicas, self._replica_timeout_ms, **routing
                    )
                reply, acked = await pipe.execute()
            if self._fsync:
                local, remote = (int(n) for n in acked)
                acknowledged = local >= 1 and remote >= self._replicas
            else:
                acknowledged = int(acked) >= self._replicas
            if master is not None and not await self._still_served_by(master, keys[0]):
                # The slot moved while the claim was made (a failover): the claim was
                # redirected to the new master after the wait had counted on the old
                # one, so the count proves nothing. Treated as unacknowledged: the caller
                # releases the claim and tries again later, no write is sent now.
                acknowledged = False
        else:
            reply = await self._claim(keys=keys, args=args)
        flat: list[str] = json.loads(reply)
        replies = [(flat[i], flat[i + 1], flat[i + 2], flat[i + 3]) for i in range(0, len(flat), 4)]
        return replies, acknowledged

    async def _still_served_by(self, master: ClusterNode, key: str) -> bool:
        now = await master_of(self._redis, key)
        return now is not None and now.name == master.name

    async def _release_all(self, claims: Sequence[Claim], *, outcome_unknown: bool) -> list[bool]:
        released: list[bool] = []
        for chunk in _chunks(claims):
            reply = await self._release(
                keys=[self.redis_key(claim.key) for claim in chunk],
                args=["1" if outcome_unknown else "0", json.dumps([c.token for c in chunk])],
            )
            released += (flag == "1" for flag in _text(reply))
        return released
