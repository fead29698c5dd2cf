"""Gift-card replies: reply targets checked before any effect, one JSON reply per request.

A ``reply_to`` may name any key that is 1-200 printable ASCII characters without spaces,
is not one of the service's own keys (:class:`service.records.keyspace.Keyspace`), on a
Redis Cluster carries the deployment's hash tag (``replies:{sitoo-sync}:<id>``), and, when
the request is delivered, either does not exist or is a list. Anything else is
refused before the request runs (its entry is dead-lettered): a reply that could never
be pushed must not leave an effect behind that no one hears about.
"""

from __future__ import annotations

import hashlib
import json
import re
from typing import TYPE_CHECKING

from service.contracts.giftcards import GiftCardReply
from service.inbox.transport import InvalidReplyTo, ReplyNotDelivered
from service.records.keyspace import Keyspace

if TYPE_CHECKING:
    import redis.asyncio as aioredis

    from service.records.keys import DeploymentKeys

# LPUSH the reply only if this request was never answered on this list. The marker is
# set last, as a failing command does not undo the ones before it in a script. A key
# that turned into another type since it was checked gets no reply (and no marker).
_REPLY_ONCE = """
if redis.call('EXISTS', KEYS[2]) == 1 then return 0 end
local kind = redis.call('TYPE', KEYS[1])['ok']
if kind ~= 'none' and kind ~= 'list' then return -1 end
redis.call('LPUSH', KEYS[1], ARGV[1])
redis.call('EXPIRE', KEYS[1], ARGV[2])
redis.call('SET', KEYS[2], '1', 'PX', ARGV[3])
return 1
"""
_REPLY_KEY = re.compile(r"^[\x21-\x7e]{1,200}$")
_USABLE_TYPES = frozenset({"none", "list"})


class Replier:
    """The ReplyChannel on Redis: LPUSH the JSON reply to their list, then EXPIRE it.

    Each request is answered once per reply list: a redelivered request (or one settled
    by another replica first) pushes nothing again.
    """

    def __init__(
        self,
        redis: aioredis.Redis,
        *,
        keys: DeploymentKeys,
        ttl_s: int,
        retention_s: float,
        keyspace: Keyspace | None = None,
        same_slot: bool = False,
    ) -> None:
        """``same_slot``: on a Redis Cluster a reply list must share the deployment's slot."""
        self._redis = redis
        self._keys = keys
        self._same_slot = same_slot
        self._keyspace = keyspace or Keyspace(keys.base, frozenset())
        self._ttl_s = ttl_s
        self._retention_ms = int(retention_s * 1000)
        self._reply_once = redis.register_script(_REPLY_ONCE)

    def check(self, reply_to: bytes) -> str:
        """The reply list's key; refuses odd keys and the service's own keys."""
        try:
            key = reply_to.decode("ascii")
        except UnicodeDecodeError:
            raise InvalidReplyTo("reply_to must be printable ASCII") from None
        if not _REPLY_KEY.fullmatch(key):
            raise InvalidReplyTo("reply_to must be 1-200 printable ASCII characters, no spaces")
        reserved = self._keyspace.why_reserved(key)
        if reserved is not None:
            raise InvalidReplyTo(f"reply_to {reserved}")
        if self._same_slot and not self._keys.in_slot(key):
            # The reply and its marker are written by one script: one slot on a cluster.
            raise InvalidReplyTo(f"reply_to must carry the hash tag {{{self._keys.tag}}}")
        return key

    async def check_usable(self, key: str) -> None:
        """Refuse a key (already checked by :meth:`check`) that holds anything but a list."""
        kind = await self._redis.type(key)
        name = kind.decode() if isinstance(kind, bytes) else str(kind)
        if name not in _USABLE_TYPES:
            raise InvalidReplyTo(f"reply_to names an existing {name}, not a list")

    async def reply(self, key: str, reply: GiftCardReply, *, once_per: str | None = None) -> bool:
        """Deliver the reply unless this request was answered on this list; True if pushed.

        ``once_per`` is what is answered once (the request's event id unless given).
        Raises ReplyNotDelivered when the key is no longer a list.
        """
        identity = reply.request_event_id if once_per is None else once_per
        digest = hashlib.blake2b(f"{identity}\n{key}".encode(), digest_size=16).hexdigest()
        pushed = int(
            await self._reply_once(
                keys=[key, self._keys.replied(digest)],
                args=[json.dumps(reply.model_dump(mode="json")), self._ttl_s, self._retention_ms],
            )
        )
        if pushed < 0:
            raise ReplyNotDelivered(f"{key!r} is no longer a list")
        return pushed == 1
