"""The reconciliation poller: the orders changed in Shopify since its cursor, web hooks or not.

Shopify does not guarantee delivery (a subscription can be removed, a delivery lost), so
the leader of this poller reads the orders updated since its cursor through the Admin API
and stores each one in the raw stream as an ``orders/updated`` delivery. The translating
consumer then reads the order and derives the same events a web hook would have: nothing
missed, nothing doubled. The cursor is the newest ``updatedAt`` seen; each read overlaps
the last by a margin (clocks, orders saved while a page was read).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Protocol

import structlog

from service.adapters.common.intake import append_delivery
from service.pollers.wiring import SHOPIFY_LEVELS_RECONCILER, SHOPIFY_RECONCILER

if TYPE_CHECKING:
    import redis.asyncio as aioredis

    from service.adapters.shopify.models import LocationLevel, LocationLevelPage, OrderPage
    from service.pollers.cursors import FencedCursors
    from service.pollers.lease import Holding
    from service.records.keys import DeploymentKeys

log = structlog.get_logger(__name__)
POLLED_TOPIC = "orders/updated"
LEVEL_TOPIC = "inventory_levels/update"
ORIGIN_HEADER = "x-sitoo-sync-origin"
MAX_PAGES_PER_CYCLE = 10


class LevelPages(Protocol):
    """The Admin API read the stock poller needs."""

    async def location_levels(
        self, location_id: str, *, after: str | None = None
    ) -> LocationLevelPage:
        """One page of a location's ``available`` levels."""
        ...


class OrderPages(Protocol):
    """The Admin API read the poller needs."""

    async def orders_updated_since(self, since: datetime, *, after: str | None = None) -> OrderPage:
        """Orders updated at or after ``since``, oldest update first."""
        ...


def _now() -> datetime:
    return datetime.now(UTC)


class ShopifyOrdersReconciler:
    """One poll cycle: page through changed orders, store each change once, advance."""

    name = SHOPIFY_RECONCILER

    def __init__(
        self,
        shopify: OrderPages,
        redis: aioredis.Redis,
        cursors: FencedCursors,
        *,
        stream: str,
        keys: DeploymentKeys,
        dedupe_ms: int,
        interval_s: float,
        margin_s: float,
        start_s: float,
        clock: Callable[[], datetime] = _now,
    ) -> None:
        self.interval_s = interval_s
        self._shopify = shopify
        self._redis = redis
        self._cursors = cursors
        self._stream = stream
        self._keys = keys
        self._dedupe_ms = dedupe_ms
        self._margin = timedelta(seconds=margin_s)
        self._start = timedelta(seconds=start_s)
        self._clock = clock

    async def _since(self) -> datetime:
        stored = await self._cursors.get(self.name)
        value = stored.get("updated_at") if isinstance(stored, dict) else None
        if isinstance(value, str):
            return datetime.fromisoformat(value)
        return self._clock() - self._start

    async def cycle(self, holding: Holding) -> None:
        """Store every order changed since the cursor; advance it page by page."""
        newest = await self._since()
        since = newest - self._margin
        after: str | None = None
        stored = seen = 0
        for _ in range(MAX_PAGES_PER_CYCLE):
            page = await self._shopify.orders_updated_since(since, after=after)
            for order in page.orders:
                seen += 1
                updated = order.updated_at.astimezone(UTC).isoformat()
                delivery = f"poll:{order.id}:{updated}"
                entry = await append_delivery(
                    self._redis,
                    stream=self._stream,
                    dedupe_keys=[self._keys.webshop_delivery("shopify", delivery)],
                    dedupe_ms=self._dedupe_ms,
                    delivery_id=delivery,
                    topic=POLLED_TOPIC,
                    body=json.dumps(
                        {"id": order.legacy_id, "admin_graphql_api_id": order.id}
                    ).encode(),
                    headers={ORIGIN_HEADER: "reconciliation"},
                    received_ms=int(self._clock().timestamp() * 1000),
                )
                stored += entry is not None
                newest = max(newest, order.updated_at)
            if not page.has_next_page:
                break
            after = page.end_cursor
        await self._cursors.advance(holding, {"updated_at": newest.astimezone(UTC).isoformat()})
        if stored:
            log.info("shopify_reconcile.stored", orders=stored, seen=seen)


class ShopifyLevelsReconciler:
    """The levels of Shopify-mastered locations changed since the cursor, stored as deliveries.

    ``inventory_levels/update`` is the only other way such a change reaches Sitoo; when it is
    lost, this poller stores the level as that web hook would have (same body, so the same
    event id when Shopify's times agree, and an absolute newest-wins level either way).
    Shopify offers no filter by change time on a location's levels, so every cycle reads
    them all; its interval is long.
    """

    name = SHOPIFY_LEVELS_RECONCILER

    def __init__(
        self,
        shopify: LevelPages,
        redis: aioredis.Redis,
        cursors: FencedCursors,
        *,
        locations: list[str],
        stream: str,
        keys: DeploymentKeys,
        dedupe_ms: int,
        interval_s: float,
        margin_s: float,
        start_s: float,
        clock: Callable[[], datetime] = _now,
    ) -> None:
        self.interval_s = interval_s
        self._shopify = shopify
        self._redis = redis
        self._cursors = cursors
        self._locations = locations
        self._stream = stream
        self._keys = keys
        self._dedupe_ms = dedupe_ms
        self._margin = timedelta(seconds=margin_s)
        self._start = timedelta(seconds=start_s)
        self._clock = clock

    async def cycle(self, holding: Holding) -> None:
        """Store every level changed since the cursor; then advance it."""
        stored_cursor = await self._cursors.get(self.name)
        value = stored_cursor.get("updated_at") if isinstance(stored_cursor, dict) else None
        # Without a cursor the first read starts START_S back, and that start is kept even
        # when nothing changed, so the window never slides past a change unread.
        newest = datetime.fromisoformat(value) if isinstance(value, str) else None
        newest = newest or self._clock() - self._start
        since = newest - self._margin
        stored = 0
        for location in self._locations:
            after: str | None = None
            while True:
                page = await self._shopify.location_levels(
                    f"gid://shopify/Location/{location}", after=after
                )
                for level in page.levels:
                    if level.updated_at < since:
                        continue
                    stored += await self._store(location, level)
                    newest = max(newest, level.updated_at)
                if not page.has_next_page:
                    break
                after = page.end_cursor
        await self._cursors.advance(holding, {"updated_at": newest.astimezone(UTC).isoformat()})
        if stored:
            log.info("shopify_reconcile.levels_stored", levels=stored)

    async def _store(self, location: str, level: LocationLevel) -> int:
        updated = level.updated_at.astimezone(UTC).isoformat()
        item = level.inventory_item_legacy_id
        delivery = f"poll-level:{item}:{location}:{updated}"
        body = {
            "inventory_item_id": item,
            "location_id": int(location),
            "available": level.available,
            "updated_at": updated,
        }
        entry = await append_delivery(
            self._redis,
            stream=self._stream,
            dedupe_keys=[self._keys.webshop_delivery("shopify", delivery)],
            dedupe_ms=self._dedupe_ms,
            delivery_id=delivery,
            topic=LEVEL_TOPIC,
            body=json.dumps(body).encode(),
            headers={ORIGIN_HEADER: "reconciliation"},
            received_ms=int(self._clock().timestamp() * 1000),
        )
        return int(entry is not None)
