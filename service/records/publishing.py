"""Appends outbound events to their stream exactly when they have not been published before.

Each append and its de-duplication record are written by one Lua script, so no crash can
separate them: an event is either published and remembered, or neither. The script
appends first and records second, because Redis does not undo a script's earlier writes
when a later command fails; a failed append therefore leaves no record behind and the
change is published on the next attempt.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from service.contracts.envelope import EVENT_FIELD, Envelope

if TYPE_CHECKING:
    import redis.asyncio as aioredis

    from service.records.keys import DeploymentKeys

# Approximate cap on the outbound stream, as for results and dead letters: a webshop that
# stops reading must not let it grow without bound. Far above any sane reading lag.
OUTBOUND_MAX_LENGTH = 1_000_000

_PUBLISH_ONCE = f"""
if redis.call('EXISTS', KEYS[1]) == 1 then
  return 0
end
redis.call('XADD', KEYS[2], 'MAXLEN', '~', {OUTBOUND_MAX_LENGTH}, '*', '{EVENT_FIELD}', ARGV[1])
redis.call('SET', KEYS[1], '1', 'PX', ARGV[2])
return 1
"""

# ARGV holds groups of four: field, expected state ('' = none yet), new state, event JSON.
_PUBLISH_CHANGES = f"""
local published = {{}}
for i = 1, #ARGV, 4 do
  local current = redis.call('HGET', KEYS[1], ARGV[i]) or ''
  if current == ARGV[i + 1] then
    redis.call(
      'XADD', KEYS[2], 'MAXLEN', '~', {OUTBOUND_MAX_LENGTH}, '*', '{EVENT_FIELD}', ARGV[i + 3]
    )
    redis.call('HSET', KEYS[1], ARGV[i], ARGV[i + 2])
    published[#published + 1] = 1
  else
    published[#published + 1] = 0
  end
end
return published
"""


@dataclass(frozen=True, slots=True)
class StateChange:
    """Publish ``envelope`` if ``field`` still holds ``expected``, then store ``new`` there."""

    field: str
    expected: str | None
    new: str
    envelope: Envelope


class OutboundPublisher:
    """Writes plain entries (one field ``event`` with the JSON envelope) to the outbound stream."""

    def __init__(
        self, redis: aioredis.Redis, *, stream: str, keys: DeploymentKeys, marker_ttl_s: float
    ) -> None:
        self.stream = stream
        self._redis = redis
        self._keys = keys
        self._marker_ttl_ms = max(1, round(marker_ttl_s * 1000))
        self._once = redis.register_script(_PUBLISH_ONCE)
        self._changes = redis.register_script(_PUBLISH_CHANGES)

    def marker_key(self, event_id: str) -> str:
        """The key remembering that ``event_id`` was published."""
        return self._keys.published(event_id)

    def state_key(self, name: str) -> str:
        """The hash holding the last published state of a family of values (per warehouse…)."""
        return self._keys.published_state(name)

    async def publish_once(self, envelope: Envelope) -> bool:
        """Append ``envelope`` unless its event id was published within the retention."""
        appended = await self._once(
            keys=[self.marker_key(envelope.event_id), self.stream],
            args=[envelope.model_dump_json(), self._marker_ttl_ms],
        )
        return bool(appended)

    async def last_states(self, name: str, fields: Sequence[str]) -> list[str | None]:
        """The last published state of each field of family ``name`` (None: never published)."""
        if not fields:
            return []
        values = await self._redis.hmget(self.state_key(name), list(fields))
        return [v.decode() if isinstance(v, bytes) else v for v in values]

    async def publish_changes(self, name: str, changes: Sequence[StateChange]) -> list[bool]:
        """Publish each change whose field still holds its expected state; False where it moved.

        A False means another writer (the other intake path) published for that field
        since it was read; the caller re-reads on its next cycle.
        """
        if not changes:
            return []
        args: list[str] = []
        for change in changes:
            args += [
                change.field,
                change.expected or "",
                change.new,
                change.envelope.model_dump_json(),
            ]
        result = await self._changes(keys=[self.state_key(name), self.stream], args=args)
        return [bool(flag) for flag in result]
