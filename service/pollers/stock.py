"""The stock poller: recently modified warehouse items per warehouse, plus periodic snapshots."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import TYPE_CHECKING

import structlog
from pydantic import JsonValue

from service.pollers.stock_levels import PublishOutcome, WarehousePlace, places, publish_levels
from service.sitoo.limiter import Lane
from service.sitoo.models import WarehouseItem

if TYPE_CHECKING:
    from service.pollers.cursors import FencedCursors
    from service.pollers.lease import Holding
    from service.pollers.ports import StockReads
    from service.records.publishing import OutboundPublisher

log = structlog.get_logger(__name__)


class StockPoller:
    """Publishes ``stock.changed`` for items modified since the cursor (minus a margin).

    The cursor keeps, per warehouse, the highest ``datelastmodified`` seen (Sitoo's own
    clock, so clock skew between us and Sitoo does not matter), and when the last full
    snapshot ran. Each cycle asks Sitoo only for items modified since cursor minus margin,
    so its cost follows the number of changes, not the size of the catalogue. Reservations
    do not move ``datelastmodified``; the periodic full snapshot catches those.
    """

    name = "stock"

    def __init__(
        self,
        reads: StockReads,
        publisher: OutboundPublisher,
        cursors: FencedCursors,
        *,
        interval_s: float,
        snapshot_interval_s: float,
        margin_s: int,
        page_size: int,
        wall_clock: Callable[[], float] = time.time,
    ) -> None:
        self.interval_s = interval_s
        self._reads = reads
        self._publisher = publisher
        self._cursors = cursors
        self._snapshot_interval_s = snapshot_interval_s
        self._margin_s = margin_s
        self._page_size = page_size
        self._wall_clock = wall_clock
        self.last_outcome = PublishOutcome()

    async def cycle(self, holding: Holding) -> None:
        """Poll every warehouse once, publish the changes, then move the cursor."""
        cursor = await self._cursors.get(self.name)
        state = cursor if isinstance(cursor, dict) else {}
        raw_marks = state.get("warehouses")
        marks = raw_marks if isinstance(raw_marks, dict) else {}
        last_snapshot = state.get("snapshot_at")
        now = self._wall_clock()
        snapshot = not isinstance(last_snapshot, int | float) or (
            now - last_snapshot >= self._snapshot_interval_s
        )
        warehouses = await self._reads.list_warehouses(lane=Lane.BULK)
        stores = await self._reads.list_stores(lane=Lane.BULK)
        outcome = PublishOutcome()
        new_marks: dict[str, JsonValue] = {}
        for place in places(warehouses, stores):
            mark = marks.get(str(place.warehouse_id))
            since = mark if isinstance(mark, int) and not snapshot else None
            high, done = await self._poll_warehouse(place, since)
            outcome += done
            new_marks[str(place.warehouse_id)] = max(high, mark if isinstance(mark, int) else 0)
        self.last_outcome = outcome
        await self._cursors.advance(
            holding,
            {
                "warehouses": new_marks,
                "snapshot_at": now if snapshot else last_snapshot,
            },
        )
        log.info(
            "poller.stock.cycle",
            snapshot=snapshot,
            read=outcome.read,
            published=outcome.published,
            conflicts=outcome.conflicts,
        )

    async def _poll_warehouse(
        self, place: WarehousePlace, since: int | None
    ) -> tuple[int, PublishOutcome]:
        """Read (a window of) one warehouse page by page; returns the newest mark seen."""
        modified_from = None if since is None else max(0, since - self._margin_s)
        seen_at = datetime.fromtimestamp(self._wall_clock(), UTC)
        high = since or 0
        outcome = PublishOutcome()
        page: list[WarehouseItem] = []
        async for item in self._reads.iter_warehouse_items(
            place.warehouse_id, modified_from=modified_from, lane=Lane.BULK
        ):
            page.append(item)
            if item.datelastmodified is not None:
                high = max(high, item.datelastmodified)
            if len(page) >= self._page_size:
                outcome += await publish_levels(self._publisher, place, page, seen_at=seen_at)
                page = []
        if page:
            outcome += await publish_levels(self._publisher, place, page, seen_at=seen_at)
        return high, outcome
