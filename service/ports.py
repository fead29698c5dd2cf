"""What the use cases depend on, as Protocols: Sitoo, per-aggregate state and a clock.

The Sitoo side is the idempotent client in :mod:`service.sitoo`; the state ports are
implemented on Redis in :mod:`service.records.state`. Unit tests use fakes.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Protocol

from service.contracts.giftcards import DeclineReason
from service.sitoo.errors import SitooError
from service.sitoo.limiter import Lane
from service.sitoo.models import (
    GiftCard,
    GiftCardResult,
    GiftCardTransactionIn,
    NewGiftCard,
    NewOrder,
    NewWarehouseTransaction,
    Order,
    OrderState,
    OrderUpdate,
    Product,
    Store,
    Warehouse,
    WarehouseItemLevel,
    WarehouseTransaction,
)

__all__ = [
    "Clock",
    "Lane",
    "LevelStamp",
    "OrderTombstones",
    "Redemption",
    "RedemptionLedger",
    "SitooPort",
    "StockLevelStamps",
]


class SitooPort(Protocol):
    """The part of the Sitoo client the use cases call; every write is exactly-once by op_key."""

    async def get_products(self, skus: Sequence[str], *, lane: Lane = Lane.BULK) -> list[Product]:
        """The products among ``skus`` that exist."""
        ...

    async def list_stores(self, *, lane: Lane = Lane.BULK) -> list[Store]:
        """Every store of the site."""
        ...

    async def list_warehouses(self, *, lane: Lane = Lane.BULK) -> list[Warehouse]:
        """Every warehouse of the site."""
        ...

    async def create_order(self, order: NewOrder, *, op_key: str, lane: Lane = Lane.BULK) -> int:
        """Create the order once; the orderid."""
        ...

    async def find_orders_by_externalid(
        self, externalids: Sequence[str], *, lane: Lane = Lane.BULK
    ) -> list[Order]:
        """The orders carrying these externalids."""
        ...

    async def set_order_state(
        self, orderid: int, state: OrderState, *, op_key: str, lane: Lane = Lane.BULK
    ) -> bool:
        """Move the order to ``state`` (read-compare-write); True when it changed."""
        ...

    async def update_order(
        self, orderid: int, update: OrderUpdate, *, lane: Lane = Lane.BULK
    ) -> None:
        """PUT absolute values onto the order (repeating it is harmless)."""
        ...

    async def issue_giftcard(
        self, card: NewGiftCard, *, op_key: str, pin: str | None = None, lane: Lane = Lane.BULK
    ) -> GiftCardResult:
        """Issue the card once."""
        ...

    async def get_giftcard(
        self, cardnumber: str, *, pin: str | None = None, lane: Lane = Lane.BULK
    ) -> GiftCard:
        """The card with balance and history."""
        ...

    async def add_giftcard_transactions(
        self,
        cardnumber: str,
        transactions: Sequence[GiftCardTransactionIn],
        *,
        op_key: str,
        pin: str | None = None,
        lane: Lane = Lane.BULK,
    ) -> GiftCardResult:
        """Add loads or redemptions once."""
        ...

    async def find_giftcard_transactions(
        self,
        cardnumber: str,
        transactions: Sequence[GiftCardTransactionIn],
        *,
        op_key: str,
        pin: str | None = None,
        lane: Lane = Lane.BULK,
    ) -> GiftCardResult | None:
        """What add_giftcard_transactions under ``op_key`` applied, without writing."""
        ...

    async def rollback_giftcard_transactions(
        self,
        cardnumber: str,
        transaction_ids: Sequence[str],
        *,
        op_key: str,
        pin: str | None = None,
        lane: Lane = Lane.BULK,
    ) -> None:
        """Undo earlier transactions once."""
        ...

    async def add_warehouse_transactions(
        self,
        transactions: Sequence[NewWarehouseTransaction],
        *,
        op_key: str,
        lane: Lane = Lane.BULK,
    ) -> list[int]:
        """Post up to 1000 transactions in one request, once per op_key; their ids in order."""
        ...

    async def add_warehouse_transactions_each(
        self,
        transactions: Mapping[str, NewWarehouseTransaction],
        *,
        lane: Lane = Lane.BULK,
    ) -> dict[str, int | SitooError]:
        """Post up to 1000 transactions in one request, each once by its own op key.

        Per op key: the transaction id, OperationInFlight while another worker holds the
        key, or the error Sitoo refused that element with. Raises when the request fails
        as a whole.
        """
        ...

    def iter_warehouse_transactions(
        self,
        *,
        idfrom: int = 1,
        warehouseid: int | None = None,
        created_from: int | None = None,
        created_to: int | None = None,
        transactiontype: int | None = None,
        lane: Lane = Lane.BULK,
    ) -> AsyncIterator[WarehouseTransaction]:
        """Warehouse transactions in ascending id order."""
        ...

    async def set_warehouse_items(
        self, warehouseid: int, items: Sequence[WarehouseItemLevel], *, lane: Lane = Lane.BULK
    ) -> list[int]:
        """Set absolute levels in a virtual warehouse (idempotent by nature)."""
        ...


class Clock(Protocol):
    """The current time, aware and in UTC."""

    def __call__(self) -> datetime:
        """Now."""
        ...


class OrderTombstones(Protocol):
    """Remembers orders cancelled before (or while) they were placed."""

    async def mark_cancelled(self, order_id: str) -> None:
        """Record that the webshop cancelled ``order_id``; kept for the retention period."""
        ...

    async def is_cancelled(self, order_id: str) -> bool:
        """True once ``order_id`` was cancelled."""
        ...


@dataclass(frozen=True, slots=True)
class Redemption:
    """A gift-card redemption applied in Sitoo, kept so it can be rolled back."""

    redeem_event_id: str
    card_number: str
    amount: Decimal
    currency: str
    transaction_ids: list[str]
    order_id: str | None = None
    rolled_back_by: str | None = None
    undo: DeclineReason | None = None  # why the redeem must undo itself, known when recorded


class RedemptionLedger(Protocol):
    """Applied redemptions by redeem event id and by order, plus voids of unseen ones."""

    async def record(self, redemption: Redemption) -> None:
        """Remember an applied redemption (idempotent)."""
        ...

    async def get(self, redeem_event_id: str) -> Redemption | None:
        """The redemption applied for ``redeem_event_id``, if any."""
        ...

    async def for_order(self, order_id: str) -> list[Redemption]:
        """Every redemption recorded for ``order_id``."""
        ...

    async def mark_rolled_back(self, redeem_event_id: str, *, by: str) -> None:
        """Note that the redemption was rolled back by event ``by``."""
        ...

    async def add_return(
        self, redeem_event_id: str, event_id: str, transaction_ids: list[str]
    ) -> None:
        """Remember a part of the redemption given back by event ``event_id`` (idempotent)."""
        ...

    async def returns(self, redeem_event_id: str) -> dict[str, list[str]]:
        """The parts given back so far: event id → Sitoo transaction ids."""
        ...

    async def void(self, redeem_event_id: str) -> None:
        """Tombstone: that redeem must never be applied (a refund named it first)."""
        ...

    async def is_void(self, redeem_event_id: str) -> bool:
        """True once ``redeem_event_id`` was voided."""
        ...


class TrackedCards(Protocol):
    """The cards the gift-card poller re-reads (Sitoo lists no cards and reports no change)."""

    async def track(self, cardnumber: str) -> None:
        """Have the poller follow ``cardnumber`` from now on (idempotent)."""
        ...


class CardCurrencies(Protocol):
    """Each gift card's currency as Sitoo reported it, so a mismatch is refused unwritten."""

    async def remember(self, card_number: str, currency: str) -> None:
        """Note the card's currency (a card's currency never changes)."""
        ...

    async def known(self, card_number: str) -> str | None:
        """The card's currency, if seen before."""
        ...


@dataclass(frozen=True, slots=True)
class LevelStamp:
    """Which event set a (warehouse, sku) level: newest ``occurred_at`` wins, ties by event id."""

    occurred_at_ms: int
    event_id: str
    quantity: Decimal

    def newer_or_same(self, other: LevelStamp) -> bool:
        """True when self should win over ``other`` (the same event wins again on redelivery)."""
        return (self.occurred_at_ms, self.event_id) >= (other.occurred_at_ms, other.event_id)


class StockLevelStamps(Protocol):
    """The last level applied per (warehouse, sku)."""

    async def offer(self, warehouseid: int, sku: str, stamp: LevelStamp) -> bool:
        """Store ``stamp`` if it is newer or the same as the stored one; True if stored."""
        ...

    async def current(self, warehouseid: int, sku: str) -> LevelStamp | None:
        """The stored stamp."""
        ...
