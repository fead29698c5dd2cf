"""Redis sets of what the pollers re-read: open click-and-collect orders and known gift cards."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from service.records.keys import DeploymentKeys

if TYPE_CHECKING:
    import redis.asyncio as aioredis

    from service.settings import Settings


async def track_giftcards(
    redis: aioredis.Redis, keys: DeploymentKeys, cardnumbers: Iterable[str]
) -> int:
    """Add cards to the tracked set; returns how many were new."""
    numbers = sorted({number for number in cardnumbers if number})
    if not numbers:
        return 0
    return int(await redis.sadd(keys.tracked_giftcards, *numbers))


async def track_giftcard(redis: aioredis.Redis, settings: Settings, cardnumber: str) -> None:
    """Have the gift-card poller watch ``cardnumber`` (call after issuing or redeeming it)."""
    await track_giftcards(redis, DeploymentKeys.from_settings(settings), [cardnumber])


async def track_pickup_order(redis: aioredis.Redis, settings: Settings, orderid: int) -> None:
    """Have the order poller follow click-and-collect order ``orderid`` until it is finished."""
    await redis.sadd(DeploymentKeys.from_settings(settings).open_pickups, str(orderid))
