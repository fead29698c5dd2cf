"""The Sitoo reads the pollers and the Events SPI consumer depend on."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from typing import Protocol

from service.sitoo.limiter import Lane
from service.sitoo.models import (
    GiftCard,
    Order,
    OrderLogItem,
    Store,
    Warehouse,
    WarehouseItem,
    WarehouseTransaction,
)


class StockReads(Protocol):
    """Warehouses, stores and stock lines."""

    async def list_warehouses(self, *, lane: Lane = ...) -> list[Warehouse]:
        """Every warehouse of the site."""
        ...

    async def list_stores(self, *, lane: Lane = ...) -> list[Store]:
        """Every store of the site."""
        ...

    def iter_warehouse_items(
        self,
        warehouseid: int,
        *,
        skus: Sequence[str] = ...,
        modified_from: int | None = ...,
        modified_to: int | None = ...,
        lane: Lane = ...,
    ) -> AsyncIterator[WarehouseItem]:
        """Stock lines of a warehouse, optionally only some SKUs or a modification window."""
        ...


class OrderReads(Protocol):
    """Orders and their logs."""

    def iter_orders(
        self,
        *,
        orderidfrom: int = ...,
        orderstate: Sequence[int] = ...,
        warehouseid: Sequence[int] = ...,
        externalid: Sequence[str] = ...,
        fields: Sequence[str] = ...,
        lane: Lane = ...,
    ) -> AsyncIterator[Order]:
        """Orders with id at least ``orderidfrom``, ascending."""
        ...

    async def get_order(self, orderid: int, *, lane: Lane = ...) -> Order:
        """One order with its lines."""
        ...

    async def newest_order_id(self, *, lane: Lane = ...) -> int | None:
        """The highest order id, or None when there are no orders."""
        ...

    async def list_order_log_items(self, orderid: int, *, lane: Lane = ...) -> list[OrderLogItem]:
        """An order's log."""
        ...


class GiftCardReads(Protocol):
    """Single gift cards (Sitoo has no list of them)."""

    async def get_giftcard(
        self, cardnumber: str, *, pin: str | None = ..., lane: Lane = ...
    ) -> GiftCard:
        """A card with balance and history."""
        ...


class TransactionReads(Protocol):
    """Warehouse transactions by id cursor."""

    def iter_warehouse_transactions(
        self,
        *,
        idfrom: int = ...,
        warehouseid: int | None = ...,
        created_from: int | None = ...,
        created_to: int | None = ...,
        transactiontype: int | None = ...,
        lane: Lane = ...,
    ) -> AsyncIterator[WarehouseTransaction]:
        """Warehouse transactions with id at least ``idfrom``, ascending."""
        ...


class SitooReads(StockReads, OrderReads, GiftCardReads, TransactionReads, Protocol):
    """Everything the Sitoo-to-webshop direction reads; ``SitooClient`` provides it."""
