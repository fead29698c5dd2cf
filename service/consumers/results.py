"""Gift-card replies: checked reply lists, one JSON reply per request and list."""

from __future__ import annotations

import hashlib
import json
import re
from typing import TYPE_CHECKING

from service.contracts.giftcards import GiftCardReply

if TYPE_CHECKING:
    import redis.asyncio as aioredis

# LPUSH the reply only if this request was never answered on this list. The marker is
# set last, as a failing command does not undo the ones before it in a script.
_REPLY_ONCE = """
if redis.call('EXISTS', KEYS[2]) == 1 then return 0 end
redis.call('LPUSH', KEYS[1], ARGV[1])
redis.call('EXPIRE', KEYS[1], ARGV[2])
redis.call('SET', KEYS[2], '1', 'PX', ARGV[3])
return 1
"""
_REPLY_KEY = re.compile(r"^[\x21-\x7e]{1,200}$")


class InvalidReplyTo(ValueError):
    """A request's reply_to cannot be used (wrong shape or inside the service's own keys)."""


class Replier:
    """Answers request-reply callers: LPUSH the JSON reply to their list, then EXPIRE it.

    Each request is answered once per reply list: a redelivered request (or one settled
    by another replica first) pushes nothing again.
    """

    def __init__(
        self, redis: aioredis.Redis, *, key_prefix: str, ttl_s: int, retention_s: float
    ) -> None:
        self._own_prefix = f"{key_prefix}:"
        self._marker_prefix = f"{key_prefix}:replied:"
        self._ttl_s = ttl_s
        self._retention_ms = int(retention_s * 1000)
        self._reply_once = redis.register_script(_REPLY_ONCE)

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

    async def reply(self, key: str, reply: GiftCardReply) -> bool:
        """Deliver the reply unless this request was answered on this list; True if pushed."""
        digest = hashlib.blake2b(
            f"{reply.request_event_id}\n{key}".encode(), digest_size=16
        ).hexdigest()
        pushed = await self._reply_once(
            keys=[key, self._marker_prefix + digest],
            args=[json.dumps(reply.model_dump(mode="json")), self._ttl_s, self._retention_ms],
        )
        return bool(pushed)
