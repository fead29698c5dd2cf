"""The handler table: which use case applies each inbound event type, checked at start-up.

Every type the contract registry knows has exactly one entry here. A type read one entry
at a time maps to a :class:`OneAtATime` handler; a stock type maps to :data:`IN_A_BATCH`,
applied by :func:`run_stock_batch` together with the other stock events of its batch.
:func:`handler_problem` compares the table with the registry; the composition root
refuses to start on a difference, so a new event type without a handler stops the
service at once instead of being retried until it is dead-lettered.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import TypeVar

from pydantic import BaseModel

from service.contracts.giftcards import (
    GiftCardBalance,
    GiftCardIssued,
    GiftCardRedeem,
    GiftCardRefund,
)
from service.contracts.orders import OrderCancelled, OrderPlaced, OrderRefunded
from service.contracts.registry import EVENT_KINDS, Channel, EventKind, InboundEvent
from service.contracts.stock import StockAdjusted, StockSet
from service.ports import (
    CardCurrencies,
    Clock,
    OrderTombstones,
    RedemptionLedger,
    SitooPort,
    StockLevelStamps,
    TrackedCards,
)
from service.usecases import giftcards, orders, refunds, stock
from service.usecases.directory import Directory
from service.usecases.outcome import Outcome
from service.usecases.stock import Result, StockEvent

P = TypeVar("P", bound=BaseModel)


@dataclass(frozen=True, slots=True)
class UseCaseDeps:
    """Everything the use cases need, built once per process."""

    sitoo: SitooPort
    directory: Directory
    tombstones: OrderTombstones
    redemptions: RedemptionLedger
    currencies: CardCurrencies
    stamps: StockLevelStamps
    tracked_cards: TrackedCards
    clock: Clock
    pickup_reservation: timedelta


@dataclass(frozen=True, slots=True)
class OneAtATime:
    """A use case applying one event by itself."""

    run: Callable[[InboundEvent, UseCaseDeps], Awaitable[Outcome]]


@dataclass(frozen=True, slots=True)
class InABatch:
    """A use case applying the events of a batch together (newest-wins, coalesced)."""

    run: Callable[[Sequence[InboundEvent], UseCaseDeps], Awaitable[dict[str, Result]]]


Handler = OneAtATime | InABatch


def _payload(event: InboundEvent, model: type[P]) -> P:
    # The registry validated the payload as its type's model; a mismatch is a wiring bug.
    payload = event.payload
    if not isinstance(payload, model):
        raise TypeError(f"{event.type} carries {type(payload).__name__}, not {model.__name__}")
    return payload


async def _place_order(event: InboundEvent, deps: UseCaseDeps) -> Outcome:
    return await orders.place_order(
        _payload(event, OrderPlaced),
        event_id=event.event_id,
        sitoo=deps.sitoo,
        directory=deps.directory,
        tombstones=deps.tombstones,
        clock=deps.clock,
        reservation=deps.pickup_reservation,
    )


async def _cancel_order(event: InboundEvent, deps: UseCaseDeps) -> Outcome:
    return await orders.cancel_order(
        _payload(event, OrderCancelled),
        event_id=event.event_id,
        sitoo=deps.sitoo,
        tombstones=deps.tombstones,
        redemptions=deps.redemptions,
    )


async def _record_refund(event: InboundEvent, deps: UseCaseDeps) -> Outcome:
    return await refunds.record_refund(
        _payload(event, OrderRefunded),
        event_id=event.event_id,
        sitoo=deps.sitoo,
        tombstones=deps.tombstones,
        redemptions=deps.redemptions,
    )


async def _tracked(outcome: Outcome, deps: UseCaseDeps, cardnumber: str | None) -> Outcome:
    """Have the gift-card poller follow a card this service wrote to, so its later balance
    changes (in a store, say) are published and mirrored: nothing else names it to the poller.
    A redelivery after a crash before this point tracks it then (the set is idempotent)."""
    number = outcome.sitoo.get("card_number") or cardnumber
    if outcome.succeeded and isinstance(number, str) and number:
        await deps.tracked_cards.track(number)
    return outcome


async def _issue_giftcard(event: InboundEvent, deps: UseCaseDeps) -> Outcome:
    issued = _payload(event, GiftCardIssued)
    outcome = await giftcards.issue_giftcard(
        issued,
        event_id=event.event_id,
        sitoo=deps.sitoo,
        currencies=deps.currencies,
    )
    return await _tracked(outcome, deps, issued.card_number)


async def _redeem_giftcard(event: InboundEvent, deps: UseCaseDeps) -> Outcome:
    redeem = _payload(event, GiftCardRedeem)
    outcome = await giftcards.redeem_giftcard(
        redeem,
        event_id=event.event_id,
        sitoo=deps.sitoo,
        redemptions=deps.redemptions,
        tombstones=deps.tombstones,
        currencies=deps.currencies,
        clock=deps.clock,
    )
    return await _tracked(outcome, deps, redeem.card_number)


async def _refund_giftcard(event: InboundEvent, deps: UseCaseDeps) -> Outcome:
    refund = _payload(event, GiftCardRefund)
    outcome = await giftcards.refund_giftcard(
        refund,
        event_id=event.event_id,
        sitoo=deps.sitoo,
        redemptions=deps.redemptions,
        currencies=deps.currencies,
    )
    return await _tracked(outcome, deps, refund.card_number)


async def _giftcard_balance(event: InboundEvent, deps: UseCaseDeps) -> Outcome:
    return await giftcards.giftcard_balance(
        _payload(event, GiftCardBalance),
        sitoo=deps.sitoo,
        currencies=deps.currencies,
        clock=deps.clock,
    )


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


IN_A_BATCH = InABatch(run_stock_batch)

HANDLERS: Mapping[str, Handler] = {
    "order.placed": OneAtATime(_place_order),
    "order.cancelled": OneAtATime(_cancel_order),
    "order.refunded": OneAtATime(_record_refund),
    "giftcard.issued": OneAtATime(_issue_giftcard),
    "giftcard.redeem": OneAtATime(_redeem_giftcard),
    "giftcard.refund": OneAtATime(_refund_giftcard),
    "giftcard.balance": OneAtATime(_giftcard_balance),
    "stock.adjusted": IN_A_BATCH,
    "stock.set": IN_A_BATCH,
}


def handler_problem(
    kinds: Mapping[str, EventKind] = EVENT_KINDS, table: Mapping[str, Handler] = HANDLERS
) -> str | None:
    """Why the table does not fit the registry (one line), or None when it does.

    The stock stream is read in batches and every other stream one entry at a time, so a
    type's handler must also be of the kind its streams are read with.
    """
    for name in sorted(kinds):
        handler = table.get(name)
        if handler is None:
            return f"event type {name!r} has no handler"
        batched = Channel.STOCK in kinds[name].channels
        if batched != isinstance(handler, InABatch):
            how = "in batches" if batched else "one at a time"
            return f"event type {name!r} is read {how} but its handler is not"
    for name in sorted(set(table) - set(kinds)):
        return f"handler for {name!r}, an event type the registry does not know"
    return None


async def run_one(event: InboundEvent, deps: UseCaseDeps) -> Outcome:
    """Apply one order or gift-card event with its handler from the table."""
    handler = HANDLERS.get(event.type)
    if not isinstance(handler, OneAtATime):
        # Unreachable once the start-up check passed: validation admits registry types only.
        raise TypeError(f"{event.type} is not handled one at a time")
    return await handler.run(event, deps)
