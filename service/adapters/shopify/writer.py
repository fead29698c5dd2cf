"""Sitoo's changes written to Shopify: stock of Sitoo-mastered locations, pick-up progress.

* ``stock.changed`` of a warehouse that a Sitoo-mastered location maps to becomes an
  absolute ``available`` at that location. A batch is coalesced (per location and SKU
  the highest ``version`` wins), compared with Shopify's current levels (equal ones are
  not written) and sent as ``inventorySetQuantities`` calls of up to 250 quantities, each
  with an ``@idempotent`` key derived from the events and ``changeFromQuantity`` set to
  the level read. Each level is written under its record in
  :mod:`~service.records.levels` (the newest version wins, one replica at a time), so an
  older level redelivered late, or taken over from a killed replica while a newer one is
  being written, is never written over a newer one. Shopify echoes the write as
  ``inventory_levels/update``; the translator ignores levels of Sitoo-mastered locations,
  so nothing loops.
* ``order.pickup_ready`` / ``order.picked_up`` of an order this adapter placed
  (``webshop_order_id`` ``shopify-…``): its pick-up fulfillment orders are prepared for
  pick-up / fulfilled through the client's write-once calls, then recorded as done.
* ``order.cancelled`` (cancelled in a store): see
  :mod:`~service.adapters.shopify.store_cancellation`.
* ``giftcard.balance_changed``, with mirroring on: the card's Shopify mirror is created
  or its balance made Sitoo's (:mod:`~service.adapters.shopify.giftcard_mirroring`).
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
from service.adapters.shopify.giftcard_mirroring import BALANCE_EVENT, MirrorBusy, MirrorRefused
from service.adapters.shopify.models import QuantityChange
from service.adapters.shopify.store_cancellation import STORE_CANCELLED_EVENT, StoreCancellations
from service.adapters.shopify.translation import order_gid
from service.adapters.shopify.write_once import DONE_TTL_S, settle_failure, write_once
from service.records.levels import WrittenLevels
from service.records.steps import WrittenSteps
from service.sitoo.errors import Disposition

if TYPE_CHECKING:
    import redis.asyncio as aioredis

    from service.adapters.shopify.giftcard_mirroring import GiftCardMirroring
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
        cancellations: StoreCancellations | None = None,
        mirroring: GiftCardMirroring | None = None,
        write_lease_ms: int = 180_000,
    ) -> None:
        self._shopify = shopify
        self._cancellations = cancellations
        self._mirroring = mirroring
        self._redis = redis
        self._keys = keys
        self._written = WrittenLevels(
            redis, keys=keys, webshop="shopify", lease_ms=write_lease_ms, retention_s=DONE_TTL_S
        )
        self._steps = WrittenSteps(
            redis, keys=keys, webshop="shopify", lease_ms=write_lease_ms, retention_s=DONE_TTL_S
        )
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
            elif envelope.type == STORE_CANCELLED_EVENT and self._cancellations is not None:
                await self._cancellations.apply(entry, outcome)
            elif envelope.type == BALANCE_EVENT and self._mirroring is not None:
                await self._mirror(entry, self._mirroring, outcome)
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
        newest: dict[str, _Level] = {}
        for level in levels:
            place = f"stock:{level.location_id}:{level.sku}"
            if place not in newest or level.version > newest[place].version:
                newest[place] = level
        held = await self._written.take({place: level.version for place, level in newest.items()})
        # A level whose older version another replica is writing now: the entries that
        # carry it come again once that write has ended.
        later = {e.entry_id for e in levels if f"stock:{e.location_id}:{e.sku}" in held.busy}
        outcome.retry.update(later)
        outcome.done.difference_update(later)
        pending = [newest[place] for place in held.go]
        if not pending:
            return
        try:
            await self._set_levels(pending)
        except WebshopError as exc:
            await self._written.release(held, held.go)
            ids = {level.entry_id for level in levels}
            if exc.disposition is Disposition.DEAD_LETTER:
                outcome.failed.update({i: f"{type(exc).__name__}: {exc}" for i in ids})
            else:
                outcome.retry.update(ids)
            outcome.done.difference_update(ids)
            return
        except Exception:
            # Anything else (Redis away, a bug): hand the levels back rather than leave them
            # held until the lease runs out; the shared writer retries the batch.
            await self._written.release(held, held.go)
            raise
        await self._written.written(held, held.go)

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
                # Compared with what was read: a write that lands between the read and this
                # one (a replica whose lease on the level ran out) refuses it, never overwrites.
                was = None if now is None else now.get("available")
                changes.append(QuantityChange(item, location, level.available, was))
        if not changes:
            return
        targets = (
            f"{c.inventory_item_id}@{c.location_id}:{c.change_from}={c.quantity}" for c in changes
        )
        material = "\n".join(sorted(targets))
        material += "\n" + "\n".join(sorted({level.event_id for level in pending}))
        key = hashlib.blake2b(material.encode(), digest_size=16).hexdigest()
        results = await self._shopify.set_inventory_quantities(changes, idempotency_key=key)
        self.quantities_written += len(changes)
        self.mutations += len(results)

    async def _mirror(
        self, entry: OutboundEntry, mirroring: GiftCardMirroring, outcome: Applied
    ) -> None:
        assert entry.envelope is not None  # noqa: S101 - checked by the caller
        try:
            done = await mirroring.apply(entry.envelope)
        except MirrorRefused as exc:
            outcome.failed[entry.entry_id] = str(exc)
            return
        except MirrorBusy:
            outcome.retry.add(entry.entry_id)
            return
        except WebshopError as exc:
            settle_failure(exc, entry.entry_id, outcome)
            return
        log.info("shopify_writer.giftcard", event_id=entry.envelope.event_id, done=done)
        outcome.done.add(entry.entry_id)

    async def _pickup(self, entry: OutboundEntry, outcome: Applied) -> None:
        assert entry.envelope is not None  # noqa: S101 - checked by the caller
        kind = entry.envelope.type
        webshop_order = entry.envelope.data.get("webshop_order_id")
        order_id = order_gid(webshop_order) if isinstance(webshop_order, str) else None
        if order_id is None:
            outcome.done.add(entry.entry_id)  # an order of another channel
            return
        await write_once(
            self._steps,
            f"{kind}:{order_id}",
            entry.entry_id,
            outcome,
            lambda: self._pickup_write(kind, order_id),
        )

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
