"""A mixed workload of logical Sitoo writes and the ledger checks that prove exactly-once."""

from __future__ import annotations

import asyncio
from collections import Counter
from dataclasses import dataclass, field
from decimal import Decimal

from service.sandbox import Sandbox
from service.sitoo import SitooClient, order_externalid
from service.sitoo.keys import operation_reference
from service.sitoo.models import (
    GiftCardTransactionIn,
    NewGiftCard,
    NewOrder,
    NewOrderItem,
    NewWarehouseTransaction,
    NewWarehouseTransactionItem,
    OrderLogType,
    OrderState,
    WarehouseItemLevel,
)

FIFO_WAREHOUSE = 1  # the demo seed's first store warehouse
VIRTUAL_WAREHOUSE = 4  # the demo seed's web warehouse


@dataclass
class Expected:
    """What the ledger must show once the workload has run."""

    writes: int = 0
    orders: list[str] = field(default_factory=list)
    states: list[int] = field(default_factory=list)
    log_items: list[int] = field(default_factory=list)
    cards: list[str] = field(default_factory=list)
    card_references: list[str] = field(default_factory=list)
    transaction_refs: list[str] = field(default_factory=list)
    levels: dict[str, Decimal] = field(default_factory=dict)


async def order_flow(client: SitooClient, n: int, expected: Expected) -> None:
    """Create an order, then cancel it (even n) or mark it ready for pick-up (odd n)."""
    externalid = order_externalid(f"webshop-order-{n}")
    order = NewOrder(
        externalid=externalid,
        orderitems=[NewOrderItem(productname="P", sku="SKU-0001", quantity=1)],
    )
    orderid = await client.create_order(order, op_key=f"o{n}:create-order")
    expected.orders.append(externalid)
    if n % 2 == 0:
        await client.set_order_state(orderid, OrderState.CANCELLED, op_key=f"o{n}:cancel")
        expected.states.append(orderid)
    else:
        await client.add_order_log_item(
            orderid, OrderLogType.READY_FOR_PICKUP, op_key=f"o{n}:ready"
        )
        expected.log_items.append(orderid)
    expected.writes += 2


async def giftcard_flow(client: SitooClient, n: int, expected: Expected) -> None:
    """Issue a card with 500.00 and redeem 12.50 from it."""
    issued = await client.issue_giftcard(
        NewGiftCard(
            currencycode="SEK", transactions=[GiftCardTransactionIn(moneyamount=Decimal(500))]
        ),
        op_key=f"g{n}:issue",
    )
    assert issued.giftcard is not None
    assert issued.giftcard.cardnumber is not None
    expected.cards.append(issued.giftcard.cardnumber)
    await client.add_giftcard_transactions(
        issued.giftcard.cardnumber,
        [GiftCardTransactionIn(moneyamount=Decimal("-12.50"))],
        op_key=f"g{n}:redeem",
    )
    expected.card_references.append(operation_reference(f"g{n}:redeem", 0))
    expected.writes += 2


async def stock_flow(client: SitooClient, n: int, expected: Expected) -> None:
    """Post three movements in one batch and set one absolute virtual level."""
    op_key = f"s{n}:move"
    await client.add_warehouse_transactions(
        [
            NewWarehouseTransaction(
                warehouseid=FIFO_WAREHOUSE,
                transactiontype=10,
                items=[
                    NewWarehouseTransactionItem(sku=f"SKU-{i + 1:04d}", decimalquantity=Decimal(1))
                ],
            )
            for i in range(3)
        ],
        op_key=op_key,
    )
    expected.transaction_refs.extend(operation_reference(op_key, i) for i in range(3))
    sku = f"SKU-{n % 100 + 1:04d}"
    level = Decimal(n % 50)
    await client.set_warehouse_items(
        VIRTUAL_WAREHOUSE, [WarehouseItemLevel(sku=sku, decimaltotal=level)]
    )
    expected.levels[sku] = level
    expected.writes += 2


FLOWS = (order_flow, giftcard_flow, stock_flow)


async def run_workload(
    client: SitooClient, *, first: int, count: int, expected: Expected, concurrency: int = 8
) -> None:
    """Run ``count`` flows (two writes each) with bounded concurrency."""
    gate = asyncio.Semaphore(concurrency)

    async def one(n: int) -> None:
        async with gate:
            await FLOWS[n % len(FLOWS)](client, n, expected)

    await asyncio.gather(*(one(n) for n in range(first, first + count)))


def assert_exactly_once(sandbox: Sandbox, expected: Expected) -> None:
    """Every logical write appears exactly once in the ledger (levels: final value right)."""

    def counts(kind: str) -> Counter[str]:
        return Counter(entry.key for entry in sandbox.ledger_entries(kind=kind))

    orders = counts("order.create")
    assert sorted(orders) == sorted(expected.orders)
    assert set(orders.values()) <= {1}
    updates = Counter(e.detail["orderid"] for e in sandbox.ledger_entries(kind="order.update"))
    assert sorted(updates) == sorted(expected.states)
    assert set(updates.values()) <= {1}
    logs = Counter(e.detail["orderid"] for e in sandbox.ledger_entries(kind="order.logitem"))
    assert sorted(logs) == sorted(expected.log_items)
    assert set(logs.values()) <= {1}
    issues = counts("giftcard.issue")
    assert sorted(issues) == sorted(expected.cards)
    assert set(issues.values()) <= {1}
    redeems = counts("giftcard.transaction")
    assert sorted(redeems) == sorted(expected.card_references)
    assert set(redeems.values()) <= {1}
    movements = counts("warehouse.transaction")
    assert sorted(movements) == sorted(expected.transaction_refs)
    assert set(movements.values()) <= {1}
    for sku, level in expected.levels.items():
        (state,) = sandbox.stock_state(warehouseid=VIRTUAL_WAREHOUSE, sku=sku)
        assert Decimal(str(state["decimaltotal"])) == level, sku
