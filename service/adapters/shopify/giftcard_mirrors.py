"""Which Shopify gift card mirrors which Sitoo card, and the balance event applied to it last.

Shopify shows a card's code only in the answer that created it, and orders name a card
only by its numeric id (FACTS.md §3.3, §8), so the id is stored both ways when the mirror
is created: by Sitoo card number (the writer follows the balance) and by Shopify id (the
translator turns a payment with the mirror into a redemption of the Sitoo card).
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import TYPE_CHECKING

from service.adapters.shopify.translation import legacy_id
from service.records.lease import LEASE_LUA

if TYPE_CHECKING:
    import redis.asyncio as aioredis

    from service.records.keys import DeploymentKeys

_ID, _EVENT, _AT = "id", "applied_event", "applied_at_ms"
_WEBSHOP = "shopify"
# KEYS[1] the card's claim (the one lease); ARGV: token, lease ms. A claim left as a plain
# string by an earlier version is held until it runs out on its own.
_CLAIM = (
    LEASE_LUA
    + """
if redis.call('TYPE', KEYS[1]).ok == 'string' then return 0 end
if lease_holder(KEYS[1]) then return 0 end
lease_take(KEYS[1], ARGV[1], tonumber(ARGV[2]))
redis.call('PEXPIRE', KEYS[1], tonumber(ARGV[2]))
return 1
"""
)
# KEYS[1] the card's claim, ARGV[1] its holder's token: only the holder lets it go.
_RELEASE = (
    LEASE_LUA
    + """
if redis.call('TYPE', KEYS[1]).ok ~= 'hash' then return 0 end
if lease_drop(KEYS[1], ARGV[1]) then redis.call('DEL', KEYS[1]) return 1 end
return 0
"""
)


@dataclass(frozen=True, slots=True)
class Mirror:
    """A Sitoo card's mirror: its Shopify id and the newest balance event applied to it.

    ``applied_event`` is that event's mark (its id and when Sitoo was read).
    """

    giftcard_id: str | None
    applied_event: str | None
    applied_at_ms: int | None


def _text(value: bytes | str | None) -> str | None:
    return value.decode() if isinstance(value, bytes) else value


class GiftCardMirrors:
    """The mirror records in Redis (no expiry: a mirror lives as long as the card)."""

    def __init__(self, redis: aioredis.Redis, *, keys: DeploymentKeys) -> None:
        self._redis = redis
        self._keys = keys
        self._claim = redis.register_script(_CLAIM)
        self._release = redis.register_script(_RELEASE)

    async def mirror(self, card_number: str) -> Mirror:
        """What is recorded for ``card_number`` (all None: no mirror yet)."""
        raw = await self._redis.hmget(
            self._keys.shopify_giftcard_mirror(card_number), [_ID, _EVENT, _AT]
        )
        giftcard_id, event, at = (_text(value) for value in raw)
        return Mirror(giftcard_id, event, int(at) if at is not None else None)

    async def remember(self, card_number: str, giftcard_id: str) -> None:
        """Store the new mirror's id both ways (the reverse first, so a payment finds it)."""
        await self._redis.set(
            self._keys.shopify_giftcard_mirrored(legacy_id(giftcard_id)), card_number
        )
        await self._redis.hset(self._keys.shopify_giftcard_mirror(card_number), _ID, giftcard_id)

    async def record_applied(self, card_number: str, mark: str, at_ms: int) -> None:
        """Note the balance event the mirror now reflects (older ones are then skipped)."""
        await self._redis.hset(
            self._keys.shopify_giftcard_mirror(card_number),
            mapping={_EVENT: mark, _AT: str(at_ms)},
        )

    async def claim(self, card_number: str, ttl_ms: int) -> str | None:
        """Hold the card for one replica's adjustment; a token, or None if another holds it.

        Shopify's adjustments are relative: two replicas reading the same balance at once
        (a slow one and the one that took its entry over) would both move it.
        """
        token = secrets.token_hex(8)
        taken = await self._claim(keys=[self._claim_key(card_number)], args=[token, ttl_ms])
        return token if taken == 1 else None

    async def release(self, card_number: str, token: str) -> None:
        """Let the card go, unless the claim lapsed and another replica holds it now."""
        await self._release(keys=[self._claim_key(card_number)], args=[token])

    def _claim_key(self, card_number: str) -> str:
        return self._keys.webshop_write_claim(_WEBSHOP, f"giftcard:{card_number}")

    async def sitoo_cards(self, giftcard_ids: list[str]) -> dict[str, str]:
        """The Sitoo card number per Shopify card id (gid or number) that is a mirror."""
        if not giftcard_ids:
            return {}
        numbers = [legacy_id(giftcard_id) for giftcard_id in giftcard_ids]
        # One key per card: MGET would cross slots on an untagged cluster deployment.
        found: dict[str, str] = {}
        for giftcard_id, number in zip(giftcard_ids, numbers, strict=True):
            card = _text(await self._redis.get(self._keys.shopify_giftcard_mirrored(number)))
            if card is not None:
                found[giftcard_id] = card
        return found
