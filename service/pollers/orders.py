"""The order poller: new orders by id cursor, and the click-and-collect orders still open."""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from datetime import UTC, datetime
from typing import TYPE_CHECKING

import structlog

from service.pollers.order_events import (
    created_by_us,
    giftcards_on,
    is_finished,
    is_our_pickup,
    lifecycle_events,
    recorded_event,
)
from service.pollers.tracking import track_giftcards
from service.sitoo.errors import NotFound
from service.sitoo.limiter import Lane

if TYPE_CHECKING:
    import redis.asyncio as aioredis

    from service.pollers.cursors import FencedCursors
    from service.pollers.lease import Holding
    from service.pollers.ports import OrderReads
    from service.records.keys import DeploymentKeys
    from service.records.publishing import OutboundPublisher
    from service.sitoo.models import Order

log = structlog.get_logger(__name__)


def _now() -> datetime:
    return datetime.now(UTC)


async def publish_order_progress(
    reads: OrderReads, publisher: OutboundPublisher, order: Order, *, seen_at: datetime
) -> int:
    """Publish the lifecycle events of one of our click-and-collect orders not yet published."""
    if order.orderid is None:
        return 0
    log_items = await reads.list_order_log_items(order.orderid, lane=Lane.BULK)
    published = 0
    for envelope in lifecycle_events(order, log_items, seen_at=seen_at):
        published += await publisher.publish_once(envelope)
    return published


async def record_foreign_order(
    redis: aioredis.Redis,
    keys: DeploymentKeys,
    publisher: OutboundPublisher,
    order: Order,
    *,
    seen_at: datetime,
) -> bool:
    """``order.recorded`` for an order made outside sitoo-sync; its gift cards become tracked."""
    envelope = recorded_event(order, seen_at=seen_at)
    if envelope is None:
        return False
    await track_giftcards(redis, keys, giftcards_on(order))
    return await publisher.publish_once(envelope)


class OrdersPoller:
    """Publishes ``order.recorded`` for new foreign orders and lifecycle events for our pickups.

    New orders are read by id (``orderidfrom`` with ascending sort), which also catches
    offline POS sales that reach Sitoo late: they get a new id when they arrive. The cursor
    is the next order id to read and moves only after the orders before it were published.
    """

    name = "orders"

    def __init__(
        self,
        reads: OrderReads,
        publisher: OutboundPublisher,
        cursors: FencedCursors,
        redis: aioredis.Redis,
        *,
        keys: DeploymentKeys,
        interval_s: float,
        max_orders_per_cycle: int,
        pickups_per_cycle: int,
        start_id: int | None = None,
        clock: Callable[[], datetime] = _now,
    ) -> None:
        self.interval_s = interval_s
        self._reads = reads
        self._publisher = publisher
        self._cursors = cursors
        self._redis = redis
        self._keys = keys
        self._max_orders = max_orders_per_cycle
        self._pickups_per_cycle = pickups_per_cycle
        self._start_id = start_id
        self._clock = clock
        self._rotation = 0

    async def cycle(self, holding: Holding) -> None:
        """Read new orders, publish, advance; then re-read the open pickups."""
        await self._new_orders(holding)
        await self._follow_pickups()

    async def _new_orders(self, holding: Holding) -> None:
        cursor = await self._cursors.get(self.name)
        stored = cursor.get("next_order_id") if isinstance(cursor, dict) else None
        if isinstance(stored, int):
            next_id = stored
        elif self._start_id is not None:
            next_id = self._start_id
        else:
            # First run on this account: what happened before the service existed is history,
            # not news; the cursor starts after it and is saved at once.
            newest = await self._reads.newest_order_id(lane=Lane.BULK)
            next_id = (newest or 0) + 1
            await self._cursors.advance(holding, {"next_order_id": next_id})
        first_id, count = next_id, 0
        seen_at = self._clock()
        orders = self._reads.iter_orders(orderidfrom=next_id, lane=Lane.BULK)
        async with contextlib.aclosing(orders):  # type: ignore[type-var] # an async generator
            async for order in orders:
                if order.orderid is None:
                    continue
                await self._new_order(order, seen_at=seen_at)
                next_id = max(next_id, order.orderid + 1)
                count += 1
                if count >= self._max_orders:
                    break
        if next_id != first_id:
            await self._cursors.advance(holding, {"next_order_id": next_id})
        log.info("poller.orders.cycle", new_orders=count, next_order_id=next_id)

    async def _new_order(self, order: Order, *, seen_at: datetime) -> None:
        if created_by_us(order):
            if is_our_pickup(order):
                await self._redis.sadd(self._keys.open_pickups, str(order.orderid))
            return
        await record_foreign_order(self._redis, self._keys, self._publisher, order, seen_at=seen_at)

    async def _follow_pickups(self) -> None:
        members = sorted(int(m) for m in await self._redis.smembers(self._keys.open_pickups))
        if not members:
            return
        # Rotate through the set so a long list of open orders is covered over several cycles.
        start = self._rotation % len(members)
        batch = (members[start:] + members[:start])[: self._pickups_per_cycle]
        self._rotation = start + len(batch)
        seen_at = self._clock()
        for orderid in batch:
            try:
                order = await self._reads.get_order(orderid, lane=Lane.BULK)
            except NotFound:
                log.warning("poller.orders.pickup_vanished", orderid=orderid)
                await self._redis.srem(self._keys.open_pickups, str(orderid))
                continue
            await publish_order_progress(self._reads, self._publisher, order, seen_at=seen_at)
            if is_finished(order):
                await self._redis.srem(self._keys.open_pickups, str(orderid))
