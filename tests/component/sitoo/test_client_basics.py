"""The client's typed calls against the sandbox without faults."""

from __future__ import annotations

from decimal import Decimal

import pytest

from service.records.operations import ClaimStatus
from service.sitoo import NotFound, operation_reference, order_externalid
from service.sitoo.errors import BadRequest, Disposition
from service.sitoo.models import (
    GiftCardTransactionIn,
    NewGiftCard,
    NewOrder,
    NewOrderItem,
    NewWarehouseTransaction,
    NewWarehouseTransactionItem,
    OrderLogType,
    OrderState,
    WarehouseBatchItemIn,
    WarehouseItemLevel,
)
from tests.component.sitoo.conftest import Rig


def _order(webshop_id: str) -> NewOrder:
    return NewOrder(
        externalid=order_externalid(webshop_id),
        orderitems=[
            NewOrderItem(
                productname="Product 0001", sku="SKU-0001", quantity=1, moneyrowprice=Decimal(137)
            )
        ],
    )


async def test_create_order_once_and_duplicate_delivery_returns_the_same_id(rig: Rig) -> None:
    """A second call with the same op key returns the recorded id without another POST."""
    first = await rig.client.create_order(_order("W-1"), op_key="e1:create-order")
    second = await rig.client.create_order(_order("W-1"), op_key="e1:create-order")
    assert first == second
    assert len(rig.sandbox.ledger_entries(kind="order.create")) == 1
    order = await rig.client.get_order(first)
    assert order.externalid == "W-1"


async def test_create_order_with_an_existing_externalid_succeeds_with_that_order(
    rig: Rig,
) -> None:
    """A new op key for an order that exists (duplicate-externalid 400) yields the existing id."""
    first = await rig.client.create_order(_order("W-2"), op_key="e2:create-order")
    again = await rig.client.create_order(_order("W-2"), op_key="e2-resent:create-order")
    assert again == first
    assert len(rig.sandbox.ledger_entries(kind="order.create")) == 1


async def test_state_and_log_items_are_written_only_when_needed(rig: Rig) -> None:
    """Setting a state twice or posting the same pick-up status twice writes once."""
    orderid = await rig.client.create_order(_order("W-3"), op_key="e3:create-order")
    assert await rig.client.set_order_state(orderid, OrderState.CANCELLED, op_key="e3:cancel")
    assert not await rig.client.set_order_state(orderid, OrderState.CANCELLED, op_key="e3b:cancel")
    orderid2 = await rig.client.create_order(_order("W-4"), op_key="e4:create-order")
    assert await rig.client.add_order_log_item(
        orderid2, OrderLogType.READY_FOR_PICKUP, op_key="e4:ready"
    )
    assert not await rig.client.add_order_log_item(
        orderid2, OrderLogType.READY_FOR_PICKUP, op_key="e4b:ready"
    )
    assert len(rig.sandbox.ledger_entries(kind="order.logitem")) == 1
    assert len(rig.sandbox.ledger_entries(kind="order.update")) == 1


async def test_giftcard_issue_redeem_and_rollback(rig: Rig) -> None:
    """Issue with a derived number, redeem, roll back: balances follow, each write once."""
    issued = await rig.client.issue_giftcard(
        NewGiftCard(
            currencycode="SEK", transactions=[GiftCardTransactionIn(moneyamount=Decimal(500))]
        ),
        op_key="g1:issue",
    )
    assert issued.giftcard is not None
    number = issued.giftcard.cardnumber
    assert number is not None
    redeemed = await rig.client.add_giftcard_transactions(
        number, [GiftCardTransactionIn(moneyamount=Decimal("-120.50"))], op_key="g1:redeem"
    )
    assert redeemed.giftcard is not None
    assert redeemed.giftcard.moneyamount == Decimal("379.50")
    await rig.client.rollback_giftcard_transactions(
        number, redeemed.addedtransactionids, op_key="g1:rollback"
    )
    card = await rig.client.get_giftcard(number)
    assert card.moneyamount == Decimal(500)
    assert len(rig.sandbox.ledger_entries(kind="giftcard.rollback")) == 1


async def test_several_gift_card_transactions_go_one_per_request(rig: Rig) -> None:
    """Each transaction is its own POST of one object and its own operation, in order."""
    card = "95000000000000000001"  # 500.00 in the demo seed
    load, redeem = Decimal(100), Decimal(-30)
    result = await rig.client.add_giftcard_transactions(
        card,
        [GiftCardTransactionIn(moneyamount=load), GiftCardTransactionIn(moneyamount=redeem)],
        op_key="g3:move",
    )
    assert (
        rig.sandbox.counters.count(
            "POST",
            "/v2/accounts/{accountid}/sites/{siteid}/giftcards/{cardnumber}/transactions.json",
            200,
        )
        == 2
    )
    entries = rig.sandbox.ledger_entries(kind="giftcard.transaction")
    assert [e.key for e in entries] == [
        operation_reference("g3:move", 0),
        operation_reference("g3:move", 1),
    ]
    assert len(result.addedtransactionids) == 4  # two per transaction
    assert result.giftcard is not None
    assert result.giftcard.moneyamount == Decimal("570.00")  # as the last answer showed it
    for key in ("g3:move", "g3:move#1"):  # one recorded operation per transaction
        assert (await rig.store.claim(key)).status is ClaimStatus.DONE


async def test_a_refused_later_transaction_never_repeats_the_earlier_ones(rig: Rig) -> None:
    """The second is refused: the first stays applied, and calling again does not repeat it."""
    card = "95000000000000000001"
    transactions = [
        GiftCardTransactionIn(moneyamount=Decimal(-100)),
        GiftCardTransactionIn(moneyamount=Decimal(-9999)),
    ]
    for _ in range(2):
        with pytest.raises(BadRequest):
            await rig.client.add_giftcard_transactions(card, transactions, op_key="g4:redeem")
    entries = rig.sandbox.ledger_entries(kind="giftcard.transaction")
    assert [e.key for e in entries] == [operation_reference("g4:redeem", 0)]
    assert (await rig.client.get_giftcard(card)).moneyamount == Decimal("400.00")


async def test_permanent_errors_carry_sitoo_errortext(rig: Rig) -> None:
    """Redeeming more than the balance is a dead-letter BadRequest with Sitoo's text."""
    with pytest.raises(BadRequest) as caught:
        await rig.client.add_giftcard_transactions(
            "95000000000000000001",
            [GiftCardTransactionIn(moneyamount=Decimal(-9999))],
            op_key="g2:redeem",
        )
    assert "Insufficient balance" in caught.value.errortext
    assert caught.value.disposition is Disposition.DEAD_LETTER
    with pytest.raises(NotFound):
        await rig.client.get_giftcard("12345")


async def test_stock_reads_and_writes(rig: Rig) -> None:
    """Warehouses list, virtual levels set absolutely, transactions posted once in order."""
    warehouses = await rig.client.list_warehouses()
    virtual = next(w for w in warehouses if w.warehousetype == 20)
    fifo = next(w for w in warehouses if w.warehousetype != 20)
    assert virtual.warehouseid is not None
    assert fifo.warehouseid is not None
    ids = await rig.client.set_warehouse_items(
        virtual.warehouseid, [WarehouseItemLevel(sku="SKU-0002", decimaltotal=Decimal(7))]
    )
    assert len(ids) == 1
    items = [
        i async for i in rig.client.iter_warehouse_items(virtual.warehouseid, skus=["SKU-0002"])
    ]
    assert items[0].decimaltotal == Decimal(7)
    posted = await rig.client.add_warehouse_transactions(
        [
            NewWarehouseTransaction(
                warehouseid=fifo.warehouseid,
                transactiontype=10,
                items=[NewWarehouseTransactionItem(sku="SKU-0003", decimalquantity=Decimal(n))],
            )
            for n in (1, 2, 3)
        ],
        op_key="s1:move-in",
    )
    assert len(posted) == 3
    assert posted == sorted(posted)
    seen = [t async for t in rig.client.iter_warehouse_transactions(warehouseid=fifo.warehouseid)]
    assert [t.warehousetransactionid for t in seen][-3:] == posted


async def test_catalogue_reads(rig: Rig) -> None:
    """Products by SKU, stores and sites come back typed."""
    products = await rig.client.get_products(["SKU-0001", "SKU-0100", "NOPE"])
    assert sorted(p.sku or "" for p in products) == ["SKU-0001", "SKU-0100"]
    assert len(await rig.client.list_stores()) == 3
    assert [s.eshopid for s in await rig.client.list_sites()] == [1]


async def test_orders_iterate_by_id_cursor(rig: Rig) -> None:
    """iter_orders walks ascending ids across several pages."""
    created = [
        await rig.client.create_order(_order(f"W-10{n}"), op_key=f"c{n}:create-order")
        for n in range(5)
    ]
    rig.client._page_size = 2
    seen = [o.orderid async for o in rig.client.iter_orders(orderidfrom=created[1])]
    assert seen == created[1:]


async def test_warehouse_batch_open_fill_close(rig: Rig) -> None:
    """A stock-taking batch opens once, takes items and closes into one transaction."""
    warehouses = await rig.client.list_warehouses()
    fifo = next(w for w in warehouses if w.warehousetype != 20)
    assert fifo.warehouseid is not None
    batchid = await rig.client.open_warehouse_batch(fifo.warehouseid, 50, op_key="b1:open")
    assert batchid == await rig.client.open_warehouse_batch(fifo.warehouseid, 50, op_key="b1:open")
    await rig.client.set_warehouse_batch_items(
        fifo.warehouseid,
        batchid,
        [WarehouseBatchItemIn(sku="SKU-0004", decimalquantity=Decimal(3))],
    )
    transactionid = await rig.client.close_warehouse_batch(fifo.warehouseid, batchid)
    assert transactionid is not None
    assert transactionid == await rig.client.close_warehouse_batch(fifo.warehouseid, batchid)
    assert len(rig.sandbox.ledger_entries(kind="warehousebatch.close")) == 1
