"""`sitoo-sync resync`: re-read Sitoo and publish what the webshop has not seen, like the pollers.

A backfill uses the pollers' own publishing code, so it derives the same event ids and
obeys the same de-duplication: a stock level or gift-card balance that equals the last
published one, or an order event already published, is counted as unchanged and not
appended again. It never moves a poller's cursor and reads in the client's bulk lane,
behind every interactive request.
"""

from __future__ import annotations

import contextlib
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Protocol

from service.pollers.giftcards import publish_balance
from service.pollers.order_events import created_by_us, is_finished, is_our_pickup
from service.pollers.orders import publish_order_progress, record_foreign_order
from service.pollers.stock_levels import PublishOutcome, places, publish_levels
from service.sitoo.errors import NotFound, Permanent
from service.sitoo.limiter import Lane

if TYPE_CHECKING:
    import redis.asyncio as aioredis

    from service.pollers.ports import GiftCardReads, OrderReads, StockReads
    from service.records.keys import DeploymentKeys
    from service.records.publishing import OutboundPublisher
    from service.sitoo.models import Order, WarehouseItem

_AGE = re.compile(r"^(\d+)([mhd])$")
_AGE_UNITS = {"m": "minutes", "h": "hours", "d": "days"}


class Progress(Protocol):
    """Where a backfill reports how far it got."""

    def total(self, count: int | None) -> None:
        """How many steps there are (None: unknown)."""
        ...

    def advance(self, steps: int = 1) -> None:
        """``steps`` more are done."""
        ...


class NoProgress:
    """Reports nothing (library use, tests of the counts)."""

    def total(self, count: int | None) -> None:
        """Ignore the total."""

    def advance(self, steps: int = 1) -> None:
        """Ignore the step."""


@dataclass(slots=True)
class ResyncSummary:
    """What a backfill did."""

    read: int = 0
    published: int = 0
    unchanged: int = 0
    skipped: int = 0  # unreadable in Sitoo, or changed by a poller at the same moment

    def line(self) -> str:
        """``read 120, published 3, unchanged 117`` (plus skipped when there were any)."""
        text = f"read {self.read}, published {self.published}, unchanged {self.unchanged}"
        return text + (f", skipped {self.skipped}" if self.skipped else "")


class InvalidSince(ValueError):
    """A ``--since`` value that is neither a date, a time nor an age."""


def parse_since(text: str, *, now: datetime) -> int:
    """``7d``, ``12h``, ``30m``, ``2026-03-01`` or ``2026-03-01T12:00:00Z`` → Unix seconds."""
    value = text.strip()
    match = _AGE.fullmatch(value)
    if match is not None:
        delta = timedelta(**{_AGE_UNITS[match.group(2)]: int(match.group(1))})
        return int((now - delta).timestamp())
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise InvalidSince(
            f"{text!r} is not an age (30m, 12h, 7d) or a date (2026-03-01, 2026-03-01T12:00:00Z)"
        ) from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return int(moment.timestamp())


def _add(summary: ResyncSummary, outcome: PublishOutcome) -> None:
    summary.read += outcome.read
    summary.published += outcome.published
    summary.skipped += outcome.conflicts
    summary.unchanged += outcome.read - outcome.published - outcome.conflicts


async def resync_stock(
    reads: StockReads,
    publisher: OutboundPublisher,
    *,
    modified_since: int | None,
    page_size: int,
    progress: Progress,
) -> ResyncSummary:
    """Every warehouse's levels (only those modified since, if given), published if they moved."""
    warehouses = await reads.list_warehouses(lane=Lane.BULK)
    stores = await reads.list_stores(lane=Lane.BULK)
    found = places(warehouses, stores)
    progress.total(len(found))
    summary = ResyncSummary()
    seen_at = datetime.now(UTC)
    for place in found:
        page: list[WarehouseItem] = []
        items = reads.iter_warehouse_items(
            place.warehouse_id, modified_from=modified_since, lane=Lane.BULK
        )
        async for item in items:
            page.append(item)
            if len(page) >= page_size:
                _add(summary, await publish_levels(publisher, place, page, seen_at=seen_at))
                page = []
        if page:
            _add(summary, await publish_levels(publisher, place, page, seen_at=seen_at))
        progress.advance()
    return summary


async def _publish_order(
    reads: OrderReads,
    publisher: OutboundPublisher,
    redis: aioredis.Redis,
    keys: DeploymentKeys,
    order: Order,
    *,
    seen_at: datetime,
) -> int:
    """Events published for one order, the way the order poller would publish them."""
    if not created_by_us(order):
        return int(await record_foreign_order(redis, keys, publisher, order, seen_at=seen_at))
    if not is_our_pickup(order):
        return 0
    published = await publish_order_progress(reads, publisher, order, seen_at=seen_at)
    if not is_finished(order):
        # Hand a still-open pick-up to the order poller, which follows it from now on.
        await redis.sadd(keys.open_pickups, str(order.orderid))
    return published


async def resync_orders(
    reads: OrderReads,
    publisher: OutboundPublisher,
    redis: aioredis.Redis,
    *,
    keys: DeploymentKeys,
    from_order_id: int,
    progress: Progress,
) -> ResyncSummary:
    """Orders from ``from_order_id`` up: ``order.recorded`` and pick-up progress not yet sent."""
    progress.total(None)
    summary = ResyncSummary()
    seen_at = datetime.now(UTC)
    orders = reads.iter_orders(orderidfrom=from_order_id, lane=Lane.BULK)
    async with contextlib.aclosing(orders):  # type: ignore[type-var] # an async generator
        async for order in orders:
            if order.orderid is None:
                continue
            summary.read += 1
            published = await _publish_order(reads, publisher, redis, keys, order, seen_at=seen_at)
            summary.published += published
            summary.unchanged += int(published == 0)
            progress.advance()
    return summary


async def resync_giftcards(
    reads: GiftCardReads,
    publisher: OutboundPublisher,
    redis: aioredis.Redis,
    *,
    keys: DeploymentKeys,
    progress: Progress,
) -> ResyncSummary:
    """Every tracked gift card re-read; balances that moved are published."""
    key = keys.tracked_giftcards
    progress.total(int(await redis.scard(key)))
    summary = ResyncSummary()
    seen_at = datetime.now(UTC)
    async for raw in redis.sscan_iter(key, count=500):
        number = raw.decode() if isinstance(raw, bytes) else str(raw)
        summary.read += 1
        try:
            card = await reads.get_giftcard(number, lane=Lane.BULK)
        except (NotFound, Permanent):
            summary.skipped += 1  # the poller drops unknown cards; a backfill only reports
        else:
            if await publish_balance(publisher, number, card, seen_at=seen_at):
                summary.published += 1
            else:
                summary.unchanged += 1
        progress.advance()
    return summary
