"""Redis sets of what the pollers re-read: open click-and-collect orders and known gift cards."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import redis.asyncio as aioredis

    from service.settings import Settings


def tracked_giftcards_key(prefix: str) -> str:
    """The set of gift-card numbers the gift-card poller re-reads."""
    return f"{prefix}:giftcards:tracked"


def open_pickups_key(prefix: str) -> str:
    """The set of Sitoo order ids of open click-and-collect orders the order poller re-reads."""
    return f"{prefix}:pickups:open"


async def track_giftcards(redis: aioredis.Redis, prefix: str, cardnumbers: Iterable[str]) -> int:
    """Add cards to the tracked set; returns how many were new."""
    numbers = sorted({number for number in cardnumbers if number})
    if not numbers:
        return 0
    return int(await redis.sadd(tracked_giftcards_key(prefix), *numbers))


async def track_giftcard(redis: aioredis.Redis, settings: Settings, cardnumber: str) -> None:
    """Have the gift-card poller watch ``cardnumber`` (call after issuing or redeeming it)."""
    await track_giftcards(redis, settings.redis.key_prefix, [cardnumber])


async def track_pickup_order(redis: aioredis.Redis, settings: Settings, orderid: int) -> None:
    """Have the order poller follow click-and-collect order ``orderid`` until it is finished."""
    await redis.sadd(open_pickups_key(settings.redis.key_prefix), str(orderid))
