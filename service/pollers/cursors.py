"""Poller cursors in Redis that only the current lease holder can move."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from pydantic import JsonValue

from service.pollers.lease import Holding, LeaseLostError
from service.records.lease import LEASE_LUA

if TYPE_CHECKING:
    import redis.asyncio as aioredis

    from service.records.keys import DeploymentKeys

# The write happens only while the lease key still holds the writer's token: a leader
# that paused past its lease (GC, a stalled VM) and woke up after a takeover is refused,
# so it can never move a cursor back over what the new leader already published.
# KEYS: the poller's lease, its cursor. ARGV: the writer's lease token, the cursor (JSON).
_ADVANCE = (
    LEASE_LUA
    + """
if lease_holder(KEYS[1]) ~= ARGV[1] then
  return 0
end
redis.call('SET', KEYS[2], ARGV[2])
return 1
"""
)


class FencedCursors:
    """JSON cursors, one per poller, written only under that poller's lease."""

    def __init__(self, redis: aioredis.Redis, *, keys: DeploymentKeys) -> None:
        self._redis = redis
        self._keys = keys
        self._advance = redis.register_script(_ADVANCE)

    def key(self, name: str) -> str:
        """The Redis key holding the cursor of poller ``name``."""
        return self._keys.cursor(name)

    def _lease_key(self, name: str) -> str:
        return self._keys.lease(name)

    async def get(self, name: str) -> JsonValue:
        """The stored cursor, or None before the first advance."""
        raw = await self._redis.get(self.key(name))
        if raw is None:
            return None
        value: JsonValue = json.loads(raw)
        return value

    async def advance(self, holding: Holding, value: JsonValue) -> None:
        """Store ``value`` as the cursor; raises LeaseLostError if the lease is not ours."""
        written = await self._advance(
            keys=[self._lease_key(holding.name), self.key(holding.name)],
            args=[holding.token, json.dumps(value, separators=(",", ":"), sort_keys=True)],
        )
        if not written:
            raise LeaseLostError(
                f"cursor of {holding.name!r} not written: fence {holding.fence} no longer leads"
            )
