"""Sitoo's request budget shared by every replica: slots per API user, priority lanes.

Sitoo refuses a second concurrent request per API user with a 429, so each credential
has ``max_in_flight`` slots (a Redis sorted set of slot leases scored by expiry) and an
optional minimum spacing between request starts. Several credentials form a pool: a
caller takes a slot on whichever credential has one free.

Waiters queue in two lanes. Everyone in the INTERACTIVE lane (a customer waits at the
till) is ahead of everyone in the BULK lane; within a lane the order is first come,
first served. Credentials may be reserved for the INTERACTIVE lane, so that a till
never waits for a bulk request in flight. A waiter blocks on its own wake-up list
(BLPOP) and whoever frees a slot hands the slot straight to the head waiter: the grant
is recorded by the script and then pushed to the waiter's BLPOP, so nobody polls Redis in
a loop and the waiter needs no extra round trip. Blocking is capped (``max_block_s``) so a
slot whose holder died, and whose short lease ran out because nobody renewed it, is
noticed within that time (a lost wake-up too: the grant stays recorded). All
decisions are made by Lua scripts against Redis' clock, so replicas never disagree
about who is next.
"""

from __future__ import annotations

import asyncio
import enum
import secrets
from collections.abc import AsyncIterator, Sequence
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

from service.tasks import stop_tasks

if TYPE_CHECKING:
    import redis.asyncio as aioredis

    from service.settings import SitooSettings


WAKE_TTL_MS = 60_000  # a wake-up nobody took (its waiter gave up) goes after this


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value


class Lane(enum.Enum):
    """Priority of a Sitoo call."""

    INTERACTIVE = "interactive"  # someone is waiting for the answer right now
    BULK = "bulk"  # stock, polling, backfill: can wait


@dataclass(frozen=True, slots=True)
class Slot:
    """Permission to send one request with credential number ``credential``."""

    credential: int
    token: str
    lane: Lane
    grant_seq: int  # position of this grant in the global order of grants
    overtaken_by: int  # grants to other callers between this caller's arrival and its grant


class LimiterKeys(Protocol):
    """Names the limiter's Redis keys (the deployment's key module provides them)."""

    def limiter(self, name: str, *parts: str) -> str:
        """The limiter key ``name`` (``slots``, ``wake`` … with their parts)."""
        ...


class Limiter(Protocol):
    """What the client needs from a limiter."""

    def slot(self, lane: Lane) -> AbstractAsyncContextManager[Slot]:
        """Wait for a slot in ``lane`` and hold it for the duration of the block."""
        ...


# Key layout shared by both scripts. KEYS: 1 interactive lane, 2 bulk lane (waiter ->
# arrival number), 3 alive (waiter -> heartbeat expiry), 4 counters hash, 5 arrival hash
# (waiter -> grants counter at its arrival), 5+i slot set of credential i (token -> lease
# expiry), 5+n+i earliest next start of credential i (rate cap), 6+2n granted hash (waiter
# -> its grant, until it releases the slot).
# ARGV: 1 token, 2 lane flag ('i' | 'b' | '' on release), 3 waiter ttl ms, 4 slot lease ms,
# 5 max in flight, 6 min interval ms (0: no rate cap), 7 n credentials, 8 (unused),
# 9 shared credentials (the first ones; the rest serve the interactive lane only).
# A waiter's wake-up list is named by its token, so no script may write it (a cluster
# needs every key of a script declared): the scripts record grants in the granted hash
# and name the waiters to wake; the caller pushes the wake-ups right after.
_COMMON = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local n = tonumber(ARGV[7])
local max_in_flight = tonumber(ARGV[5])
local granted = KEYS[6 + 2 * n]
local woken = {}
for i = 1, n do
  for _, lapsed in ipairs(redis.call('ZRANGEBYSCORE', KEYS[5 + i], '-inf', now)) do
    redis.call('HDEL', granted, lapsed)
  end
  redis.call('ZREMRANGEBYSCORE', KEYS[5 + i], '-inf', now)
end
for _, w in ipairs(redis.call('ZRANGEBYSCORE', KEYS[3], '-inf', now)) do
  redis.call('ZREM', KEYS[1], w)
  redis.call('ZREM', KEYS[2], w)
  redis.call('ZREM', KEYS[3], w)
  redis.call('HDEL', KEYS[5], w)
end

local shared = tonumber(ARGV[9])
-- Interactive callers try the reserved credentials first, keeping the shared ones free
-- for bulk work; bulk callers never get a reserved one.
local interactive_order, bulk_order = {}, {}
for i = shared + 1, n do interactive_order[#interactive_order + 1] = i end
for i = 1, shared do
  interactive_order[#interactive_order + 1] = i
  bulk_order[i] = i
end

local function pick_credential(interactive)
  local best, best_free, hint = 0, 0, 1000000
  local order = bulk_order
  if interactive then order = interactive_order end
  for _, i in ipairs(order) do
    local free = max_in_flight - redis.call('ZCARD', KEYS[5 + i])
    if free > 0 then
      local next_start = tonumber(redis.call('GET', KEYS[5 + n + i]) or '0')
      if next_start <= now then
        if free > best_free then best, best_free = i, free end
      elseif next_start - now < hint then
        hint = next_start - now
      end
    else
      local first = redis.call('ZRANGE', KEYS[5 + i], 0, 0, 'WITHSCORES')
      if first[2] and tonumber(first[2]) - now < hint then hint = tonumber(first[2]) - now end
    end
  end
  return best, hint
end

-- The first waiter and its lane (1 interactive, 2 bulk: the index of the lane's key).
local function head()
  for lane = 1, 2 do
    local first = redis.call('ZRANGE', KEYS[lane], 0, 0)
    if first[1] then return first[1], lane end
  end
  return nil, nil
end

-- Grant free slots to the waiters at the head of the lanes, interactive first. A waiter
-- that is not the caller gets its grant with its wake-up, so it needs no round trip.
local function hand_off(caller)
  local mine, hint = nil, 1000000
  while true do
    local waiter, lane = head()
    if not waiter then break end
    local i, h = pick_credential(lane == 1)
    hint = h
    if i == 0 then break end
    redis.call('ZADD', KEYS[5 + i], now + tonumber(ARGV[4]), waiter)
    if tonumber(ARGV[6]) > 0 then
      redis.call('SET', KEYS[5 + n + i], tostring(now + tonumber(ARGV[6])), 'PX', 60000)
    end
    local grant = redis.call('HINCRBY', KEYS[4], 'grants', 1)
    local arrived = tonumber(redis.call('HGET', KEYS[5], waiter) or (grant - 1))
    redis.call('ZREM', KEYS[lane], waiter)
    redis.call('ZREM', KEYS[3], waiter)
    redis.call('HDEL', KEYS[5], waiter)
    local answer = i .. ':' .. grant .. ':' .. (grant - arrived - 1)
    if waiter == caller then
      mine = answer
    else
      redis.call('HSET', granted, waiter, answer)
      woken[#woken + 1] = waiter
      woken[#woken + 1] = answer
    end
  end
  return mine, hint
end
"""

_ACQUIRE = (
    _COMMON
    + """
local waiter = ARGV[1]
local handed = redis.call('HGET', granted, waiter)
if handed then return {'granted', handed} end
local mine = KEYS[2]
if ARGV[2] == 'i' then mine = KEYS[1] end
if not redis.call('ZSCORE', mine, waiter) then
  local seq = redis.call('HINCRBY', KEYS[4], 'arrivals', 1)
  redis.call('ZADD', mine, seq, waiter)
  redis.call('HSET', KEYS[5], waiter, redis.call('HGET', KEYS[4], 'grants') or '0')
end
redis.call('ZADD', KEYS[3], now + tonumber(ARGV[3]), waiter)
local mine, hint = hand_off(waiter)
if mine then return {'granted', mine, unpack(woken)} end
return {'wait', tostring(hint), unpack(woken)}
"""
)

_RELEASE = (
    _COMMON
    + """
local token = ARGV[1]
for i = 1, n do redis.call('ZREM', KEYS[5 + i], token) end
redis.call('ZREM', KEYS[1], token)
redis.call('ZREM', KEYS[2], token)
redis.call('ZREM', KEYS[3], token)
redis.call('HDEL', KEYS[5], token)
redis.call('HDEL', granted, token)
hand_off(nil)
return woken
"""
)

# KEYS: slot sets of every credential. ARGV: token, slot lease ms.
_RENEW = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
for _, key in ipairs(KEYS) do
  if redis.call('ZSCORE', key, ARGV[1]) then
    redis.call('ZADD', key, 'XX', now + tonumber(ARGV[2]), ARGV[1])
    return 1
  end
end
return 0
"""


class RedisLimiter:
    """The Redis-backed :class:`Limiter` shared by all replicas."""

    def __init__(
        self,
        redis: aioredis.Redis,
        *,
        keys: LimiterKeys,
        credentials: Sequence[str],
        max_in_flight: int = 1,
        max_requests_per_s: float | None = None,
        slot_lease_s: float = 5.0,
        max_block_s: float = 0.25,
        waiter_ttl_s: float = 5.0,
        interactive_only: int = 0,
    ) -> None:
        """``interactive_only``: how many of the last ``credentials`` only INTERACTIVE gets."""
        if not credentials:
            raise ValueError("the limiter needs at least one credential")
        if not 0 <= interactive_only < len(credentials):
            raise ValueError("the limiter needs at least one credential that bulk work may use")
        self._redis = redis
        self._slot_keys = [keys.limiter("slots", name) for name in credentials]
        self._keys = [
            keys.limiter("wait_interactive"),
            keys.limiter("wait_bulk"),
            keys.limiter("alive"),
            keys.limiter("counters"),
            keys.limiter("arrivals"),
            *self._slot_keys,
            *(keys.limiter("next", name) for name in credentials),
            keys.limiter("granted"),
        ]
        self._names = keys
        self._credentials = list(credentials)
        self._max_in_flight = max_in_flight
        self._shared = len(credentials) - interactive_only
        self._interval_ms = 0 if max_requests_per_s is None else int(1000 / max_requests_per_s)
        self._lease_ms = int(slot_lease_s * 1000)
        self._renew_every_s = slot_lease_s / 3
        self._max_block_s = max_block_s
        self._waiter_ttl_ms = int(waiter_ttl_s * 1000)
        self._acquire = redis.register_script(_ACQUIRE)
        self._release = redis.register_script(_RELEASE)
        self._renew = redis.register_script(_RENEW)

    @classmethod
    def from_settings(
        cls, redis: aioredis.Redis, settings: SitooSettings, *, keys: LimiterKeys
    ) -> RedisLimiter:
        """The limiter for the configured credential pool."""
        return cls(
            redis,
            keys=keys,
            credentials=[credential.api_id for credential in settings.credentials()],
            max_in_flight=settings.max_in_flight,
            max_requests_per_s=settings.max_requests_per_s,
            interactive_only=len(settings.interactive_credentials),
        )

    @property
    def credentials(self) -> list[str]:
        """Names (API ids) of the credentials in the pool, in slot-index order."""
        return list(self._credentials)

    def _args(self, token: str, lane_flag: str) -> list[str | int]:
        return [
            token,
            lane_flag,
            self._waiter_ttl_ms,
            self._lease_ms,
            self._max_in_flight,
            self._interval_ms,
            len(self._credentials),
            "",
            self._shared,
        ]

    def _slot(self, token: str, lane: Lane, answer: bytes | str) -> Slot:
        text = answer.decode() if isinstance(answer, bytes) else answer
        credential, grant, overtaken = (int(part) for part in text.split(":"))
        return Slot(credential - 1, token, lane, grant_seq=grant, overtaken_by=overtaken)

    async def acquire(self, lane: Lane) -> Slot:
        """Wait until this caller is first in line and a credential has a free slot.

        Hold the slot with :meth:`slot` (which renews its lease) rather than calling this
        directly, or the slot lapses after ``slot_lease_s``.
        """
        token = secrets.token_hex(12)
        args = self._args(token, "i" if lane is Lane.INTERACTIVE else "b")
        try:
            while True:
                status, value, *woken = await self._acquire(self._keys, args)
                await self._wake(woken)
                if status in (b"granted", "granted"):
                    return self._slot(token, lane, value)
                # Woken by whoever frees a slot for us (the grant comes with the wake-up);
                # the cap bounds the cost of a lost wake-up or a lapsed lease: the grant
                # is recorded, and the next acquire finds it.
                block_s = min(self._max_block_s, max(int(value), 1) / 1000)
                wake_key = self._names.limiter("wake", token)
                answer = await self._redis.blpop([wake_key], timeout=block_s)
                if answer is not None:
                    return self._slot(token, lane, answer[1])
        except BaseException:
            # Leave the queue (and give back a slot whose grant we never saw) on the way out.
            await asyncio.shield(self._forget(token))
            raise

    async def release(self, slot: Slot) -> None:
        """Give the slot back; the next waiter gets it handed over directly."""
        await self._forget(slot.token)

    async def _forget(self, token: str) -> None:
        woken = await self._release(self._keys, self._args(token, ""))
        # A wake-up pushed after its waiter took the grant another way lapses on its own.
        await self._wake(woken)

    async def _wake(self, woken: Sequence[bytes | str]) -> None:
        """Push each grant (pairs of waiter, grant) to its waiter's wake-up list."""
        if not woken:
            return
        async with self._redis.pipeline(transaction=False) as pipe:
            for i in range(0, len(woken), 2):
                key = self._names.limiter("wake", _text(woken[i]))
                pipe.rpush(key, woken[i + 1])
                pipe.pexpire(key, WAKE_TTL_MS)
            await pipe.execute()

    async def _keep_alive(self, slot: Slot) -> None:
        while True:
            await asyncio.sleep(self._renew_every_s)
            await self._renew(self._slot_keys, [slot.token, self._lease_ms])

    @asynccontextmanager
    async def _held(self, lane: Lane) -> AsyncIterator[Slot]:
        slot = await self.acquire(lane)
        # A long call keeps its slot; a holder that dies stops renewing and its lease lapses.
        renewal = asyncio.create_task(self._keep_alive(slot))
        try:
            yield slot
        finally:
            try:
                # A lost cancel (service.tasks) would leave the renewal running for ever.
                await stop_tasks([renewal])
            finally:
                await asyncio.shield(self.release(slot))

    def slot(self, lane: Lane) -> AbstractAsyncContextManager[Slot]:
        """``async with limiter.slot(Lane.BULK) as slot:`` holds one request slot."""
        return self._held(lane)

    async def in_flight(self) -> list[int]:
        """Slots currently leased per credential (expired leases included until purged)."""
        return [int(await self._redis.zcard(key)) for key in self._slot_keys]
