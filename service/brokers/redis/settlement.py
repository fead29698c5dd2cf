"""One final result per inbound event: a working lease, then the result recorded and emitted once.

Each inbound event has a hash (:meth:`DeploymentKeys.settled_event`). A delivery that starts on
the event takes the service's one lease on it (:mod:`service.records.lease`, renewed while it
works), so two replicas never work on the same event at once: a delivery that finds the
lease held leaves its entry pending. Settling writes the result event to the results
stream and records its data in the hash in one script; whoever settles first wins, and
every later delivery of the event (a redelivery, a reclaimed copy, a re-send with the
same event id) gets that recorded result back instead of computing a new one.

One exception keeps dead-letter replays useful: a result that dead-lettered the event
binds only the entry it settled. A replay (the same event as a new entry) runs again.
Entries that could not be read have no trustworthy event id and are keyed by stream and
entry id instead.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator, Sequence
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from redis.exceptions import ResponseError

from service.contracts.envelope import EVENT_FIELD
from service.contracts.results import ResultData, result_envelope
from service.inbox.transport import Begun, Settling
from service.records.lease import LEASE_LUA, keep_renewed

if TYPE_CHECKING:
    import redis.asyncio as aioredis

    from service.records.keys import DeploymentKeys

_HANDBACK_S = 2.0  # bound on releasing leases while being cancelled

# A recorded result binds every delivery, except a dead-lettered one binds only its entry.
_BINDING = """
local function binding(key, entry)
  local result = redis.call('HGET', key, 'result')
  if not result then return false end
  if redis.call('HGET', key, 'dead') == '1' and redis.call('HGET', key, 'entry') ~= entry then
    return false
  end
  return result
end
"""

# Every script handles any number of events in one call and answers with one string: a
# batch costs one command and one reply to parse, not one per event (packing and parsing
# those cost more in Python than the work costs in Redis).

# KEYS: records. ARGV: token, lease ms, retention ms, a JSON array of each record's entry
# ref, a JSON array of each event's content digest. A JSON array with two strings per
# record: 'run' (then how many deliveries have run the event, this one included), 'busy',
# 'settled' (then the recorded result) or 'conflict' (then the digest recorded first).
# Only deliveries that run count: one that finds the event busy (leased by a delivery
# that is alive, or died moments ago) has done nothing that could fail again. The first
# digest seen for an event id stays with it: content that differs from it is a conflict,
# whatever state the event is in.
_BEGIN = (
    LEASE_LUA
    + _BINDING
    + """
local refs = cjson.decode(ARGV[4])
local digests = cjson.decode(ARGV[5])
local replies = {}
for i, key in ipairs(KEYS) do
  local first = redis.call('HGET', key, 'digest')
  if first and first ~= digests[i] then
    replies[2 * i - 1], replies[2 * i] = 'conflict', first
  else
    local result = binding(key, refs[i])
    local holder = lease_holder(key)
    if result then
      redis.call('HSETNX', key, 'digest', digests[i])
      replies[2 * i - 1], replies[2 * i] = 'settled', result
    elseif holder and holder ~= ARGV[1] then
      replies[2 * i - 1], replies[2 * i] = 'busy', ''
    else
      lease_take(key, ARGV[1], tonumber(ARGV[2]))
      redis.call('HSETNX', key, 'digest', digests[i])
      local runs = redis.call('HINCRBY', key, 'runs', 1)
      redis.call('PEXPIRE', key, ARGV[3])
      replies[2 * i - 1], replies[2 * i] = 'run', tostring(runs)
    end
  end
end
return cjson.encode(replies)
"""
)

# KEYS: one record. ARGV: entry ref. The result recorded for it that binds this entry.
_RECORDED = (
    _BINDING
    + """
return binding(KEYS[1], ARGV[1])
"""
)

# KEYS: records. ARGV: token, lease ms.
_RENEW = (
    LEASE_LUA
    + """
for _, key in ipairs(KEYS) do
  lease_renew(key, ARGV[1], tonumber(ARGV[2]))
end
return 1
"""
)

# KEYS: records. ARGV: token, '1' when the run is not to count (it only found a write busy).
_RELEASE = (
    LEASE_LUA
    + """
for _, key in ipairs(KEYS) do
  if lease_drop(key, ARGV[1]) and ARGV[2] == '1' then
    redis.call('HINCRBY', key, 'runs', -1)
  end
end
return 1
"""
)

# KEYS: the results stream, then the records. ARGV: retention ms, stream max length,
# field name, a JSON array of four strings per record: entry ref, result data, dead flag,
# result envelope. A JSON array with two strings per record: 'new' (recorded and emitted
# now) and '', 'settled' and the result recorded before, or 'error' and the error text.
# The XADD comes first: a failing command does not undo the ones before it, so the
# record is only written once the result event is. Each record settles under its own
# pcall, so one that fails (it gets the error) does not keep the others from settling.
_SETTLE = (
    LEASE_LUA
    + _BINDING
    + """
local function settle(key, entry, data, dead, envelope)
  local result = binding(key, entry)
  if result then return 'settled', result end
  redis.call('XADD', KEYS[1], 'MAXLEN', '~', ARGV[2], '*', ARGV[3], envelope)
  redis.call('HSET', key, 'result', data, 'entry', entry, 'dead', dead)
  lease_end(key)
  -- A dead letter binds only its entry: a replay of the event starts counting afresh.
  if dead == '1' then redis.call('HDEL', key, 'runs') end
  redis.call('PEXPIRE', key, ARGV[1])
  return 'new', ''
end
local args = cjson.decode(ARGV[4])
local replies = {}
for i = 2, #KEYS do
  local at = (i - 2) * 4
  local ok, status, payload = pcall(
    settle, KEYS[i], args[at + 1], args[at + 2], args[at + 3], args[at + 4])
  if not ok then  -- status holds the error raised
    payload = type(status) == 'table' and tostring(status.err) or tostring(status)
    status = 'error'
  end
  replies[2 * i - 3], replies[2 * i - 2] = status, payload
end
return cjson.encode(replies)
"""
)


class Settlements:
    """The ResultLedger on Redis: records, leases and the results stream, settled in Lua."""

    def __init__(
        self,
        redis: aioredis.Redis,
        *,
        keys: DeploymentKeys,
        results_stream: str,
        retention_s: float,
        lease_s: float,
        max_length: int = 1_000_000,
    ) -> None:
        self._redis = redis
        self._keys = keys
        self._stream = results_stream
        self._retention_ms = int(retention_s * 1000)
        self._lease_s = lease_s
        self._lease_ms = int(lease_s * 1000)
        self._max_length = max_length
        self._begin = redis.register_script(_BEGIN)
        self._renew = redis.register_script(_RENEW)
        self._release = redis.register_script(_RELEASE)
        self._settle = redis.register_script(_SETTLE)
        self._recorded = redis.register_script(_RECORDED)

    def event_key(self, event_id: str) -> str:
        """The record of an event that could be read."""
        return self._keys.settled_event(event_id)

    def entry_key(self, stream: str, entry_id: str) -> str:
        """The record of an entry that could not be read (no event id to trust)."""
        return self._keys.settled_entry(stream, entry_id)

    async def begin(self, items: Sequence[tuple[str, str, str]], token: str) -> list[Begun]:
        """Per (key, entry ref, content digest): lease it for this delivery, or say why not.

        One script call for all of them.
        """
        if not items:
            return []
        reply = await self._begin(
            keys=[key for key, _, _ in items],
            args=[
                token,
                self._lease_ms,
                self._retention_ms,
                json.dumps([ref for _, ref, _ in items], ensure_ascii=False),
                json.dumps([digest for _, _, digest in items]),
            ],
        )
        flat: list[str] = json.loads(reply)
        begun: list[Begun] = []
        for i in range(0, len(flat), 2):
            status = flat[i]
            if status == "settled":
                begun.append(Begun("settled", ResultData.model_validate_json(flat[i + 1])))
            elif status == "conflict":
                begun.append(Begun("conflict", first_digest=flat[i + 1]))
            elif status == "busy":
                begun.append(Begun("busy"))
            else:
                begun.append(Begun("run", runs=int(flat[i + 1])))
        return begun

    async def recorded(self, key: str, entry_ref: str) -> ResultData | None:
        """The result recorded under ``key`` that binds the entry, if there is one."""
        found = await self._recorded(keys=[key], args=[entry_ref])
        return None if found is None else ResultData.model_validate_json(found)

    async def renew(self, keys: Sequence[str], token: str) -> None:
        """Extend this delivery's leases."""
        if keys:
            await self._renew(keys=list(keys), args=[token, self._lease_ms])

    async def release(self, keys: Sequence[str], token: str, *, uncount: bool = False) -> None:
        """Drop this delivery's leases so the next delivery can start at once.

        ``uncount``: the run found one of its writes busy elsewhere and did nothing, so
        it does not count as a run of the event.
        """
        if keys:
            await self._release(keys=list(keys), args=[token, "1" if uncount else "0"])

    @contextlib.asynccontextmanager
    async def holding(self, keys: Sequence[str], token: str) -> AsyncIterator[None]:
        """Keep the leases alive (renewed every third of the lease) while the block runs."""
        renewing = keep_renewed(
            lambda: self.renew(keys, token), every_s=self._lease_s / 3, what="settlement"
        )
        async with renewing:
            try:
                yield
            except asyncio.CancelledError:
                # Cut off (e.g. the shutdown grace ran out): hand the events back now, so
                # the next delivery need not wait for the lease to run out.
                with contextlib.suppress(Exception):
                    await asyncio.shield(asyncio.wait_for(self.release(keys, token), _HANDBACK_S))
                raise

    async def settle(self, items: Sequence[Settling]) -> list[ResultData | Exception | None]:
        """Record and emit each result unless one is recorded already; one script call.

        Per item: None when this result was recorded and emitted, the recorded result
        when another delivery settled the event first, or the error that kept it from
        being written (nothing was recorded then).
        """
        if not items:
            return []
        occurred_at = datetime.now(UTC)
        per_item: list[str] = []
        for item in items:
            envelope = result_envelope(
                item.data,
                occurred_at=occurred_at,
                correlation_id=item.correlation_id,
                entry_bound=item.entry_bound,
            )
            per_item += (
                item.entry_ref,
                item.data.model_dump_json(),
                "1" if item.data.dead_lettered else "0",
                envelope.model_dump_json(),
            )
        try:
            reply = await self._settle(
                keys=[self._stream, *(i.key for i in items)],
                args=[
                    self._retention_ms,
                    self._max_length,
                    EVENT_FIELD,
                    json.dumps(per_item, ensure_ascii=False),
                ],
            )
        except ResponseError as error:  # refused as a whole (e.g. out of memory): none settled
            return [error for _ in items]
        flat: list[str] = json.loads(reply)
        answers: list[ResultData | Exception | None] = []
        for i in range(0, len(flat), 2):
            status, payload = flat[i], flat[i + 1]
            if status == "new":
                answers.append(None)
            elif status == "settled":
                answers.append(ResultData.model_validate_json(payload))
            else:
                answers.append(ResponseError(payload))
        return answers
