"""Stock levels written to a webshop: the newest version wins, one writer per level at a time.

A level is absolute, so writing one twice is harmless; writing an older level after a
newer one is not. Two replicas can hold two versions of one level at once (an entry taken
over after a kill while the newer one is being written elsewhere), and a writer reads
the webshop, decides and writes in separate calls, so the record of the version written
last, checked before and set after, is not enough on its own: both check, both write, and
the older can land last. Each level therefore has one record, a hash holding the version
written last and :mod:`~service.records.lease`'s lease with the version its holder is
writing. Taking it decides, in one script:

* ``done``: that version or a newer one was written, or is being written by a live holder
  (whose entry stays pending until it is): nothing to do;
* ``busy``: a live holder writes an older version; try again later (its lease runs out on
  its own if the holder died, after the time a pending entry waits before it is taken over);
* ``go``: the caller holds the lease and writes; then :meth:`WrittenLevels.written`
  records the version and ends the lease, or :meth:`WrittenLevels.release` hands it back.

One key per level and one key per script call, so the records spread over a Redis Cluster.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal

from service.records.lease import LEASE_LUA

if TYPE_CHECKING:
    import redis.asyncio as aioredis

    from service.records.keys import DeploymentKeys

Decision = Literal["go", "done", "busy"]

# KEYS[1] the level's record; ARGV: token, lease ms, version, retention s.
_TAKE = (
    LEASE_LUA
    + """
local version = tonumber(ARGV[3])
if tonumber(redis.call('HGET', KEYS[1], 'version') or '0') >= version then return 'done' end
local holder = lease_holder(KEYS[1])
if holder and holder ~= ARGV[1] then
  if tonumber(redis.call('HGET', KEYS[1], 'taking') or '0') >= version then return 'done' end
  return 'busy'
end
lease_take(KEYS[1], ARGV[1], tonumber(ARGV[2]))
redis.call('HSET', KEYS[1], 'taking', ARGV[3])
redis.call('EXPIRE', KEYS[1], tonumber(ARGV[4]))
return 'go'
"""
)

# KEYS[1] the level's record; ARGV: token, version, retention s. The version is recorded
# even if the lease ran out meanwhile: the webshop has it, and only a newer one counts.
_WRITTEN = (
    LEASE_LUA
    + """
if tonumber(redis.call('HGET', KEYS[1], 'version') or '0') < tonumber(ARGV[2]) then
  redis.call('HSET', KEYS[1], 'version', ARGV[2])
end
if lease_drop(KEYS[1], ARGV[1]) then redis.call('HDEL', KEYS[1], 'taking') end
redis.call('EXPIRE', KEYS[1], tonumber(ARGV[3]))
return 1
"""
)

# KEYS[1] the level's record; ARGV[1] the token. Handed back unwritten.
_RELEASE = (
    LEASE_LUA
    + """
if lease_drop(KEYS[1], ARGV[1]) then redis.call('HDEL', KEYS[1], 'taking') end
return 1
"""
)


@dataclass(slots=True)
class Held:
    """The outcome of taking a batch of levels, by place (``location:sku``, a SKU, …)."""

    token: str
    go: dict[str, int] = field(default_factory=dict)
    done: set[str] = field(default_factory=set)
    busy: set[str] = field(default_factory=set)


class WrittenLevels:
    """The level records of one webshop."""

    def __init__(
        self,
        redis: aioredis.Redis,
        *,
        keys: DeploymentKeys,
        webshop: str,
        lease_ms: int,
        retention_s: int,
    ) -> None:
        self._keys = keys
        self._webshop = webshop
        self._lease_ms = lease_ms
        self._retention_s = retention_s
        self._take = redis.register_script(_TAKE)
        self._written = redis.register_script(_WRITTEN)
        self._release = redis.register_script(_RELEASE)

    def key(self, place: str) -> str:
        """The record of the level at ``place``."""
        return self._keys.webshop_level(self._webshop, place)

    async def take(self, versions: Mapping[str, int]) -> Held:
        """Decide each level's fate; the ``go`` ones are held until written or released."""
        held = Held(token=secrets.token_hex(8))
        for place, version in versions.items():
            args: list[str | int] = [held.token, self._lease_ms, version, self._retention_s]
            decision = await self._take(keys=[self.key(place)], args=args)
            decided = decision.decode() if isinstance(decision, bytes) else str(decision)
            if decided == "go":
                held.go[place] = version
            elif decided == "busy":
                held.busy.add(place)
            else:
                held.done.add(place)
        return held

    async def written(self, held: Held, places: Iterable[str]) -> None:
        """The webshop has these levels: record their versions, end the leases."""
        for place in places:
            args: list[str | int] = [held.token, held.go[place], self._retention_s]
            await self._written(keys=[self.key(place)], args=args)

    async def release(self, held: Held, places: Iterable[str]) -> None:
        """Hand back levels that were not written (a refusal, an error): taken again later."""
        for place in places:
            await self._release(keys=[self.key(place)], args=[held.token])
