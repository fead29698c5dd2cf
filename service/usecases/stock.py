"""Stock: coalesced warehouse transactions for deltas, newest-wins levels for virtual stock.

A batch of ``stock.adjusted`` events becomes one Sitoo request per warehouse (at most
1000 transactions each), one transaction per event under that event's own op key, so a
redelivered event is never applied twice whatever batch it lands in. If Sitoo refuses a
coalesced request, each event of it is sent alone, so only the bad ones fail.

``stock.set`` keeps, per (warehouse, SKU), the stamp (occurred_at, event id, level) of
the newest event seen. Every level written is the stamp's level, and after writing the
stamps are read again: if a newer one arrived meanwhile, its level is written too, so
concurrent replicas converge on the newest level.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Generic, TypeVar

from pydantic import JsonValue

from service.contracts.stock import StockAdjusted, StockSet
from service.ports import AdjustmentLedger, Clock, LevelStamp, SitooPort, StockLevelStamps
from service.sitoo.errors import Permanent
from service.sitoo.keys import operation_reference
from service.sitoo.models import (
    NewWarehouseTransaction,
    NewWarehouseTransactionItem,
    WarehouseItemLevel,
)
from service.usecases.directory import VIRTUAL_WAREHOUSE, Directory
from service.usecases.outcome import Outcome, Rejected

MAX_TRANSACTIONS_PER_REQUEST = 1000
MAX_LEVELS_PER_REQUEST = 1000
MOVE_IN = 10
RECONCILE_MARGIN_S = 600  # clock skew between us and Sitoo, generously
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


async def _known_skus(sitoo: SitooPort, skus: set[str]) -> set[str]:
    if not skus:
        return set()
    found: set[str] = set()
    for chunk in _chunks(sorted(skus), 100):
        found.update(p.sku for p in await sitoo.get_products(chunk) if p.sku)
    return found


async def _target(
    payload: StockAdjusted | StockSet, directory: Directory, known: set[str], *, virtual: bool
) -> int:
    """The warehouse id an event writes to, or Rejected with the reason it cannot."""
    warehouse = await directory.warehouse(
        warehouse_id=payload.warehouse_id, externalid=payload.warehouse_externalid
    )
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


def batch_op_key(event_ids: Sequence[str]) -> str:
    """The same set of events always forms the same request operation."""
    digest = hashlib.blake2b("\n".join(sorted(event_ids)).encode(), digest_size=16).hexdigest()
    return f"stock-adjust-batch:{digest}"


Pending = tuple[str, NewWarehouseTransaction]


@dataclass(slots=True)
class _Adjuster:
    sitoo: SitooPort
    ledger: AdjustmentLedger
    results: dict[str, Result]

    async def done(self, event_id: str, transaction_id: int, warehouseid: int) -> None:
        await self.ledger.finish(event_id, transaction_id)
        self.results[event_id] = Outcome.ok(
            warehousetransactionid=transaction_id, warehouseid=warehouseid
        )

    async def reconcile(
        self, warehouseid: int, group: list[Pending], since_s: int
    ) -> list[Pending]:
        """Find earlier attempts' transactions by externalid; the ones still missing."""
        wanted = {t.externalid: event_id for event_id, t in group}
        found: dict[str, int] = {}
        async for seen in self.sitoo.iter_warehouse_transactions(
            warehouseid=warehouseid, created_from=since_s - RECONCILE_MARGIN_S
        ):
            if (
                seen.externalid is not None
                and seen.externalid in wanted
                and seen.warehousetransactionid is not None
            ):
                found[seen.externalid] = seen.warehousetransactionid
        missing: list[Pending] = []
        for event_id, transaction in group:
            transaction_id = found.get(transaction.externalid or "")
            if transaction_id is None:
                missing.append((event_id, transaction))
            else:
                await self.done(event_id, transaction_id, warehouseid)
        return missing

    async def send(self, warehouseid: int, group: list[Pending], since_s: int) -> None:
        """Post the group as one request; on a refusal, reconcile and send each alone."""
        try:
            ids = await self.sitoo.add_warehouse_transactions(
                [t for _, t in group], op_key=batch_op_key([event_id for event_id, _ in group])
            )
        except Permanent as error:
            if len(group) == 1:
                self.results[group[0][0]] = error
                return
            # Sitoo applies the good elements of a batch it partly refuses: look first.
            for single in await self.reconcile(warehouseid, group, since_s):
                await self.send(warehouseid, [single], since_s)
            return
        except Exception as error:  # noqa: BLE001 - transient: reported per event, retried later
            for event_id, _ in group:
                self.results[event_id] = error
            return
        for (event_id, _), transaction_id in zip(group, ids, strict=True):
            await self.done(event_id, transaction_id, warehouseid)


async def adjust_stock(
    events: Sequence[StockEvent[StockAdjusted]],
    *,
    sitoo: SitooPort,
    directory: Directory,
    ledger: AdjustmentLedger,
    clock: Clock,
) -> dict[str, Result]:
    """Apply every event's deltas once; one request per warehouse and 1000 transactions."""
    results: dict[str, Result] = {}
    known = await _known_skus(sitoo, {i.sku for e in events for i in e.payload.items})
    fresh: dict[int, list[Pending]] = defaultdict(list)
    retried: dict[int, list[Pending]] = defaultdict(list)
    oldest_attempt: dict[int, int] = {}
    now_s = int(clock().timestamp())
    adjuster = _Adjuster(sitoo, ledger, results)
    for event in events:
        try:
            warehouseid = await _target(event.payload, directory, known, virtual=False)
        except Rejected as rejected:
            results[event.event_id] = rejected
            continue
        record = await ledger.begin(event.event_id, now_s)
        if record.transaction_id is not None:
            results[event.event_id] = Outcome.ok(
                warehousetransactionid=record.transaction_id, warehouseid=warehouseid
            )
            continue
        pending = (event.event_id, _transaction(warehouseid, event))
        if record.attempted_since_s is None:
            fresh[warehouseid].append(pending)
        else:  # an earlier attempt may have reached Sitoo: find it before sending again
            retried[warehouseid].append(pending)
            since = min(oldest_attempt.get(warehouseid, now_s), record.attempted_since_s)
            oldest_attempt[warehouseid] = since
    for warehouseid, group in retried.items():
        try:
            missing = await adjuster.reconcile(warehouseid, group, oldest_attempt[warehouseid])
        except Exception as error:  # noqa: BLE001 - transient: reported per event
            for event_id, _ in group:
                results[event_id] = error
            continue
        fresh[warehouseid].extend(missing)
    for warehouseid, group in fresh.items():
        for chunk in _chunks(group, MAX_TRANSACTIONS_PER_REQUEST):
            await adjuster.send(warehouseid, list(chunk), oldest_attempt.get(warehouseid, now_s))
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
    known = await _known_skus(sitoo, {i.sku for e in events for i in e.payload.items})
    touched: dict[int, set[str]] = defaultdict(set)
    accepted: dict[str, tuple[int, list[JsonValue], list[JsonValue]]] = {}
    for event in events:
        try:
            warehouseid = await _target(event.payload, directory, known, virtual=True)
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
