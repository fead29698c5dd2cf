"""Warehouse items: on-hand totals, reservations by open orders, and a by-modified-time index."""

from __future__ import annotations

import bisect
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from service.sandbox.clock import Clock, IdSequence
from service.sandbox.values import ZERO, format_money, format_quantity


@dataclass
class WarehouseItem:
    """The stock of one SKU in one warehouse."""

    warehouseitemid: int
    warehouseid: int
    sku: str
    decimaltotal: Decimal = ZERO
    moneytotal: Decimal = ZERO
    datelastmodified: int = 0
    datelaststocktaking: int | None = None
    binlocation: str = ""
    decimalthreshold: Decimal = ZERO


@dataclass(frozen=True)
class Reservation:
    """Quantity an open order holds in a warehouse until a point in time."""

    quantity: Decimal
    until: int


def available(total: Decimal, reserved: Decimal) -> Decimal:
    """What can still be sold: on hand minus reserved."""
    return total - reserved


def active_reserved(reservations: dict[int, Reservation] | None, now: int) -> Decimal:
    """Sum of the reservations whose datereserved is still in the future."""
    if not reservations:
        return ZERO
    return sum((r.quantity for r in reservations.values() if r.until > now), ZERO)


class WarehouseStock:
    """All items of one warehouse, indexed by SKU, by id and by datelastmodified."""

    def __init__(self, warehouseid: int) -> None:
        self.warehouseid = warehouseid
        self.by_sku: dict[str, WarehouseItem] = {}
        self.in_id_order: list[WarehouseItem] = []
        self.by_modified: list[tuple[int, int]] = []  # (datelastmodified, warehouseitemid), sorted
        self.by_id: dict[int, WarehouseItem] = {}
        self.reservations: dict[str, dict[int, Reservation]] = {}

    def add(self, item: WarehouseItem) -> None:
        """Register a new item (ids grow, so the id order is the insertion order)."""
        self.by_sku[item.sku] = item
        self.by_id[item.warehouseitemid] = item
        self.in_id_order.append(item)
        bisect.insort(self.by_modified, (item.datelastmodified, item.warehouseitemid))

    def touch(self, item: WarehouseItem, when: int) -> None:
        """Move an item's datelastmodified and keep the index sorted."""
        old = (item.datelastmodified, item.warehouseitemid)
        index = bisect.bisect_left(self.by_modified, old)
        if index < len(self.by_modified) and self.by_modified[index] == old:
            del self.by_modified[index]
        item.datelastmodified = when
        bisect.insort(self.by_modified, (when, item.warehouseitemid))

    def modified_between(self, low: int | None, high: int | None) -> tuple[int, int]:
        """Index range of by_modified with low <= datelastmodified <= high."""
        start = 0 if low is None else bisect.bisect_left(self.by_modified, (low, -1))
        stop = (
            len(self.by_modified)
            if high is None
            else bisect.bisect_right(self.by_modified, (high, 1 << 62))
        )
        return start, max(start, stop)


class StockBook:
    """Stock of every warehouse; writes go through here so the index stays right."""

    def __init__(self, clock: Clock, ids: IdSequence, *, reservation_bumps_modified: bool) -> None:
        self._clock = clock
        self._ids = ids
        self._bump_on_reserve = reservation_bumps_modified
        self.warehouses: dict[int, WarehouseStock] = {}
        self._reserved_by_order: dict[int, tuple[int, dict[str, Reservation]]] = {}

    def of(self, warehouseid: int) -> WarehouseStock:
        """The stock of a warehouse (created empty on first use)."""
        stock = self.warehouses.get(warehouseid)
        if stock is None:
            stock = self.warehouses[warehouseid] = WarehouseStock(warehouseid)
        return stock

    def find(self, warehouseid: int, sku: str) -> WarehouseItem | None:
        """The item, if the SKU was ever stocked in the warehouse."""
        return self.of(warehouseid).by_sku.get(sku)

    def item(self, warehouseid: int, sku: str) -> WarehouseItem:
        """The item, created with zero stock when the SKU is new to the warehouse."""
        stock = self.of(warehouseid)
        item = stock.by_sku.get(sku)
        if item is None:
            item = WarehouseItem(
                warehouseitemid=self._ids.next("warehouseitem"),
                warehouseid=warehouseid,
                sku=sku,
                datelastmodified=self._clock.now(),
            )
            stock.add(item)
        return item

    def move(self, warehouseid: int, sku: str, delta: Decimal, price_in: Decimal) -> WarehouseItem:
        """Apply a transaction line: change the total and bump datelastmodified."""
        item = self.item(warehouseid, sku)
        item.decimaltotal += delta
        item.moneytotal += delta * price_in
        self.of(warehouseid).touch(item, self._clock.now())
        return item

    def set_values(
        self,
        warehouseid: int,
        sku: str,
        *,
        total: Decimal | None = None,
        money: Decimal | None = None,
        binlocation: str | None = None,
        threshold: Decimal | None = None,
    ) -> WarehouseItem:
        """Set absolute values; datelastmodified moves only when the stock really changed."""
        item = self.item(warehouseid, sku)
        changed = (total is not None and total != item.decimaltotal) or (
            money is not None and money != item.moneytotal
        )
        if total is not None:
            item.decimaltotal = total
        if money is not None:
            item.moneytotal = money
        if binlocation is not None:
            item.binlocation = binlocation
        if threshold is not None:
            item.decimalthreshold = threshold
        if changed:
            self.of(warehouseid).touch(item, self._clock.now())
        return item

    def reserve_for_order(
        self, orderid: int, warehouseid: int | None, quantities: dict[str, Decimal], until: int
    ) -> None:
        """Replace the order's reservation (an empty mapping or no warehouse releases it)."""
        previous = self._reserved_by_order.pop(orderid, None)
        touched: set[tuple[int, str]] = set()
        if previous is not None:
            old_warehouse, old_lines = previous
            stock = self.of(old_warehouse)
            for sku in old_lines:
                stock.reservations.get(sku, {}).pop(orderid, None)
                touched.add((old_warehouse, sku))
        wanted = {sku: qty for sku, qty in quantities.items() if qty > 0}
        if warehouseid is not None and wanted:
            lines = {sku: Reservation(qty, until) for sku, qty in wanted.items()}
            self._reserved_by_order[orderid] = (warehouseid, lines)
            stock = self.of(warehouseid)
            for sku, reservation in lines.items():
                self.item(warehouseid, sku)
                stock.reservations.setdefault(sku, {})[orderid] = reservation
                touched.add((warehouseid, sku))
        if self._bump_on_reserve:
            for wid, sku in touched:
                self.of(wid).touch(self.item(wid, sku), self._clock.now())

    def reserved(self, warehouseid: int, sku: str) -> Decimal:
        """Quantity of the SKU held by open orders right now."""
        return active_reserved(self.of(warehouseid).reservations.get(sku), self._clock.now())

    def to_json(self, item: WarehouseItem) -> dict[str, Any]:
        """The item as Sitoo returns it."""
        reserved = self.reserved(item.warehouseid, item.sku)
        return {
            "warehouseitemid": item.warehouseitemid,
            "warehouseid": item.warehouseid,
            "sku": item.sku,
            "binlocation": item.binlocation,
            "decimalthreshold": format_quantity(item.decimalthreshold),
            "decimaltotal": format_quantity(item.decimaltotal),
            "moneytotal": format_money(item.moneytotal),
            "datelastmodified": item.datelastmodified,
            "datelaststocktaking": item.datelaststocktaking,
            "decimalreserved": format_quantity(reserved),
            "decimalavailable": format_quantity(available(item.decimaltotal, reserved)),
        }

    def query(
        self,
        warehouseid: int,
        *,
        skus: list[str],
        modified_from: int | None,
        modified_to: int | None,
        start: int,
        num: int,
    ) -> tuple[int, list[WarehouseItem]]:
        """One page of items; cost follows the page size, not the warehouse size."""
        stock = self.of(warehouseid)
        if skus:
            found = [stock.by_sku[s] for s in dict.fromkeys(skus) if s in stock.by_sku]
            found = [
                i
                for i in found
                if (modified_from is None or i.datelastmodified >= modified_from)
                and (modified_to is None or i.datelastmodified <= modified_to)
            ]
            found.sort(key=lambda i: i.warehouseitemid)
            return len(found), found[start : start + num]
        if modified_from is None and modified_to is None:
            return len(stock.in_id_order), stock.in_id_order[start : start + num]
        low, high = stock.modified_between(modified_from, modified_to)
        window = stock.by_modified[low + start : min(high, low + start + num)]
        return high - low, [stock.by_id[item_id] for _, item_id in window]
