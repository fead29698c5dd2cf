"""In-memory stand-ins for the use cases' ports (unit tests of pure logic only)."""
# ruff: noqa: ARG002 - the fakes keep the ports' full signatures, lanes included

from __future__ import annotations

import itertools
from collections.abc import AsyncIterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from service.ports import Lane, LevelStamp, Redemption
from service.sitoo.errors import (
    BadRequest,
    BatchItemRejected,
    NotFound,
    OperationInFlight,
    ServiceUnavailable,
    SitooError,
)
from service.sitoo.models import (
    GiftCard,
    GiftCardResult,
    GiftCardTransaction,
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

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


def clock() -> datetime:
    """A fixed now."""
    return NOW


@dataclass
class FakeCard:
    """A card's state."""

    number: str
    balance: Decimal
    currency: str = "SEK"
    pin: str | None = None
    redeemable: bool = True
    expires: int | None = None
    history: list[GiftCardTransaction] = field(default_factory=list)

    def model(self) -> GiftCard:
        return GiftCard(
            cardnumber=self.number,
            currencycode=self.currency,
            moneyamount=self.balance,
            redeemable=self.redeemable,
            requirespin=self.pin is not None,
            date_expires=self.expires,
            transactions=list(self.history),
        )


class FakeSitoo:
    """SitooPort in memory: writes are remembered per op_key like the real client does."""

    def __init__(self) -> None:
        self.stores = [Store(storeid=1, externalid="STORE-1"), Store(storeid=2, externalid="S2")]
        self.warehouses = [
            Warehouse(warehouseid=11, storeid=1, warehousetype=10, sellable=True, usetype=10),
            Warehouse(warehouseid=12, storeid=2, warehousetype=10, sellable=False),
            Warehouse(warehouseid=20, warehousetype=20, externalid="WEB"),
            Warehouse(warehouseid=30, warehousetype=10, externalid="RETURNS"),
        ]
        self.skus = {f"SKU-{i}" for i in range(1, 10)}
        self.orders: dict[int, Order] = {}
        self.created: list[NewOrder] = []
        self.cards: dict[str, FakeCard] = {}
        self.transactions: list[WarehouseTransaction] = []
        self.transaction_requests: list[int] = []  # size of each POST
        self.levels: dict[tuple[int, str], Decimal] = {}
        self.level_requests = 0
        self.rollbacks: list[tuple[str, list[str]]] = []
        self.calls: list[str] = []
        self.done: dict[str, Any] = {}
        self.held: set[str] = set()  # op keys another worker holds right now
        self.fail_next: dict[str, Exception] = {}
        self._ids = itertools.count(1)

    def _fail(self, name: str) -> None:
        self.calls.append(name)
        error = self.fail_next.pop(name, None)
        if error is not None:
            raise error

    async def _once(self, op_key: str, work: Any) -> Any:
        if op_key not in self.done:
            self.done[op_key] = await work()
        return self.done[op_key]

    async def get_products(self, skus: Sequence[str], *, lane: Lane = Lane.BULK) -> list[Product]:
        self._fail("get_products")
        return [Product(sku=s) for s in skus if s in self.skus]

    async def list_stores(self, *, lane: Lane = Lane.BULK) -> list[Store]:
        self._fail("list_stores")
        return list(self.stores)

    async def list_warehouses(self, *, lane: Lane = Lane.BULK) -> list[Warehouse]:
        self._fail("list_warehouses")
        return list(self.warehouses)

    async def create_order(self, order: NewOrder, *, op_key: str, lane: Lane = Lane.BULK) -> int:
        async def work() -> int:
            self._fail("create_order")
            orderid = next(self._ids)
            self.created.append(order)
            self.orders[orderid] = Order(
                orderid=orderid, externalid=order.externalid, orderstateid=0
            )
            return orderid

        return int(await self._once(op_key, work))

    async def find_orders_by_externalid(
        self, externalids: Sequence[str], *, lane: Lane = Lane.BULK
    ) -> list[Order]:
        self._fail("find_orders_by_externalid")
        return [o for o in self.orders.values() if o.externalid in externalids]

    async def set_order_state(
        self, orderid: int, state: OrderState, *, op_key: str, lane: Lane = Lane.BULK
    ) -> bool:
        async def work() -> bool:
            self._fail("set_order_state")
            order = self.orders[orderid]
            if order.orderstateid == state:
                return False
            self.orders[orderid] = order.model_copy(update={"orderstateid": int(state)})
            return True

        return bool(await self._once(op_key, work))

    async def update_order(
        self, orderid: int, update: OrderUpdate, *, lane: Lane = Lane.BULK
    ) -> None:
        self._fail("update_order")
        order = self.orders[orderid]
        extra = {**(order.additionaldata or {}), **(update.additionaldata or {})}
        self.orders[orderid] = order.model_copy(update={"additionaldata": extra})

    async def issue_giftcard(
        self, card: NewGiftCard, *, op_key: str, pin: str | None = None, lane: Lane = Lane.BULK
    ) -> GiftCardResult:
        async def work() -> GiftCardResult:
            self._fail("issue_giftcard")
            number = card.cardnumber or "9" * 20
            amount = sum((t.moneyamount for t in card.transactions), Decimal(0))
            self.cards[number] = FakeCard(number, amount, card.currencycode, pin)
            return GiftCardResult(giftcard=self.cards[number].model(), addedtransactionids=["1"])

        result: GiftCardResult = await self._once(op_key, work)
        return result

    async def get_giftcard(
        self, cardnumber: str, *, pin: str | None = None, lane: Lane = Lane.BULK
    ) -> GiftCard:
        self._fail("get_giftcard")
        card = self.cards.get(cardnumber)
        if card is None:
            raise NotFound("GET giftcard: HTTP 404", status=404, errortext="Gift card not found")
        if card.pin is not None and pin is not None and pin != card.pin:
            raise BadRequest("GET giftcard: HTTP 400", status=400, errortext="Invalid pin")
        return card.model()

    async def add_giftcard_transactions(
        self,
        cardnumber: str,
        transactions: Sequence[GiftCardTransactionIn],
        *,
        op_key: str,
        pin: str | None = None,
        lane: Lane = Lane.BULK,
    ) -> GiftCardResult:
        async def work() -> GiftCardResult:
            self._fail("add_giftcard_transactions")
            card = self.cards.get(cardnumber)
            if card is None:
                raise NotFound("POST", status=404, errortext="Gift card not found")
            if card.pin is not None and pin != card.pin:
                raise BadRequest("POST", status=400, errortext="Invalid pin")
            if card.expires is not None and card.expires <= int(NOW.timestamp()):
                raise BadRequest("POST", status=400, errortext="Gift card has expired")
            if not card.redeemable:
                raise BadRequest("POST", status=400, errortext="Gift card is not redeemable")
            added = []
            for t in transactions:
                if card.balance + t.moneyamount < 0:
                    raise BadRequest("POST", status=400, errortext="Insufficient balance")
                card.balance += t.moneyamount
                tid = str(next(self._ids))
                card.history.append(
                    GiftCardTransaction(transactionid=tid, moneyamount=t.moneyamount)
                )
                added.append(tid)
            return GiftCardResult(giftcard=card.model(), addedtransactionids=added)

        result: GiftCardResult = await self._once(op_key, work)
        return result

    async def find_giftcard_transactions(
        self,
        cardnumber: str,
        transactions: Sequence[GiftCardTransactionIn],
        *,
        op_key: str,
        pin: str | None = None,
        lane: Lane = Lane.BULK,
    ) -> GiftCardResult | None:
        self._fail("find_giftcard_transactions")
        found: GiftCardResult | None = self.done.get(op_key)
        return found

    async def rollback_giftcard_transactions(
        self,
        cardnumber: str,
        transaction_ids: Sequence[str],
        *,
        op_key: str,
        pin: str | None = None,
        lane: Lane = Lane.BULK,
    ) -> None:
        async def work() -> bool:
            self._fail("rollback_giftcard_transactions")
            card = self.cards[cardnumber]
            for t in [t for t in card.history if t.transactionid in transaction_ids]:
                card.balance -= t.moneyamount or Decimal(0)
                card.history.remove(t)
            self.rollbacks.append((cardnumber, list(transaction_ids)))
            return True

        await self._once(op_key, work)

    async def add_warehouse_transactions(
        self,
        transactions: Sequence[NewWarehouseTransaction],
        *,
        op_key: str,
        lane: Lane = Lane.BULK,
    ) -> list[int]:
        async def work() -> list[int]:
            self._fail("add_warehouse_transactions")
            self.transaction_requests.append(len(transactions))
            ids = []
            for t in transactions:
                if any(i.sku not in self.skus for i in t.items):
                    raise BadRequest("POST", status=400, errortext="Unknown sku")
            for t in transactions:
                tid = next(self._ids)
                self.transactions.append(
                    WarehouseTransaction(
                        warehousetransactionid=tid,
                        warehouseid=t.warehouseid,
                        externalid=t.externalid,
                        transactiontype=t.transactiontype,
                    )
                )
                ids.append(tid)
            return ids

        return list(await self._once(op_key, work))

    async def add_warehouse_transactions_each(
        self,
        transactions: Mapping[str, NewWarehouseTransaction],
        *,
        lane: Lane = Lane.BULK,
    ) -> dict[str, int | SitooError]:
        """Like the client: per op key once; held keys in flight; bad elements refused alone."""
        self._fail("add_warehouse_transactions_each")
        answers: dict[str, int | SitooError] = {}
        sent = 0
        for index, (op_key, t) in enumerate(transactions.items()):
            if op_key in self.done:
                answers[op_key] = self.done[op_key]
            elif op_key in self.held:
                answers[op_key] = OperationInFlight(f"{op_key} is held")
            elif any(i.sku not in self.skus for i in t.items):
                sent += 1
                answers[op_key] = BatchItemRejected(
                    "POST", index=index, status=400, errortext="Unknown sku"
                )
            else:
                sent += 1
                tid = next(self._ids)
                self.transactions.append(
                    WarehouseTransaction(
                        warehousetransactionid=tid,
                        warehouseid=t.warehouseid,
                        externalid=t.externalid,
                        transactiontype=t.transactiontype,
                    )
                )
                self.done[op_key] = answers[op_key] = tid
        if sent:
            self.transaction_requests.append(sent)
        return answers

    async def iter_warehouse_transactions(
        self,
        *,
        idfrom: int = 1,
        warehouseid: int | None = None,
        created_from: int | None = None,
        created_to: int | None = None,
        transactiontype: int | None = None,
        lane: Lane = Lane.BULK,
    ) -> AsyncIterator[WarehouseTransaction]:
        self._fail("iter_warehouse_transactions")
        for t in list(self.transactions):
            if warehouseid is None or t.warehouseid == warehouseid:
                yield t

    async def set_warehouse_items(
        self, warehouseid: int, items: Sequence[WarehouseItemLevel], *, lane: Lane = Lane.BULK
    ) -> list[int]:
        self._fail("set_warehouse_items")
        self.level_requests += 1
        for item in items:
            self.levels[(warehouseid, item.sku)] = item.decimaltotal or Decimal(0)
        return list(range(len(items)))


def unavailable() -> ServiceUnavailable:
    """A transient Sitoo failure."""
    return ServiceUnavailable("HTTP 503", status=503)


class FakeTombstones:
    """OrderTombstones in memory."""

    def __init__(self) -> None:
        self.cancelled: set[str] = set()

    async def mark_cancelled(self, order_id: str) -> None:
        self.cancelled.add(order_id)

    async def is_cancelled(self, order_id: str) -> bool:
        return order_id in self.cancelled


class FakeRedemptions:
    """RedemptionLedger in memory."""

    def __init__(self) -> None:
        self.records: dict[str, Redemption] = {}
        self.voids: set[str] = set()
        self.given_back: dict[str, dict[str, list[str]]] = {}

    async def record(self, redemption: Redemption) -> None:
        self.records.setdefault(redemption.redeem_event_id, redemption)

    async def get(self, redeem_event_id: str) -> Redemption | None:
        return self.records.get(redeem_event_id)

    async def for_order(self, order_id: str) -> list[Redemption]:
        return [r for r in self.records.values() if r.order_id == order_id]

    async def mark_rolled_back(self, redeem_event_id: str, *, by: str) -> None:
        record = self.records[redeem_event_id]
        if record.rolled_back_by is None:
            self.records[redeem_event_id] = replace(record, rolled_back_by=by)

    async def add_return(
        self, redeem_event_id: str, event_id: str, transaction_ids: list[str]
    ) -> None:
        self.given_back.setdefault(redeem_event_id, {}).setdefault(event_id, transaction_ids)

    async def returns(self, redeem_event_id: str) -> dict[str, list[str]]:
        return dict(self.given_back.get(redeem_event_id, {}))

    async def void(self, redeem_event_id: str) -> None:
        self.voids.add(redeem_event_id)

    async def is_void(self, redeem_event_id: str) -> bool:
        return redeem_event_id in self.voids


class FakeCurrencies:
    """CardCurrencies in memory."""

    def __init__(self) -> None:
        self.currencies: dict[str, str] = {}

    async def remember(self, card_number: str, currency: str) -> None:
        self.currencies[card_number] = currency

    async def known(self, card_number: str) -> str | None:
        return self.currencies.get(card_number)


class FakeStamps:
    """StockLevelStamps in memory."""

    def __init__(self) -> None:
        self.stamps: dict[tuple[int, str], LevelStamp] = {}

    async def offer(self, warehouseid: int, sku: str, stamp: LevelStamp) -> bool:
        current = self.stamps.get((warehouseid, sku))
        if current is None or stamp.newer_or_same(current):
            self.stamps[(warehouseid, sku)] = stamp
            return True
        return False

    async def current(self, warehouseid: int, sku: str) -> LevelStamp | None:
        return self.stamps.get((warehouseid, sku))
