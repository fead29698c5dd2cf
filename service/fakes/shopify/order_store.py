"""The state behind orders: the books of orders, fulfillment orders, transactions, refunds."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal

from service.fakes.common.clock import Clock
from service.fakes.common.ledger import Ledger
from service.fakes.shopify.catalog import Catalog
from service.fakes.shopify.clock import IdSequence
from service.fakes.shopify.giftcards import GiftCardBook
from service.fakes.shopify.order_model import (
    Fulfillment,
    FulfillmentOrder,
    Order,
    Refund,
    Transaction,
)

Emit = Callable[[str, str, int], None]  # topic, resource kind, number


class OrderRefused(Exception):
    """An order write Shopify refuses with a userError."""

    def __init__(self, message: str, field: list[str] | None = None, code: str = "INVALID") -> None:
        super().__init__(message)
        self.message = message
        self.field = field
        self.code = code


@dataclass(frozen=True)
class Payment:
    """How part of an order was paid at checkout (a gift card, or any other gateway)."""

    gateway: str
    amount: Decimal
    gift_card: int | None = None


class OrderStore:
    """Orders and everything hanging off them, and the dependencies that change them."""

    def __init__(
        self,
        *,
        clock: Clock,
        ids: IdSequence,
        ledger: Ledger,
        catalog: Catalog,
        giftcards: GiftCardBook,
        emit: Emit,
    ) -> None:
        self._clock = clock
        self._ids = ids
        self._ledger = ledger
        self._catalog = catalog
        self._giftcards = giftcards
        self._emit = emit
        self.orders: dict[int, Order] = {}
        self.fulfillment_orders: dict[int, FulfillmentOrder] = {}
        self.fulfillments: dict[int, Fulfillment] = {}
        self.transactions: dict[int, Transaction] = {}
        self.refunds: dict[int, Refund] = {}
        self.next_order_number = 1001

    def _location_of(self, order: Order, line_number: int) -> int | None:
        for fo_number in order.fulfillment_orders:
            fo = self.fulfillment_orders[fo_number]
            if any(line.line_item == line_number for line in fo.lines):
                return fo.location
        return None

    def _touch(self, number: int) -> None:
        self.orders[number].updated_at = self._clock.now()
