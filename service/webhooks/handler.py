"""What one stored Sitoo event means: read the resource it names, publish the outbound events.

The Events SPI carries ids only, so each event is dereferenced through the Sitoo client
and turned into events by the same functions the pollers use: both paths publish the
same change under the same event id, and whichever comes second is dropped.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import TYPE_CHECKING

import structlog

from service.pollers.giftcards import publish_balance
from service.pollers.order_events import created_by_us, giftcards_on, is_finished, is_our_pickup
from service.pollers.orders import publish_order_progress, record_foreign_order
from service.pollers.stock_levels import WarehousePlace, places, publish_levels
from service.sitoo.errors import NotFound, Permanent
from service.sitoo.limiter import Lane

if TYPE_CHECKING:
    import redis.asyncio as aioredis

    from service.pollers.ports import SitooReads
    from service.records.keys import DeploymentKeys
    from service.records.publishing import OutboundPublisher
    from service.webhooks.intake import SitooEvent

log = structlog.get_logger(__name__)
ORDER_EVENT_TYPES = frozenset({"order", "booking", "order-delivery"})
TRANSACTION_EVENT_TYPE = "warehouse-transaction"
# The reference names the payload fields only loosely; accept the spellings seen or likely.
_TRANSACTION_ID_KEYS = (
    "warehouse_transaction_id",
    "warehousetransaction_id",
    "warehousetransactionid",
)
PLACES_TTL_S = 300.0


def _now() -> datetime:
    return datetime.now(UTC)


def _int(value: object) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.isdigit():
        return int(value)
    return None


class SitooEventHandler:
    """Dereferences one Sitoo event and publishes what it changed."""

    def __init__(
        self,
        redis: aioredis.Redis,
        sitoo: SitooReads,
        publisher: OutboundPublisher,
        *,
        keys: DeploymentKeys,
        clock: Callable[[], datetime] = _now,
    ) -> None:
        self._redis = redis
        self._sitoo = sitoo
        self._publisher = publisher
        self._keys = keys
        self._clock = clock
        self._places: dict[int, WarehousePlace] = {}
        self._places_read_at = float("-inf")

    async def handle(self, event: SitooEvent) -> str:
        """Publish what the event changed; returns a short outcome for the log."""
        if event.event_type in ORDER_EVENT_TYPES:
            return await self._order(_int(event.data.get("order_id")))
        if event.event_type == TRANSACTION_EVENT_TYPE:
            ids = [_int(event.data.get(key)) for key in _TRANSACTION_ID_KEYS]
            found = next((i for i in ids if i is not None), None)
            return await self._transaction(found, _int(event.data.get("warehouse_id")))
        return "ignored"

    async def _order(self, orderid: int | None) -> str:
        if orderid is None:
            return "no order id"
        try:
            order = await self._sitoo.get_order(orderid, lane=Lane.BULK)
        except NotFound:
            return "order not found"
        seen_at = self._clock()
        if created_by_us(order):
            if not is_our_pickup(order):
                return "own delivery order"
            published = await publish_order_progress(
                self._sitoo, self._publisher, order, seen_at=seen_at
            )
            key = self._keys.open_pickups
            if is_finished(order):
                await self._redis.srem(key, str(orderid))
            else:
                await self._redis.sadd(key, str(orderid))
            return f"pickup progress: {published} published"
        await record_foreign_order(self._redis, self._keys, self._publisher, order, seen_at=seen_at)
        # A card used or sold in the store: its new balance need not wait for the poller.
        for number in sorted(giftcards_on(order)):
            try:
                card = await self._sitoo.get_giftcard(number, lane=Lane.BULK)
            except Permanent as exc:
                log.info("webhook.giftcard_unreadable", card=number[-4:], error=str(exc)[:200])
                continue
            await publish_balance(self._publisher, number, card, seen_at=seen_at)
        return "order recorded"

    async def _transaction(self, transactionid: int | None, warehouseid: int | None) -> str:
        if transactionid is None:
            return "no transaction id"
        transactions = self._sitoo.iter_warehouse_transactions(
            idfrom=transactionid, warehouseid=warehouseid, lane=Lane.BULK
        )
        transaction = None
        async with contextlib.aclosing(transactions):  # type: ignore[type-var] # async generator
            async for candidate in transactions:
                if candidate.warehousetransactionid == transactionid:
                    transaction = candidate
                break
        if transaction is None or transaction.warehouseid is None:
            return "transaction not found"
        skus = sorted({item.sku for item in transaction.items or [] if item.sku})
        if not skus:
            return "transaction without items"
        place = await self._place(transaction.warehouseid)
        items = [
            item
            async for item in self._sitoo.iter_warehouse_items(
                transaction.warehouseid, skus=skus, lane=Lane.BULK
            )
        ]
        outcome = await publish_levels(self._publisher, place, items, seen_at=self._clock())
        return f"stock: {outcome.published} published"

    async def _place(self, warehouseid: int) -> WarehousePlace:
        stale = time.monotonic() - self._places_read_at > PLACES_TTL_S
        if stale or warehouseid not in self._places:
            warehouses = await self._sitoo.list_warehouses(lane=Lane.BULK)
            stores = await self._sitoo.list_stores(lane=Lane.BULK)
            self._places = {p.warehouse_id: p for p in places(warehouses, stores)}
            self._places_read_at = time.monotonic()
        return self._places.get(
            warehouseid,
            WarehousePlace(warehouse_id=warehouseid, store_id=None, store_externalid=None),
        )
