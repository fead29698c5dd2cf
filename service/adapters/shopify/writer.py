"""Sitoo's changes written to Shopify: stock of Sitoo-mastered locations, pick-up progress.

* ``stock.changed`` of a warehouse that a Sitoo-mastered location maps to becomes an
  absolute ``available`` at that location. A batch is coalesced (per location and SKU
  the highest ``version`` wins), compared with Shopify's current levels (equal ones are
  not written) and sent as ``inventorySetQuantities`` calls of up to 250 quantities, each
  with an ``@idempotent`` key derived from the events. The version written last is
  recorded per location and SKU, so an older level redelivered late is never written over
  a newer one. Shopify echoes the write as ``inventory_levels/update``; the translator
  ignores levels of Sitoo-mastered locations, so nothing loops.
* ``order.pickup_ready`` / ``order.picked_up`` of an order this adapter placed
  (``webshop_order_id`` ``shopify-…``): its pick-up fulfillment orders are prepared for
  pick-up / fulfilled through the client's write-once calls, then recorded as done.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import ROUND_FLOOR, Decimal
from typing import TYPE_CHECKING, Protocol

import structlog

from service.adapters.common.errors import WebshopError
from service.adapters.common.outbound import Applied, OutboundEntry
from service.adapters.shopify.models import QuantityChange
from service.adapters.shopify.translation import order_gid
from service.sitoo.errors import Disposition

if TYPE_CHECKING:
    import redis.asyncio as aioredis

    from service.adapters.shopify.models import (
        InventorySetResult,
        Order,
        VariantRef,
    )
    from service.records.keys import DeploymentKeys
    from service.settings_shopify import ShopifySettings

log = structlog.get_logger(__name__)
PICKUP_EVENTS = frozenset({"order.pickup_ready", "order.picked_up"})
_OPEN_STATUSES = frozenset({"OPEN", "IN_PROGRESS", "SCHEDULED", "ON_HOLD"})
_DONE_TTL_S = 90 * 86_400


class ShopifyWrites(Protocol):
    """The Admin API calls the writer makes."""

    async def get_order(self, order_id: str) -> Order | None:
        """The order with its fulfillment orders."""
        ...

    async def mark_ready_for_pickup(self, fulfillment_order_ids: Sequence[str]) -> bool:
        """Prepare pick-up fulfillment orders, once."""
        ...

    async def fulfil(self, fulfillment_order_ids: Sequence[str]) -> str | None:
        """Fulfil what is left, once."""
        ...

    async def variants_by_sku(self, skus: Iterable[str]) -> dict[str, list[VariantRef]]:
        """Variants per SKU."""
        ...

    async def inventory_levels(
        self, location_id: str, inventory_item_ids: Iterable[str]
    ) -> dict[str, dict[str, int] | None]:
        """``available`` per item at a location (None: not stocked there)."""
        ...

    async def activate_inventory(self, inventory_item_id: str, location_id: str) -> None:
        """Stock an item at a location."""
        ...

    async def set_inventory_quantities(
        self, changes: Sequence[QuantityChange], *, idempotency_key: str
    ) -> list[InventorySetResult]:
        """Absolute quantities, batched, with @idempotent keys."""
        ...


@dataclass(frozen=True, slots=True)
class _Level:
    location_id: str
    sku: str
    available: int
    version: int
    entry_id: str
    event_id: str


class ShopifyWriter:
    """The :class:`~service.adapters.common.outbound.OutboundApplier` for Shopify."""

    def __init__(
        self,
        shopify: ShopifyWrites,
        settings: ShopifySettings,
        redis: aioredis.Redis,
        *,
        keys: DeploymentKeys,
    ) -> None:
        self._shopify = shopify
        self._redis = redis
        self._keys = keys
        self._locations: dict[int, list[str]] = {}
        for location, mapping in settings.locations.items():
            if mapping.stock_master == "sitoo":
                self._locations.setdefault(mapping.warehouse_id, []).append(
                    f"gid://shopify/Location/{location}"
                )
        self.quantities_written = 0
        self.mutations = 0

    async def apply(self, entries: Sequence[OutboundEntry]) -> Applied:
        """Stock first (one coalesced write), then each pick-up event on its own."""
        outcome = Applied()
        levels: list[_Level] = []
        for entry in entries:
            envelope = entry.envelope
            if envelope is None:
                outcome.done.add(entry.entry_id)  # the webshop's own consumers judge it
            elif envelope.type == "stock.changed":
                levels.extend(self._levels(entry))
                outcome.done.add(entry.entry_id)
            elif envelope.type in PICKUP_EVENTS:
                await self._pickup(entry, outcome)
            else:
                outcome.done.add(entry.entry_id)
        if levels:
            await self._write_levels(levels, outcome)
        return outcome

    def _levels(self, entry: OutboundEntry) -> list[_Level]:
        assert entry.envelope is not None  # noqa: S101 - checked by the caller
        data = entry.envelope.data
        locations = self._locations.get(data.get("warehouse_id"), [])  # type: ignore[arg-type]
        sku, version = data.get("sku"), data.get("version")
        try:
            available = int(Decimal(str(data.get("available"))).to_integral_value(ROUND_FLOOR))
        except ArithmeticError:
            return []
        if not isinstance(sku, str) or not isinstance(version, int):
            return []
        return [
            _Level(location, sku, available, version, entry.entry_id, entry.envelope.event_id)
            for location in locations
        ]

    async def _write_levels(self, levels: list[_Level], outcome: Applied) -> None:
        newest: dict[tuple[str, str], _Level] = {}
        for level in levels:
            key = (level.location_id, level.sku)
            if key not in newest or level.version > newest[key].version:
                newest[key] = level
        written = await self._recorded_versions(list(newest))
        pending = [level for key, level in newest.items() if written.get(key, 0) < level.version]
        if not pending:
            return
        try:
            await self._set_levels(pending)
        except WebshopError as exc:
            ids = {level.entry_id for level in levels}
            if exc.disposition is Disposition.DEAD_LETTER:
                outcome.failed.update({i: f"{type(exc).__name__}: {exc}" for i in ids})
            else:
                outcome.retry.update(ids)
            outcome.done.difference_update(ids)
            return
        await self._record_versions(pending)

    async def _set_levels(self, pending: list[_Level]) -> None:
        variants = await self._shopify.variants_by_sku({level.sku for level in pending})
        by_location: dict[str, list[tuple[str, _Level]]] = {}
        for level in pending:
            found = variants.get(level.sku) or []
            if not found:
                log.info("shopify_writer.sku_not_in_shopify", sku=level.sku)
            for variant in found:
                by_location.setdefault(level.location_id, []).append(
                    (variant.inventory_item_id, level)
                )
        changes: list[QuantityChange] = []
        for location, items in by_location.items():
            current = await self._shopify.inventory_levels(location, [i for i, _ in items])
            for item, level in items:
                now = current.get(item)
                if now is None:
                    await self._shopify.activate_inventory(item, location)
                elif now.get("available") == level.available:
                    continue  # already right: no write, no echo
                changes.append(QuantityChange(item, location, level.available, None))
        if not changes:
            return
        targets = (f"{c.inventory_item_id}@{c.location_id}={c.quantity}" for c in changes)
        material = "\n".join(sorted(targets))
        material += "\n" + "\n".join(sorted({level.event_id for level in pending}))
        key = hashlib.blake2b(material.encode(), digest_size=16).hexdigest()
        results = await self._shopify.set_inventory_quantities(changes, idempotency_key=key)
        self.quantities_written += len(changes)
        self.mutations += len(results)

    def _version_key(self, location_id: str, sku: str) -> str:
        return self._keys.webshop_written("shopify", f"stock:{location_id}:{sku}")

    async def _recorded_versions(self, pairs: list[tuple[str, str]]) -> dict[tuple[str, str], int]:
        values = await self._redis.mget([self._version_key(*pair) for pair in pairs])
        return {
            pair: int(value) for pair, value in zip(pairs, values, strict=True) if value is not None
        }

    async def _record_versions(self, levels: list[_Level]) -> None:
        async with self._redis.pipeline(transaction=False) as pipe:
            for level in levels:
                pipe.set(
                    self._version_key(level.location_id, level.sku), level.version, ex=_DONE_TTL_S
                )
            await pipe.execute()

    async def _pickup(self, entry: OutboundEntry, outcome: Applied) -> None:
        assert entry.envelope is not None  # noqa: S101 - checked by the caller
        kind = entry.envelope.type
        webshop_order = entry.envelope.data.get("webshop_order_id")
        order_id = order_gid(webshop_order) if isinstance(webshop_order, str) else None
        if order_id is None:
            outcome.done.add(entry.entry_id)  # an order of another channel
            return
        done_key = self._keys.webshop_written("shopify", f"{kind}:{order_id}")
        if await self._redis.exists(done_key):
            outcome.done.add(entry.entry_id)
            return
        try:
            result = await self._pickup_write(kind, order_id)
        except WebshopError as exc:
            if exc.disposition is Disposition.DEAD_LETTER:
                outcome.failed[entry.entry_id] = f"{type(exc).__name__}: {exc}"
            else:
                outcome.retry.add(entry.entry_id)
            return
        if result is not None:
            outcome.failed[entry.entry_id] = result
            return
        await self._redis.set(done_key, "1", ex=_DONE_TTL_S)
        outcome.done.add(entry.entry_id)

    async def _pickup_write(self, kind: str, order_id: str) -> str | None:
        """Prepare or fulfil the order's pick-up fulfillment orders; a reason when impossible."""
        order = await self._shopify.get_order(order_id)
        if order is None:
            return f"order {order_id} is not in Shopify"
        pickups = [fo for fo in order.fulfillment_orders if fo.is_pickup]
        if not pickups:
            return f"order {order.name} has no pick-up fulfillment order"
        if kind == "order.pickup_ready":
            ready = [fo.id for fo in pickups if fo.status == "OPEN"]
            if ready:
                self.mutations += 1
                made = await self._shopify.mark_ready_for_pickup(ready)
                log.info("shopify_writer.ready_for_pickup", order=order.name, marked=made)
            return None
        remaining = [fo.id for fo in pickups if fo.status in _OPEN_STATUSES]
        if remaining:
            self.mutations += 1
            made_id = await self._shopify.fulfil(remaining)
            log.info("shopify_writer.picked_up", order=order.name, fulfillment=made_id)
        return None
