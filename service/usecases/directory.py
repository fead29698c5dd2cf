"""Stores and warehouses by id or externalid, cached, and the rules for picking one."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TypeVar

from service.ports import Clock, Lane, SitooPort
from service.sitoo.models import Store, Warehouse
from service.usecases.outcome import Rejected

T = TypeVar("T")
VIRTUAL_WAREHOUSE = 20
STORE_USETYPE = 10  # the store warehouse use type in Sitoo's examples
SKUS_PER_LOOKUP = 100


def pickup_warehouse_of(store: Store, warehouses: Iterable[Warehouse]) -> Warehouse | None:
    """The warehouse a pickup order in ``store`` goes to: its sellable FIFO warehouse.

    A store may own several; the store use type comes first, then the lowest id.
    """
    candidates = [
        w
        for w in warehouses
        if w.storeid == store.storeid
        and w.sellable is not False
        and w.warehousetype != VIRTUAL_WAREHOUSE
        and w.warehouseid is not None
    ]
    candidates.sort(key=lambda w: (w.usetype != STORE_USETYPE, w.warehouseid or 0))
    return candidates[0] if candidates else None


@dataclass(slots=True)
class _Snapshot:
    stores: list[Store]
    warehouses: list[Warehouse]
    taken_at: datetime


class Directory:
    """Caches Sitoo's stores, warehouses and known SKUs; an unknown id forces a fresh look."""

    def __init__(
        self, sitoo: SitooPort, clock: Clock, *, ttl: timedelta, min_refresh: timedelta
    ) -> None:
        self._sitoo = sitoo
        self._clock = clock
        self._ttl = ttl
        self._min_refresh = min_refresh
        self._snapshot: _Snapshot | None = None
        self._skus_seen: dict[str, datetime] = {}  # SKU -> when Sitoo last confirmed it
        self._lookup = asyncio.Lock()

    async def known_skus(self, skus: Iterable[str]) -> set[str]:
        """The SKUs among ``skus`` that exist in Sitoo.

        Only SKUs found are cached (for the cache TTL): a SKU created in Sitoo after a
        refusal is found on its next use, and a batch of known SKUs costs no lookup.
        """
        wanted = set(skus)
        known = self._cached_skus(wanted)
        if len(known) == len(wanted):
            return known
        # One lookup at a time: a batch read alongside this one (another stock reader)
        # wants mostly the same SKUs, and finds them cached once it gets the lock.
        async with self._lookup:
            return await self._look_up(wanted)

    def _cached_skus(self, wanted: set[str]) -> set[str]:
        now = self._clock()
        return {
            sku
            for sku in wanted
            if (seen := self._skus_seen.get(sku)) is not None and now - seen < self._ttl
        }

    async def _look_up(self, wanted: set[str]) -> set[str]:
        known = self._cached_skus(wanted)
        now = self._clock()
        unknown = sorted(wanted - known)
        for start in range(0, len(unknown), SKUS_PER_LOOKUP):
            chunk = unknown[start : start + SKUS_PER_LOOKUP]
            for product in await self._sitoo.get_products(chunk, lane=Lane.BULK):
                if product.sku is not None and product.sku in wanted:
                    self._skus_seen[product.sku] = now
                    known.add(product.sku)
        return known

    async def _current(self, *, stale_ok: bool) -> _Snapshot:
        now = self._clock()
        snapshot = self._snapshot
        if snapshot is not None:
            age = now - snapshot.taken_at
            if age < self._ttl and (stale_ok or age < self._min_refresh):
                return snapshot
        stores = await self._sitoo.list_stores(lane=Lane.BULK)
        warehouses = await self._sitoo.list_warehouses(lane=Lane.BULK)
        self._snapshot = _Snapshot(stores, warehouses, now)
        return self._snapshot

    async def _find(self, pick: Callable[[_Snapshot], T | None]) -> T | None:
        found = pick(await self._current(stale_ok=True))
        if found is None:  # maybe created since the last read: look once more
            found = pick(await self._current(stale_ok=False))
        return found

    async def store(self, *, store_id: int | None, externalid: str | None) -> Store:
        """The store, or Rejected(unknown_store)."""

        def pick(snapshot: _Snapshot) -> Store | None:
            for store in snapshot.stores:
                if (store_id is not None and store.storeid == store_id) or (
                    externalid is not None and store.externalid == externalid
                ):
                    return store
            return None

        store = await self._find(pick)
        if store is None:
            name = store_id if store_id is not None else externalid
            raise Rejected("unknown_store", f"no Sitoo store {name!r}")
        return store

    async def pickup_warehouse(
        self, *, store_id: int | None, externalid: str | None
    ) -> tuple[Store, Warehouse]:
        """The store and its sellable FIFO warehouse (store use type first, lowest id next)."""
        store = await self.store(store_id=store_id, externalid=externalid)
        warehouse = await self._find(
            lambda snapshot: pickup_warehouse_of(store, snapshot.warehouses)
        )
        if warehouse is None:
            raise Rejected(
                "no_store_warehouse",
                f"store {store.storeid} has no sellable FIFO warehouse in Sitoo",
            )
        return store, warehouse

    async def warehouse(self, *, warehouse_id: int | None, externalid: str | None) -> Warehouse:
        """The warehouse, or Rejected(unknown_warehouse)."""

        def pick(snapshot: _Snapshot) -> Warehouse | None:
            for warehouse in snapshot.warehouses:
                if (warehouse_id is not None and warehouse.warehouseid == warehouse_id) or (
                    externalid is not None and warehouse.externalid == externalid
                ):
                    return warehouse
            return None

        warehouse = await self._find(pick)
        if warehouse is None or warehouse.warehouseid is None:
            name = warehouse_id if warehouse_id is not None else externalid
            raise Rejected("unknown_warehouse", f"no Sitoo warehouse {name!r}")
        return warehouse
