"""Removes the consumers of pods that are gone from our consumer groups.

Each replica is a consumer named after its pod, so every rollout leaves the old pods'
consumers in each group: ``XINFO CONSUMERS`` and ``sitoo-sync status`` fill up with them.
Their pending entries are taken over by the reclaimers; once a consumer has nothing
pending and has not read for ``remove_idle_consumers_s``, it is removed.

Safe on every replica at once, so it needs no leader. The check and the removal are one
script, so a consumer that was handed an entry in between keeps it (``XGROUP DELCONSUMER``
drops a consumer's pending entries). A live replica on a quiet stream may look idle too
(before Redis 7.2, reading nothing does not reset a consumer's idle time); removing it is
harmless, because Redis creates the consumer again when it hands it the next entry, even to a
read that was blocked while it was removed. A replica never removes its own consumer.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

import structlog

from service.records.connection import REDIS_FAILURES

if TYPE_CHECKING:
    import redis.asyncio as aioredis

log = structlog.get_logger(__name__)
# How often a replica looks, at most (more often when the idle threshold is short).
SWEEP_EVERY_S = 300.0

# KEYS[1] the stream; ARGV[1] the group, ARGV[2] the idle threshold in ms, ARGV[3] the
# caller's own consumer name. Returns the names removed. A missing stream or group
# removes nothing.
_REMOVE_IDLE = """
local ok, consumers = pcall(redis.call, 'XINFO', 'CONSUMERS', KEYS[1], ARGV[1])
if not ok then return {} end
local removed = {}
for _, consumer in ipairs(consumers) do
  local info = {}
  for i = 1, #consumer, 2 do info[consumer[i]] = consumer[i + 1] end
  if info['name'] ~= ARGV[3] and tonumber(info['pending']) == 0
      and tonumber(info['idle']) >= tonumber(ARGV[2]) then
    redis.call('XGROUP', 'DELCONSUMER', KEYS[1], ARGV[1], info['name'])
    removed[#removed + 1] = info['name']
  end
end
return removed
"""


async def remove_idle_consumers(
    redis: aioredis.Redis, *, stream: str, group: str, idle_ms: int, own: str
) -> list[str]:
    """Remove the consumers of ``group`` idle for ``idle_ms`` with nothing pending."""
    script = redis.register_script(_REMOVE_IDLE)
    removed = await script(keys=[stream], args=[group, idle_ms, own])
    return [name.decode() if isinstance(name, bytes) else str(name) for name in removed]


async def sweep_idle_consumers(
    redis: aioredis.Redis,
    *,
    streams: Sequence[str],
    group: str,
    idle_s: float,
    own: str,
    removed: Callable[[str, int], None] = lambda _stream, _count: None,
) -> None:
    """One pass over every stream; a Redis failure is logged and left for the next pass."""
    for stream in streams:
        try:
            names = await remove_idle_consumers(
                redis, stream=stream, group=group, idle_ms=round(idle_s * 1000), own=own
            )
        except REDIS_FAILURES as error:
            log.warning("consumers.sweep_failed", stream=stream, error=repr(error))
            continue
        if names:
            removed(stream, len(names))
            log.info("consumers.removed_idle", stream=stream, group=group, consumers=names)


async def keep_groups_tidy(
    redis: aioredis.Redis,
    *,
    streams: Sequence[str],
    group: str,
    idle_s: float,
    own: str,
    stop: asyncio.Event,
    removed: Callable[[str, int], None] = lambda _stream, _count: None,
) -> None:
    """Sweep at start and then periodically until ``stop`` is set."""
    every_s = min(SWEEP_EVERY_S, max(1.0, idle_s / 2))
    while not stop.is_set():
        await sweep_idle_consumers(
            redis, streams=streams, group=group, idle_s=idle_s, own=own, removed=removed
        )
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), timeout=every_s)
