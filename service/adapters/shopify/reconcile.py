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
from service.pollers.wiring import SHOPIFY_RECONCILER

if TYPE_CHECKING:
    import redis.asyncio as aioredis

    from service.adapters.shopify.models import OrderPage
    from service.pollers.cursors import FencedCursors
    from service.pollers.lease import Holding
    from service.records.keys import DeploymentKeys

log = structlog.get_logger(__name__)
POLLED_TOPIC = "orders/updated"
ORIGIN_HEADER = "x-sitoo-sync-origin"
MAX_PAGES_PER_CYCLE = 10


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
