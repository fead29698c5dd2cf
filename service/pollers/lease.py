"""A poller's leader lease with a fencing number, so each poller runs in one replica at a time.

It is the service's one lease (:mod:`service.records.lease`) on a hash of its own; the
key expires with the lease, so a leader that died leaves nothing behind.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import TYPE_CHECKING

from service.records.lease import LEASE_LUA

if TYPE_CHECKING:
    import redis.asyncio as aioredis

    from service.records.keys import DeploymentKeys

# Taking the lease and numbering it happen in one script, so two replicas can never
# hold the same fencing number and a number is never spent on a failed attempt. A lease
# an earlier version wrote (a plain string) counts as held until it runs out.
# KEYS: the lease, its fencing counter. ARGV: owner, lease ms.
_ACQUIRE = (
    LEASE_LUA
    + """
if redis.call('TYPE', KEYS[1])['ok'] == 'string' or lease_holder(KEYS[1]) then
  return false
end
local fence = redis.call('INCR', KEYS[2])
lease_take(KEYS[1], fence .. ':' .. ARGV[1], tonumber(ARGV[2]))
redis.call('PEXPIRE', KEYS[1], ARGV[2])
return fence
"""
)

# KEYS: the lease. ARGV: token, lease ms.
_RENEW = (
    LEASE_LUA
    + """
if lease_renew(KEYS[1], ARGV[1], tonumber(ARGV[2])) then
  return redis.call('PEXPIRE', KEYS[1], ARGV[2])
end
return 0
"""
)

# KEYS: the lease. ARGV: token.
_RELEASE = (
    LEASE_LUA
    + """
if lease_drop(KEYS[1], ARGV[1]) then
  return 1  -- the hash held only the lease: dropping it removed the key
end
return 0
"""
)


class LeaseLostError(Exception):
    """The lease expired or was taken over; the holder must stop acting as leader."""


@dataclass(frozen=True, slots=True)
class Holding:
    """Proof of leadership: the lease value and its fencing number."""

    name: str
    fence: int
    token: str  # the lease's token: "<fence>:<owner>"


class Lease:
    """One named lease; ``acquire`` it, ``renew`` it well before it expires, ``release`` it."""

    def __init__(
        self, redis: aioredis.Redis, *, keys: DeploymentKeys, name: str, ttl_s: float
    ) -> None:
        self.name = name
        self.key = keys.lease(name)
        self.fence_key = keys.lease_fence(name)
        self.ttl_ms = max(1, round(ttl_s * 1000))
        self._redis = redis
        self._owner = secrets.token_hex(8)
        self._acquire = redis.register_script(_ACQUIRE)
        self._renew = redis.register_script(_RENEW)
        self._release = redis.register_script(_RELEASE)

    async def acquire(self) -> Holding | None:
        """Take the lease if nobody holds it; None when another replica leads."""
        keys = [self.key, self.fence_key]
        fence = await self._acquire(keys=keys, args=[self._owner, self.ttl_ms])
        if fence is None:
            return None
        fence = int(fence)
        return Holding(name=self.name, fence=fence, token=f"{fence}:{self._owner}")

    async def renew(self, holding: Holding) -> None:
        """Push the expiry out by a whole TTL; raises LeaseLostError if it is no longer ours."""
        if not await self._renew(keys=[self.key], args=[holding.token, self.ttl_ms]):
            raise LeaseLostError(f"lease {self.name!r} (fence {holding.fence}) was lost")

    async def release(self, holding: Holding) -> bool:
        """Give the lease up so another replica can lead at once; False if it was not ours."""
        return bool(await self._release(keys=[self.key], args=[holding.token]))

    async def holder(self) -> str | None:
        """The current holder's token (``<fence>:<owner>``), for diagnostics."""
        value = await self._redis.hget(self.key, "token")
        return value.decode() if isinstance(value, bytes) else value
