"""One final result per inbound event: a working lease, then the result recorded and emitted once.

Each inbound event has a hash ``{prefix}:settled:{event_id}``. A delivery that starts on
the event takes a lease on it (token and expiry against Redis' clock, renewed while it
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
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Literal

import structlog
from redis.exceptions import RedisError

from service.contracts.envelope import EVENT_FIELD
from service.contracts.results import ResultData, result_envelope

if TYPE_CHECKING:
    import redis.asyncio as aioredis

log = structlog.get_logger(__name__)
_HANDBACK_S = 2.0  # bound on releasing leases while being cancelled

_NOW = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
"""

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

# KEYS: record. ARGV: entry ref, token, lease ms, retention ms.
_BEGIN = (
    _NOW
    + _BINDING
    + """
local result = binding(KEYS[1], ARGV[1])
if result then return {'settled', result} end
local holder = redis.call('HGET', KEYS[1], 'token')
local expires = tonumber(redis.call('HGET', KEYS[1], 'expires') or '0')
if holder and holder ~= ARGV[2] and expires > now then return {'busy', ''} end
redis.call('HSET', KEYS[1], 'token', ARGV[2], 'expires', tostring(now + tonumber(ARGV[3])))
redis.call('PEXPIRE', KEYS[1], ARGV[4])
return {'run', ''}
"""
)

# KEYS: record. ARGV: token, lease ms.
_RENEW = (
    _NOW
    + """
if redis.call('HGET', KEYS[1], 'token') ~= ARGV[1] then return 0 end
redis.call('HSET', KEYS[1], 'expires', tostring(now + tonumber(ARGV[2])))
return 1
"""
)

# KEYS: record. ARGV: token.
_RELEASE = """
if redis.call('HGET', KEYS[1], 'token') ~= ARGV[1] then return 0 end
redis.call('HDEL', KEYS[1], 'token', 'expires')
return 1
"""

# KEYS: record, results stream. ARGV: entry ref, result data, dead flag, retention ms,
# stream max length, field name, result envelope. The XADD comes first: a failing
# command does not undo the ones before it in a script, so the record is only written
# once the result event is.
_SETTLE = (
    _BINDING
    + """
local result = binding(KEYS[1], ARGV[1])
if result then return result end
redis.call('XADD', KEYS[2], 'MAXLEN', '~', ARGV[5], '*', ARGV[6], ARGV[7])
redis.call('HSET', KEYS[1], 'result', ARGV[2], 'entry', ARGV[1], 'dead', ARGV[3])
redis.call('HDEL', KEYS[1], 'token', 'expires')
redis.call('PEXPIRE', KEYS[1], ARGV[4])
return false
"""
)


@dataclass(frozen=True, slots=True)
class Begun:
    """What a delivery may do with its event: run it, repeat the settled result, or wait."""

    status: Literal["run", "settled", "busy"]
    result: ResultData | None = None


@dataclass(frozen=True, slots=True)
class Settling:
    """One result to record and emit."""

    key: str
    entry_ref: str
    data: ResultData
    correlation_id: str | None


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value


class Settlements:
    """Leases, recorded results and the results stream, shared by every replica."""

    def __init__(
        self,
        redis: aioredis.Redis,
        *,
        key_prefix: str,
        results_stream: str,
        retention_s: float,
        lease_s: float,
        max_length: int = 1_000_000,
    ) -> None:
        self._redis = redis
        self._prefix = f"{key_prefix}:settled:"
        self._stream = results_stream
        self._retention_ms = int(retention_s * 1000)
        self._lease_s = lease_s
        self._lease_ms = int(lease_s * 1000)
        self._max_length = max_length
        self._begin = redis.register_script(_BEGIN)
        self._renew = redis.register_script(_RENEW)
        self._release = redis.register_script(_RELEASE)
        self._settle = redis.register_script(_SETTLE)

    def event_key(self, event_id: str) -> str:
        """The record of an event that could be read."""
        return self._prefix + event_id

    def entry_key(self, stream: str, entry_id: str) -> str:
        """The record of an entry that could not be read (no event id to trust)."""
        return f"{self._prefix}entry:{stream}/{entry_id}"

    async def begin(self, items: Sequence[tuple[str, str]], token: str) -> list[Begun]:
        """Per (key, entry ref): lease it for this delivery, or say why not; one round trip."""
        if not items:
            return []
        async with self._redis.pipeline(transaction=False) as pipe:
            for key, entry_ref in items:
                await self._begin(
                    keys=[key],
                    args=[entry_ref, token, self._lease_ms, self._retention_ms],
                    client=pipe,
                )
            replies = await pipe.execute()
        begun: list[Begun] = []
        for reply in replies:
            status, payload = (_text(part) for part in reply)
            if status == "settled":
                begun.append(Begun("settled", ResultData.model_validate_json(payload)))
            elif status == "busy":
                begun.append(Begun("busy"))
            else:
                begun.append(Begun("run"))
        return begun

    async def renew(self, keys: Sequence[str], token: str) -> None:
        """Extend this delivery's leases."""
        async with self._redis.pipeline(transaction=False) as pipe:
            for key in keys:
                await self._renew(keys=[key], args=[token, self._lease_ms], client=pipe)
            await pipe.execute()

    async def release(self, keys: Sequence[str], token: str) -> None:
        """Drop this delivery's leases so the next delivery can start at once."""
        if not keys:
            return
        async with self._redis.pipeline(transaction=False) as pipe:
            for key in keys:
                await self._release(keys=[key], args=[token], client=pipe)
            await pipe.execute()

    @contextlib.asynccontextmanager
    async def holding(self, keys: Sequence[str], token: str) -> AsyncIterator[None]:
        """Keep the leases alive (renewed every third of the lease) while the block runs."""

        async def heartbeat() -> None:
            while True:
                await asyncio.sleep(self._lease_s / 3)
                try:
                    await self.renew(keys, token)
                except (RedisError, OSError) as error:
                    log.warning("settlement.lease_renewal_failed", error=str(error))

        task = asyncio.create_task(heartbeat())
        try:
            yield
        except asyncio.CancelledError:
            # Cut off (e.g. the shutdown grace ran out): hand the events back now, so the
            # next delivery need not wait for the lease to run out.
            with contextlib.suppress(Exception):
                await asyncio.shield(asyncio.wait_for(self.release(keys, token), _HANDBACK_S))
            raise
        finally:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    async def settle(self, items: Sequence[Settling]) -> list[ResultData | Exception | None]:
        """Record and emit each result unless one is recorded already; one round trip.

        Per item: None when this result was recorded and emitted, the recorded result
        when another delivery settled the event first, or the error that kept it from
        being written (nothing was recorded then).
        """
        if not items:
            return []
        occurred_at = datetime.now(UTC)
        async with self._redis.pipeline(transaction=False) as pipe:
            for item in items:
                envelope = result_envelope(
                    item.data, occurred_at=occurred_at, correlation_id=item.correlation_id
                )
                await self._settle(
                    keys=[item.key, self._stream],
                    args=[
                        item.entry_ref,
                        item.data.model_dump_json(),
                        "1" if item.data.dead_lettered else "0",
                        self._retention_ms,
                        self._max_length,
                        EVENT_FIELD,
                        envelope.model_dump_json(),
                    ],
                    client=pipe,
                )
            replies = await pipe.execute(raise_on_error=False)
        answers: list[ResultData | Exception | None] = []
        for reply in replies:
            if isinstance(reply, Exception):
                answers.append(reply)
            elif reply is None:
                answers.append(None)
            else:
                answers.append(ResultData.model_validate(json.loads(_text(reply))))
        return answers
