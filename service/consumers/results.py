"""Result events and gift-card replies, written as plain entries/lists with the raw client."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from service.contracts.envelope import EVENT_FIELD
from service.contracts.giftcards import GiftCardReply
from service.contracts.results import ResultData, result_envelope

if TYPE_CHECKING:
    import redis.asyncio as aioredis

# XADD the result only if this result event id was never emitted: a crash between
# publishing and acking then emits nothing twice. The marker is set after the XADD, as a
# failing command does not undo the ones before it in a script.
_EMIT_ONCE = """
if redis.call('EXISTS', KEYS[2]) == 1 then return false end
local id = redis.call('XADD', KEYS[1], 'MAXLEN', '~', ARGV[2], '*', ARGV[3], ARGV[4])
redis.call('SET', KEYS[2], '1', 'PX', ARGV[1])
return id
"""
_REPLY_KEY = re.compile(r"^[\x21-\x7e]{1,200}$")


class ResultPublisher:
    """Publishes one result event per inbound event (and outcome) on the results stream."""

    def __init__(
        self,
        redis: aioredis.Redis,
        *,
        stream: str,
        key_prefix: str,
        retention_s: float,
        max_length: int = 1_000_000,
    ) -> None:
        self._stream = stream
        self._marker_prefix = f"{key_prefix}:result-emitted:"
        self._retention_ms = int(retention_s * 1000)
        self._max_length = max_length
        self._emit = redis.register_script(_EMIT_ONCE)

    async def publish(self, data: ResultData, *, correlation_id: str | None) -> str | None:
        """Emit the result; its entry id, or None when it had been emitted already."""
        envelope = result_envelope(
            data, occurred_at=datetime.now(UTC), correlation_id=correlation_id
        )
        entry_id = await self._emit(
            keys=[self._stream, self._marker_prefix + envelope.event_id],
            args=[self._retention_ms, self._max_length, EVENT_FIELD, envelope.model_dump_json()],
        )
        if entry_id is None:
            return None
        return entry_id.decode() if isinstance(entry_id, bytes) else str(entry_id)


class InvalidReplyTo(ValueError):
    """A request's reply_to cannot be used (wrong shape or inside the service's own keys)."""


class Replier:
    """Answers request-reply callers: LPUSH the JSON reply to their list, then EXPIRE it."""

    def __init__(self, redis: aioredis.Redis, *, key_prefix: str, ttl_s: int) -> None:
        self._redis = redis
        self._own_prefix = f"{key_prefix}:"
        self._ttl_s = ttl_s

    def check(self, reply_to: bytes) -> str:
        """The reply list's key; refuses odd keys and keys in our own namespace."""
        try:
            key = reply_to.decode("ascii")
        except UnicodeDecodeError:
            raise InvalidReplyTo("reply_to must be printable ASCII") from None
        if not _REPLY_KEY.fullmatch(key):
            raise InvalidReplyTo("reply_to must be 1-200 printable ASCII characters, no spaces")
        if key.startswith(self._own_prefix):
            raise InvalidReplyTo(f"reply_to must not start with {self._own_prefix!r}")
        return key

    async def reply(self, key: str, reply: GiftCardReply) -> None:
        """Deliver the reply; the list expires if nobody reads it."""
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.lpush(key, json.dumps(reply.model_dump(mode="json")))
            pipe.expire(key, self._ttl_s)
            await pipe.execute()
