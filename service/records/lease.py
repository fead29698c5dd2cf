"""The one lease: a holder's token and expiry in a Redis hash, judged by Redis' own clock.

Every exclusive hold the service takes is this lease: an operation claim
(:mod:`service.records.operations`), an inbound event being worked on
(:mod:`service.brokers.redis.settlement`), a poller's leadership
(:mod:`service.pollers.lease`, with a fencing number), a stock level being written to a
webshop (:mod:`service.records.levels`), a one-time webshop write
(:mod:`service.records.steps`) and a mirrored gift card being adjusted in Shopify
(:mod:`service.adapters.shopify.giftcard_mirrors`). The lease lives in two fields,
``token`` and ``expires`` (Unix ms), of the record's own hash, next to whatever the
record keeps (a result, a digest), so taking a lease and reading the record are one
script. The scripts include :data:`LEASE_LUA` and decide with its functions; only the
holder's token renews or drops a lease, and a lease whose holder vanished runs out on
its own. A token left behind on a lease that ran out says the holder died or was cut off
(the claims call that a takeover).

:func:`keep_renewed` is the holder's side: renew every third of the lease while working.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable

import structlog

from service.records.connection import REDIS_FAILURES
from service.tasks import stop_task

log = structlog.get_logger(__name__)

# Lua functions for scripts that lease; a script starts with this text. ``now`` is
# Redis' clock in ms, read once per script call.
LEASE_LUA = """
local lease_time = redis.call('TIME')
local now = tonumber(lease_time[1]) * 1000 + math.floor(tonumber(lease_time[2]) / 1000)
-- The lease's token (false when never taken or dropped) and its expiry (ms).
local function lease_state(key)
  local r = redis.call('HMGET', key, 'token', 'expires')
  return r[1], tonumber(r[2] or '0')
end
-- The holder's token while the lease runs, else false.
local function lease_holder(key)
  local token, expires = lease_state(key)
  if token and expires > now then return token end
  return false
end
-- Take (or re-take) the lease for token, for ttl_ms.
local function lease_take(key, token, ttl_ms)
  redis.call('HSET', key, 'token', token, 'expires', tostring(now + ttl_ms))
end
-- Push the expiry out, if token holds the lease; true when it did.
local function lease_renew(key, token, ttl_ms)
  if redis.call('HGET', key, 'token') ~= token then return false end
  redis.call('HSET', key, 'expires', tostring(now + ttl_ms))
  return true
end
-- End the lease whoever holds it (the work it guarded is recorded as done).
local function lease_end(key)
  redis.call('HDEL', key, 'token', 'expires')
end
-- Hand the lease back, if token holds it; true when it did.
local function lease_drop(key, token)
  if redis.call('HGET', key, 'token') ~= token then return false end
  lease_end(key)
  return true
end
"""


@contextlib.asynccontextmanager
async def keep_renewed(
    renew: Callable[[], Awaitable[object]], *, every_s: float, what: str
) -> AsyncIterator[None]:
    """Call ``renew`` every ``every_s`` while the block runs; a failed renewal is logged.

    A renewal that fails (Redis briefly away) is retried on the next beat; the lease is
    sized so that two missed beats still leave it held.
    """

    async def heartbeat() -> None:
        while True:
            await asyncio.sleep(every_s)
            try:
                await renew()
            except REDIS_FAILURES as error:
                log.warning("lease.renewal_failed", lease=what, error=str(error))

    task = asyncio.create_task(heartbeat())
    try:
        yield
    finally:
        # One cancel can be lost in the middle of a renewal (service.tasks): the heartbeat
        # would then renew for ever, and the block would never end.
        await stop_task(task)
