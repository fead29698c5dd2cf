"""Routes a validated event to its use case with the dependencies it needs."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta

from service.contracts.giftcards import (
    GiftCardBalance,
    GiftCardIssued,
    GiftCardRedeem,
    GiftCardRefund,
)
from service.contracts.orders import OrderCancelled, OrderPlaced
from service.contracts.registry import InboundEvent
from service.contracts.stock import StockAdjusted, StockSet
from service.ports import (
    CardCurrencies,
    Clock,
    OrderTombstones,
    RedemptionLedger,
    SitooPort,
    StockLevelStamps,
)
from service.usecases import giftcards, orders, stock
from service.usecases.directory import Directory
from service.usecases.outcome import Outcome
from service.usecases.stock import Result, StockEvent


@dataclass(frozen=True, slots=True)
class UseCaseDeps:
    """Everything the use cases need, built once per process."""

    sitoo: SitooPort
    directory: Directory
    tombstones: OrderTombstones
    redemptions: RedemptionLedger
    currencies: CardCurrencies
    stamps: StockLevelStamps
    clock: Clock
    pickup_reservation: timedelta


async def run_one(event: InboundEvent, deps: UseCaseDeps) -> Outcome:
    """Apply one order or gift-card event."""
    payload = event.payload
    event_id = event.event_id
    if isinstance(payload, OrderPlaced):
        return await orders.place_order(
            payload,
            event_id=event_id,
            sitoo=deps.sitoo,
            directory=deps.directory,
            tombstones=deps.tombstones,
            clock=deps.clock,
            reservation=deps.pickup_reservation,
        )
    if isinstance(payload, OrderCancelled):
        return await orders.cancel_order(
            payload,
            event_id=event_id,
            sitoo=deps.sitoo,
            tombstones=deps.tombstones,
            redemptions=deps.redemptions,
        )
    if isinstance(payload, GiftCardIssued):
        return await giftcards.issue_giftcard(
            payload, event_id=event_id, sitoo=deps.sitoo, currencies=deps.currencies
        )
    if isinstance(payload, GiftCardRedeem):
        return await giftcards.redeem_giftcard(
            payload,
            event_id=event_id,
            sitoo=deps.sitoo,
            redemptions=deps.redemptions,
            tombstones=deps.tombstones,
            currencies=deps.currencies,
            clock=deps.clock,
        )
    if isinstance(payload, GiftCardRefund):
        return await giftcards.refund_giftcard(
            payload,
            event_id=event_id,
            sitoo=deps.sitoo,
            redemptions=deps.redemptions,
            currencies=deps.currencies,
        )
    if isinstance(payload, GiftCardBalance):
        return await giftcards.giftcard_balance(
            payload, sitoo=deps.sitoo, currencies=deps.currencies, clock=deps.clock
        )
    raise TypeError(f"{event.type} is not handled one at a time")


async def run_stock_batch(events: Sequence[InboundEvent], deps: UseCaseDeps) -> dict[str, Result]:
    """Apply a batch of stock events: adjustments coalesced, levels newest-wins."""
    adjusted: list[StockEvent[StockAdjusted]] = []
    levels: list[StockEvent[StockSet]] = []
    # The same event twice in one batch (a webshop re-send) must become one transaction.
    unique = {event.event_id: event for event in reversed(events)}
    for event in reversed(unique.values()):
        payload = event.payload
        if isinstance(payload, StockAdjusted):
            adjusted.append(StockEvent(event.event_id, event.envelope.occurred_at, payload))
        elif isinstance(payload, StockSet):
            levels.append(StockEvent(event.event_id, event.envelope.occurred_at, payload))
        else:
            raise TypeError(f"{event.type} is not a stock event")
    results: dict[str, Result] = {}
    if adjusted:
        results.update(
            await stock.adjust_stock(adjusted, sitoo=deps.sitoo, directory=deps.directory)
        )
    if levels:
        results.update(
            await stock.set_stock(
                levels, sitoo=deps.sitoo, directory=deps.directory, stamps=deps.stamps
            )
        )
    return results
