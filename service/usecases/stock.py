"""Stock: coalesced warehouse transactions for deltas, newest-wins levels for virtual stock.

A batch of ``stock.adjusted`` events becomes one Sitoo request per 1000 transactions,
whatever their warehouses (the site-level endpoint takes a ``warehouseid`` per element,
and the single request slot is the scarce resource), one transaction per event under
that event's own op key (claimed for every event of the request in one script call),
so an event is applied once whatever batch it lands in, even while another replica works
on the same entries: an event whose key is held elsewhere is left for later, when it
finds the key done. Sitoo answers each element of a request, so only the refused events
fail; if it refuses a request as a whole, each event of it is sent alone.

``stock.set`` keeps, per (warehouse, SKU), the stamp (occurred_at, event id, level) of
the newest event seen. Every level written is the stamp's level, and after writing the
stamps are read again: if a newer one arrived meanwhile, its level is written too, so
concurrent replicas converge on the newest level.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Generic, TypeVar

from pydantic import JsonValue

from service.contracts.stock import StockAdjusted, StockSet
from service.ports import LevelStamp, SitooPort, StockLevelStamps
from service.sitoo.errors import Permanent
from service.sitoo.keys import operation_reference
from service.sitoo.models import (
    NewWarehouseTransaction,
    NewWarehouseTransactionItem,
    Warehouse,
    WarehouseItemLevel,
)
from service.usecases.directory import VIRTUAL_WAREHOUSE, Directory
from service.usecases.outcome import Outcome, Rejected

MAX_TRANSACTIONS_PER_REQUEST = 1000
MAX_LEVELS_PER_REQUEST = 1000
MOVE_IN = 10
MOVE_OUT = 20
_CONVERGE_ROUNDS = 3

Result = Outcome | BaseException
P = TypeVar("P")
T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class StockEvent(Generic[P]):
    """One stock event of a batch."""

    event_id: str
    occurred_at: datetime
    payload: P


def _chunks(items: Sequence[T], size: int) -> list[Sequence[T]]:
    return [items[i : i + size] for i in range(0, len(items), size)]


class _Warehouses:
    """The directory's warehouses as one batch sees them: each one looked up once."""

    def __init__(self, directory: Directory) -> None:
        self._directory = directory
        self._found: dict[tuple[int | None, str | None], Warehouse] = {}

    async def find(self, payload: StockAdjusted | StockSet) -> Warehouse:
        """The event's warehouse, or Rejected (not remembered: the next event looks again)."""
        name = (payload.warehouse_id, payload.warehouse_externalid)
        warehouse = self._found.get(name)
        if warehouse is None:
            warehouse = await self._directory.warehouse(warehouse_id=name[0], externalid=name[1])
            self._found[name] = warehouse
        return warehouse


async def _target(
    payload: StockAdjusted | StockSet, warehouses: _Warehouses, known: set[str], *, virtual: bool
) -> int:
    """The warehouse id an event writes to, or Rejected with the reason it cannot."""
    warehouse = await warehouses.find(payload)
    if warehouse.warehouseid is None:
        raise Rejected("unknown_warehouse", "the warehouse has no id in Sitoo")
    is_virtual = warehouse.warehousetype == VIRTUAL_WAREHOUSE
    if virtual and not is_virtual:
        raise Rejected(
            "not_virtual",
            f"warehouse {warehouse.warehouseid} is not virtual: use stock.adjusted for it",
        )
    if not virtual and is_virtual:
        raise Rejected(
            "virtual_warehouse",
            f"warehouse {warehouse.warehouseid} is virtual: use stock.set for it",
        )
    missing = sorted({item.sku for item in payload.items} - known)
    if missing:
        raise Rejected("unknown_sku", "unknown SKU(s) in Sitoo: " + ", ".join(missing[:20]))
    return warehouse.warehouseid


def _transaction(warehouseid: int, event: StockEvent[StockAdjusted]) -> NewWarehouseTransaction:
    items = event.payload.items
    return NewWarehouseTransaction(
        warehouseid=warehouseid,
        transactiontype=MOVE_IN if items[0].delta > 0 else MOVE_OUT,
        description=event.payload.reason,
        externalid=operation_reference(adjust_op_key(event.event_id)),
        items=[NewWarehouseTransactionItem(sku=i.sku, decimalquantity=i.delta) for i in items],
    )


def adjust_op_key(event_id: str) -> str:
    """The operation key of one event's stock transaction (its externalid derives from it)."""
    return f"{event_id}:stock-adjust"


async def _send(
    sitoo: SitooPort, group: dict[str, tuple[str, NewWarehouseTransaction]]
) -> dict[str, Result]:
    """One request for the group (op key -> (event id, transaction)); a result per event."""
    try:
        answers = await sitoo.add_warehouse_transactions_each(
            {op_key: transaction for op_key, (_, transaction) in group.items()}
        )
    except Permanent as refused:
        if len(group) == 1:
            return {event_id: refused for event_id, _ in group.values()}
        # Refused as a whole (not element by element): nothing was applied; find the bad one.
        results: dict[str, Result] = {}
        for op_key, pending in group.items():
            results.update(await _send(sitoo, {op_key: pending}))
        return results
    except Exception as error:  # noqa: BLE001 - transient: reported per event, retried later
        return {event_id: error for event_id, _ in group.values()}
    results = {}
    for op_key, (event_id, transaction) in group.items():
        answer = answers.get(op_key)
        if isinstance(answer, int):
            results[event_id] = Outcome.ok(
                warehousetransactionid=answer, warehouseid=transaction.warehouseid
            )
        else:
            results[event_id] = answer or RuntimeError("no answer for the transaction")
    return results


async def adjust_stock(
    events: Sequence[StockEvent[StockAdjusted]],
    *,
    sitoo: SitooPort,
    directory: Directory,
) -> dict[str, Result]:
    """Apply every event's deltas once; one request per 1000 transactions, any warehouses."""
    results: dict[str, Result] = {}
    known = await directory.known_skus({i.sku for e in events for i in e.payload.items})
    warehouses = _Warehouses(directory)
    pending: dict[str, tuple[str, NewWarehouseTransaction]] = {}
    for event in events:
        try:
            warehouseid = await _target(event.payload, warehouses, known, virtual=False)
        except Rejected as rejected:
            results[event.event_id] = rejected
            continue
        pending[adjust_op_key(event.event_id)] = (event.event_id, _transaction(warehouseid, event))
    keys = list(pending)
    for start in range(0, len(keys), MAX_TRANSACTIONS_PER_REQUEST):
        chunk = {key: pending[key] for key in keys[start : start + MAX_TRANSACTIONS_PER_REQUEST]}
        results.update(await _send(sitoo, chunk))
    return results


async def _write_levels(
    sitoo: SitooPort, stamps: StockLevelStamps, warehouseid: int, skus: list[str]
) -> None:
    written: dict[str, LevelStamp] = {}
    pending = skus
    for _ in range(_CONVERGE_ROUNDS):
        levels: list[WarehouseItemLevel] = []
        for sku in pending:
            stamp = await stamps.current(warehouseid, sku)
            if stamp is not None and written.get(sku) != stamp:
                levels.append(WarehouseItemLevel(sku=sku, decimaltotal=stamp.quantity))
                written[sku] = stamp
        if not levels:
            return
        for chunk in _chunks(levels, MAX_LEVELS_PER_REQUEST):
            await sitoo.set_warehouse_items(warehouseid, chunk)
        pending = [level.sku for level in levels]


async def set_stock(
    events: Sequence[StockEvent[StockSet]],
    *,
    sitoo: SitooPort,
    directory: Directory,
    stamps: StockLevelStamps,
) -> dict[str, Result]:
    """Write absolute levels to virtual warehouses; an older event never overwrites a newer."""
    results: dict[str, Result] = {}
    known = await directory.known_skus({i.sku for e in events for i in e.payload.items})
    warehouses = _Warehouses(directory)
    touched: dict[int, set[str]] = defaultdict(set)
    accepted: dict[str, tuple[int, list[JsonValue], list[JsonValue]]] = {}
    for event in events:
        try:
            warehouseid = await _target(event.payload, warehouses, known, virtual=True)
        except Rejected as rejected:
            results[event.event_id] = rejected
            continue
        applied: list[JsonValue] = []
        skipped: list[JsonValue] = []
        millis = int(event.occurred_at.timestamp() * 1000)
        for item in event.payload.items:
            stamp = LevelStamp(millis, event.event_id, item.quantity)
            if await stamps.offer(warehouseid, item.sku, stamp):
                applied.append(item.sku)
                touched[warehouseid].add(item.sku)
            else:
                skipped.append(item.sku)
        accepted[event.event_id] = (warehouseid, applied, skipped)
    failures: dict[int, BaseException] = {}
    for warehouseid, skus in touched.items():
        try:
            await _write_levels(sitoo, stamps, warehouseid, sorted(skus))
        except Exception as error:  # noqa: BLE001 - reported per event below
            failures[warehouseid] = error
    for event_id, (warehouseid, applied, skipped) in accepted.items():
        failure = failures.get(warehouseid)
        results[event_id] = (
            failure
            if failure is not None
            else Outcome.ok(warehouseid=warehouseid, applied=applied, skipped_older=skipped)
        )
    return results
