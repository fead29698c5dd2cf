"""One-time writes to a webshop (a pick-up step, a store cancellation): made once, by one writer.

Such a write reads the webshop, decides and writes in separate calls, and it carries no
idempotency key the webshop honours. A marker checked before and set after is not enough:
two replicas holding the same event (one taken over after a kill while the other is still
at work) both find no marker and both write. Each write therefore has one record, a hash
holding ``done`` once it is made and :mod:`~service.records.lease`'s lease while a replica
makes it. Taking it decides, in one script:

* ``done``: it was made; nothing to do;
* ``busy``: a live holder is making it; its entry is tried again later (a dead holder's
  lease runs out on its own, after the time a pending entry waits before it is taken over);
* ``go``: the caller holds the lease and writes; then :meth:`WrittenSteps.made` records it
  and ends the lease, or :meth:`WrittenSteps.release` hands it back.

A record written before records were hashes is the string ``1``; it counts as made.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from service.records.lease import LEASE_LUA

if TYPE_CHECKING:
    import redis.asyncio as aioredis

    from service.records.keys import DeploymentKeys

Decision = Literal["go", "done", "busy"]

# KEYS[1] the write's record; ARGV: token, lease ms, retention s.
_TAKE = (
    LEASE_LUA
    + """
if redis.call('TYPE', KEYS[1]).ok == 'string' then return 'done' end
if redis.call('HEXISTS', KEYS[1], 'done') == 1 then return 'done' end
if lease_holder(KEYS[1]) then return 'busy' end
lease_take(KEYS[1], ARGV[1], tonumber(ARGV[2]))
redis.call('EXPIRE', KEYS[1], tonumber(ARGV[3]))
return 'go'
"""
)

# KEYS[1] the write's record; ARGV: token, retention s. Recorded even if the lease ran out
# meanwhile (the webshop has the effect); a replica that took the lease over since keeps
# it until it ends its own attempt.
_MADE = (
    LEASE_LUA
    + """
redis.call('HSET', KEYS[1], 'done', '1')
lease_drop(KEYS[1], ARGV[1])
redis.call('EXPIRE', KEYS[1], tonumber(ARGV[2]))
return 1
"""
)

# KEYS[1] the write's record; ARGV[1] the token. Handed back unmade.
_RELEASE = (
    LEASE_LUA
    + """
lease_drop(KEYS[1], ARGV[1])
return 1
"""
)


@dataclass(frozen=True, slots=True)
class Step:
    """One write's record as taken: what was decided, and the token holding it on ``go``."""

    key: str
    token: str
    decision: Decision


class WrittenSteps:
    """The one-time write records of one webshop."""

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
        self._made = redis.register_script(_MADE)
        self._release = redis.register_script(_RELEASE)

    async def take(self, what: str) -> Step:
        """Decide the fate of the write named ``what`` (e.g. ``pickup:42:ready``)."""
        key = self._keys.webshop_written(self._webshop, what)
        token = secrets.token_hex(8)
        decision = await self._take(keys=[key], args=[token, self._lease_ms, self._retention_s])
        decided = decision.decode() if isinstance(decision, bytes) else str(decision)
        if decided == "go":
            return Step(key, token, "go")
        return Step(key, token, "busy" if decided == "busy" else "done")

    async def made(self, step: Step) -> None:
        """The webshop has the effect: record it and end the lease."""
        await self._made(keys=[step.key], args=[step.token, self._retention_s])

    async def release(self, step: Step) -> None:
        """Hand back a write that was not made (a refusal, an error): taken again later."""
        await self._release(keys=[step.key], args=[step.token])
