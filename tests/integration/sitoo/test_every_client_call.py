"""Every call the Sitoo client can make, against the strict sandbox over real HTTP.

Each public method of ``SitooClient`` (a superset of the ``SitooPort`` the service uses) is
walked with every optional field it can send filled in, and with two-item pages so that paging
parameters go out too. The strict sandbox refuses any request its Sitoo description does not
allow, so each walk proves: no request of the method broke the description (0 violations), and
the method's requests reached the sandbox and were answered by the operations it is for. The
writes that reconcile after a lost answer are walked a second time with every write answered
500 after it was applied, which sends their look-up requests as well.

A new public method without a walk fails ``test_every_public_method_has_a_walk``.
"""

from __future__ import annotations

import inspect
import time
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from decimal import Decimal

import pytest
import redis.asyncio as aioredis
from pydantic import SecretStr

from service.ports import SitooPort
from service.records.keys import DeploymentKeys
from service.records.operations import RedisIdempotencyStore
from service.sandbox import FaultConfig, RunningSandbox, SandboxConfig, serve_sandbox
from service.sandbox.openapi import request_rules
from service.sandbox.screening import api_template
from service.sandbox.seed import DEMO_GIFTCARD, DEMO_GIFTCARD_PIN, DEMO_GIFTCARD_WITH_PIN
from service.settings import SitooSettings
from service.sitoo import OutcomeUnknown, RedisLimiter, SitooClient, build_http_client
from service.sitoo.models import (
    GiftCardTransactionIn,
    NewGiftCard,
    NewOrder,
    NewOrderDelivery,
    NewOrderDeliveryItem,
    NewOrderItem,
    NewPayment,
    NewReservedPayment,
    NewWarehouseTransaction,
    NewWarehouseTransactionItem,
    OrderLogType,
    OrderState,
    OrderUpdate,
    WarehouseBatchItemIn,
    WarehouseItemLevel,
)

STORE_WAREHOUSE = 1  # FIFO, attached to store 1, in the demo seed
WEB_WAREHOUSE = 4  # virtual
UNKNOWN_CARD = "95999999999999999999"
COUNTED = 50  # stock-taking batches
# Ledger kinds whose repetition would be a duplicate (absolute writes may repeat harmlessly).
ONCE = frozenset(
    {
        "order.create",
        "order.update",
        "order.delivery",
        "order.logitem",
        "giftcard.issue",
        "giftcard.transaction",
        "giftcard.rollback",
        "warehouse.transaction",
        "warehousebatch.open",
    }
)


@dataclass
class World:
    """The client under test and the strict sandbox it talks to over a real socket."""

    client: SitooClient
    running: RunningSandbox
    keys: Counter[str] = field(default_factory=Counter)

    def op_key(self, what: str) -> str:
        """A fresh operation key."""
        self.keys[what] += 1
        return f"walk:{what}:{self.keys[what]}"

    async def order(self) -> tuple[int, str]:
        """An open pick-up order with two lines: (orderid, externalid)."""
        externalid = self.op_key("order").replace(":", "-")
        orderid = await self.client.create_order(full_order(externalid), op_key=externalid)
        return orderid, externalid

    def measure_from_here(self) -> None:
        """What the walk did so far was set-up: count only the requests from now on."""
        self.running.sandbox.counters.clear()

    async def open_batch(self) -> int:
        """An open stock-taking batch on the store warehouse."""
        return await self.client.open_warehouse_batch(
            STORE_WAREHOUSE, COUNTED, op_key=self.op_key("batch")
        )


def full_order(externalid: str) -> NewOrder:
    """An order with every field the client's model can send."""
    now = int(time.time())
    return NewOrder(
        externalid=externalid,
        ordertypeid=10,
        orderstateid=0,
        paymentstateid=15,
        warehouseid=STORE_WAREHOUSE,
        orderdate=now,
        datereserved=now + 86400,
        currencycode="SEK",
        comment="Pick up after 5 pm",
        customerref="customer-7",
        checkoutref="checkout-7",
        additionaldata={"webshop-order": externalid, "delivery-pickup-warehouseid": "1"},
        email="anna@example.com",
        namefirst="Anna",
        namelast="Berg",
        phone="+46700000000",
        company="Berg AB",
        invoice_address="Storgatan 1",
        invoice_address2="c/o Berg",
        invoice_zip="11122",
        invoice_city="Stockholm",
        invoice_state="Stockholm",
        invoice_countryid="SE",
        delivery_address="Storgatan 1",
        delivery_address2="c/o Berg",
        delivery_zip="11122",
        delivery_city="Stockholm",
        delivery_state="Stockholm",
        delivery_countryid="SE",
        orderitems=[
            NewOrderItem(
                productname="Product 1",
                quantity=2,
                sku="SKU-0001",
                moneyrowprice=Decimal("250.00"),
                moneyrowdiscount=Decimal("50.00"),
                vatvalue=Decimal(25),
                orderitemtype=10,
                decimalunitquantity=Decimal("1.500"),
                additionaldata={"line": "1"},
            ),
            NewOrderItem(
                productname="Product 2", quantity=1, sku="SKU-0002", vatvalue=Decimal("12.5")
            ),
        ],
        payments=[
            NewPayment(
                name="Card",
                moneyamount=Decimal("10.00"),
                externalid="pay-1",
                reftype="psp",
                refid="psp-1",
                additionaldata={"psp": "x"},
            )
        ],
        reservedpayments=[
            NewReservedPayment(
                id="auth-1",
                name="Card",
                moneyreserved=Decimal("190.00"),
                externalid="auth-1",
                reftype="psp",
                refid="psp-2",
                cardissuer="VISA",
                additionaldata={"psp": "y"},
            )
        ],
    )


def movement(warehouseid: int, sku: str, quantity: str) -> NewWarehouseTransaction:
    """A move-in with every field the client's model can send."""
    return NewWarehouseTransaction(
        warehouseid=warehouseid,
        transactiontype=10,
        description="walk",
        reasoncode="restock",
        items=[
            NewWarehouseTransactionItem(
                sku=sku, decimalquantity=Decimal(quantity), moneypricein=Decimal("10.00")
            )
        ],
    )


def charge(amount: str) -> GiftCardTransactionIn:
    """A gift-card transaction with every optional reference."""
    return GiftCardTransactionIn(
        moneyamount=Decimal(amount), merchant_reference="web", staff_reference="webshop"
    )


Walk = Callable[[World], Awaitable[object]]


async def _collect(items: AsyncIterator[object]) -> list[object]:
    return [item async for item in items]


async def _list_order_deliveries(w: World) -> object:
    orderid, _ = await w.order()
    for line in (0, 0, 1):  # three deliveries: two pages of two
        await w.client.add_order_delivery(
            orderid,
            NewOrderDelivery(
                warehouseid=STORE_WAREHOUSE,
                orderdeliveryitems=[NewOrderDeliveryItem(orderitemid=line, quantity=1)],
            ),
            op_key=w.op_key("delivery"),
        )
    w.measure_from_here()
    return await w.client.list_order_deliveries(orderid)


async def _list_order_log_items(w: World) -> object:
    orderid, _ = await w.order()
    for logtype in (OrderLogType.READY_FOR_PICKUP, OrderLogType.PICKUP_REJECTED):
        await w.client.add_order_log_item(orderid, logtype, op_key=w.op_key("log"))
    w.measure_from_here()
    return await w.client.list_order_log_items(orderid)


async def _add_giftcard_transactions(w: World) -> object:
    return await w.client.add_giftcard_transactions(
        DEMO_GIFTCARD_WITH_PIN,
        [charge("-20.00"), charge("5.00")],
        op_key=w.op_key("redeem"),
        pin=DEMO_GIFTCARD_PIN,
    )


async def _find_giftcard_transactions(w: World) -> object:
    # The look-up only asks Sitoo about an attempt whose outcome is unknown: every answer
    # (the look-ups' too) fails until the client gives up, then it is asked what was applied.
    key = w.op_key("redeem")
    transactions = [charge("-20.00"), charge("5.00")]
    sandbox = w.running.sandbox
    sandbox.set_faults(FaultConfig(apply_then_fail_rate=1.0))
    with pytest.raises(OutcomeUnknown):
        await w.client.add_giftcard_transactions(DEMO_GIFTCARD, transactions, op_key=key)
    sandbox.clear_faults()
    w.measure_from_here()
    found = await w.client.find_giftcard_transactions(DEMO_GIFTCARD, transactions, op_key=key)
    assert found is not None
    return found


async def _rollback(w: World) -> object:
    added = await w.client.add_giftcard_transactions(
        DEMO_GIFTCARD, [charge("-30.00")], op_key=w.op_key("redeem")
    )
    return await w.client.rollback_giftcard_transactions(
        DEMO_GIFTCARD,
        added.addedtransactionids,
        op_key=w.op_key("rollback"),
        pin=None,
    )


async def _set_batch_items(w: World) -> object:
    batch = await w.open_batch()
    items = [
        WarehouseBatchItemIn(
            sku=f"SKU-000{n}",
            decimalquantity=Decimal(7),
            moneypricein=Decimal("10.00"),
            comment="counted",
        )
        for n in (1, 2, 3)
    ]
    return await w.client.set_warehouse_batch_items(STORE_WAREHOUSE, batch, items)


async def _close_batch(w: World) -> object:
    batch = await w.open_batch()
    items = [WarehouseBatchItemIn(sku="SKU-0004", decimalquantity=Decimal(3))]
    await w.client.set_warehouse_batch_items(STORE_WAREHOUSE, batch, items)
    return await w.client.close_warehouse_batch(STORE_WAREHOUSE, batch)


async def _get_batch(w: World) -> object:
    batch = await w.open_batch()
    return await w.client.get_warehouse_batch(STORE_WAREHOUSE, batch)


async def _order_then(w: World, call: Callable[[int, str], Awaitable[object]]) -> object:
    orderid, externalid = await w.order()
    return await call(orderid, externalid)


# method -> (what it does, the operations its requests must have been answered by)
WALKS: dict[str, tuple[Walk, frozenset[str]]] = {
    "list_sites": (lambda w: w.client.list_sites(), frozenset({"getSites"})),
    "list_stores": (lambda w: w.client.list_stores(), frozenset({"getStores"})),
    "list_warehouses": (lambda w: w.client.list_warehouses(), frozenset({"getWarehouses"})),
    "get_products": (
        lambda w: w.client.get_products(["SKU-0001", "SKU-0002", "SKU-0003", "NOPE"]),
        frozenset({"getProducts"}),
    ),
    "create_order": (
        lambda w: w.client.create_order(full_order("walk-create"), op_key="walk-create"),
        frozenset({"addOrder"}),
    ),
    "get_order": (
        lambda w: _order_then(w, lambda orderid, _: w.client.get_order(orderid)),
        frozenset({"getOrder"}),
    ),
    "find_orders_by_externalid": (
        lambda w: _order_then(
            w, lambda _, externalid: w.client.find_orders_by_externalid([externalid, "other"])
        ),
        frozenset({"getOrders"}),
    ),
    "newest_order_id": (
        lambda w: _order_then(w, lambda *_: w.client.newest_order_id()),
        frozenset({"getOrders"}),
    ),
    "iter_orders": (
        lambda w: _order_then(
            w,
            lambda _, externalid: _collect(
                w.client.iter_orders(
                    orderidfrom=1,
                    orderstate=[0, 10],
                    warehouseid=[STORE_WAREHOUSE],
                    externalid=[externalid],
                    fields=["orderid", "externalid", "orderstateid"],
                )
            ),
        ),
        frozenset({"getOrders"}),
    ),
    "update_order": (
        lambda w: _order_then(
            w,
            lambda orderid, _: w.client.update_order(
                orderid,
                OrderUpdate(
                    orderstateid=0,
                    paymentstateid=20,
                    datereserved=int(time.time()) + 3600,
                    comment="paid",
                    commentinternal="captured",
                    additionaldata={"captured": "yes"},
                ),
            ),
        ),
        frozenset({"updateOrder"}),
    ),
    "set_order_state": (
        lambda w: _order_then(
            w,
            lambda orderid, _: w.client.set_order_state(
                orderid, OrderState.CANCELLED, op_key=w.op_key("cancel")
            ),
        ),
        frozenset({"getOrder", "updateOrder"}),
    ),
    "add_order_log_item": (
        lambda w: _order_then(
            w,
            lambda orderid, _: w.client.add_order_log_item(
                orderid, OrderLogType.READY_FOR_PICKUP, op_key=w.op_key("log"), strvalue="ready"
            ),
        ),
        frozenset({"getOrderLogItems", "addOrderLogItem"}),
    ),
    "list_order_log_items": (_list_order_log_items, frozenset({"getOrderLogItems"})),
    "add_order_delivery": (
        lambda w: _order_then(
            w,
            lambda orderid, _: w.client.add_order_delivery(
                orderid,
                NewOrderDelivery(
                    warehouseid=STORE_WAREHOUSE,
                    orderdeliveryitems=[
                        NewOrderDeliveryItem(orderitemid=0, quantity=2),
                        NewOrderDeliveryItem(orderitemid=1, quantity=1),
                    ],
                    orderdeliveryref="waybill-1",
                ),
                op_key=w.op_key("delivery"),
            ),
        ),
        frozenset({"addOrderDelivery"}),
    ),
    "list_order_deliveries": (_list_order_deliveries, frozenset({"getOrderDeliveries"})),
    "issue_giftcard": (
        lambda w: w.client.issue_giftcard(
            NewGiftCard(
                type="giftcard",
                currencycode="SEK",
                transactions=[charge("100.00"), charge("50.00")],
            ),
            op_key=w.op_key("issue"),
            pin="4321",
        ),
        frozenset({"addGiftCard"}),
    ),
    "get_giftcard": (
        lambda w: w.client.get_giftcard(DEMO_GIFTCARD_WITH_PIN, pin=DEMO_GIFTCARD_PIN),
        frozenset({"getGiftCard"}),
    ),
    "find_giftcard": (
        lambda w: w.client.find_giftcard(UNKNOWN_CARD),
        frozenset({"getGiftCard"}),
    ),
    "add_giftcard_transactions": (
        _add_giftcard_transactions,
        frozenset({"addGiftCardTransaction"}),
    ),
    "find_giftcard_transactions": (_find_giftcard_transactions, frozenset({"getGiftCard"})),
    "rollback_giftcard_transactions": (_rollback, frozenset({"deleteGiftCardTransactions"})),
    "set_warehouse_items": (
        lambda w: w.client.set_warehouse_items(
            WEB_WAREHOUSE,
            [
                WarehouseItemLevel(
                    sku="SKU-0001",
                    decimaltotal=Decimal(12),
                    moneytotal=Decimal("120.00"),
                    binlocation="A-1",
                    decimalthreshold=Decimal(2),
                ),
                WarehouseItemLevel(sku="SKU-0002", decimaltotal=Decimal("0.5")),
            ],
        ),
        frozenset({"batchSetWarehouseItems"}),
    ),
    "iter_warehouse_items": (
        lambda w: _collect(
            w.client.iter_warehouse_items(
                STORE_WAREHOUSE,
                skus=["SKU-0001", "SKU-0002", "SKU-0003"],
                modified_from=0,
                modified_to=int(time.time()) + 60,
            )
        ),
        frozenset({"getWarehouseItems"}),
    ),
    "add_warehouse_transactions": (
        lambda w: w.client.add_warehouse_transactions(
            [movement(1, "SKU-0001", "2"), movement(2, "SKU-0002", "1.5")],
            op_key=w.op_key("movements"),
        ),
        frozenset({"batchAddWarehouseTransactions"}),
    ),
    "add_warehouse_transactions_each": (
        lambda w: w.client.add_warehouse_transactions_each(
            {
                w.op_key("each"): movement(1, "SKU-0003", "1"),
                w.op_key("each"): movement(3, "SKU-0004", "4"),
            }
        ),
        frozenset({"batchAddWarehouseTransactions"}),
    ),
    "iter_warehouse_transactions": (
        lambda w: _collect(
            w.client.iter_warehouse_transactions(
                idfrom=1,
                warehouseid=STORE_WAREHOUSE,
                created_from=0,
                created_to=int(time.time()) + 60,
                transactiontype=10,
            )
        ),
        frozenset({"getAllWarehouseTransactions"}),
    ),
    "open_warehouse_batch": (
        lambda w: w.client.open_warehouse_batch(
            STORE_WAREHOUSE,
            COUNTED,
            op_key=w.op_key("batch"),
            comment="yearly count",
            reasoncode="count",
        ),
        frozenset({"addWarehouseBatch"}),
    ),
    "list_warehouse_batches": (
        lambda w: w.client.list_warehouse_batches(
            STORE_WAREHOUSE, state=10, transactiontype=COUNTED
        ),
        frozenset({"getWarehouseBatches"}),
    ),
    "get_warehouse_batch": (
        _get_batch,
        frozenset({"getWarehouseBatch"}),
    ),
    "set_warehouse_batch_items": (_set_batch_items, frozenset({"batchSetWarehouseBatchItems"})),
    "close_warehouse_batch": (
        _close_batch,
        frozenset({"getWarehouseBatch", "updateWarehouseBatch"}),
    ),
}

# Writes that look themselves up after a lost answer: walked again with every write answered
# 500 after it was applied, so that their reconciliation requests go out too.
RECONCILING = (
    "create_order",
    "set_order_state",
    "add_order_log_item",
    "add_order_delivery",
    "issue_giftcard",
    "add_giftcard_transactions",
    "rollback_giftcard_transactions",
    "add_warehouse_transactions",
    "add_warehouse_transactions_each",
    "open_warehouse_batch",
)


def public_methods(cls: type) -> set[str]:
    """Names of the public callables a class offers (inherited ones included)."""
    return {
        name
        for name, member in inspect.getmembers(cls)
        if not name.startswith("_") and inspect.isfunction(member)
    }


def test_every_public_method_has_a_walk() -> None:
    """A method added to the client (or the port) without a walk here fails this test."""
    client_methods = public_methods(SitooClient)
    assert public_methods(SitooPort) <= client_methods
    assert set(WALKS) == client_methods
    assert set(RECONCILING) <= client_methods


def answered(running: RunningSandbox) -> dict[str, Counter[str]]:
    """operationId -> outcomes, from the sandbox's request counters."""
    rules = request_rules()
    found: dict[str, Counter[str]] = {}
    for key, outcomes in running.sandbox.counters.snapshot()["endpoints"].items():
        method, template = key.split(" ", 1)
        check = rules.for_route(method, api_template(template))
        assert check is not None, f"{key} is not an operation of the description"
        found.setdefault(check.operation_id, Counter()).update(outcomes)
    return found


@pytest.fixture
async def world(redis: aioredis.Redis, unique: str) -> AsyncIterator[World]:
    """The strict demo sandbox on a real socket, and a client with two-item pages."""
    config = SandboxConfig(credentials={"walker": SecretStr("walk-secret")})
    assert config.strict
    async with serve_sandbox(config, port=0) as running:
        settings = SitooSettings(
            base_url=running.base_url,  # type: ignore[arg-type]
            api_id="walker",
            api_password=SecretStr("walk-secret"),
            page_size=2,
            call_deadline_s=20.0,
        )
        store = RedisIdempotencyStore(
            redis, keys=DeploymentKeys(unique), retention_s=600, lease_s=30
        )
        async with build_http_client(settings) as http:
            client = SitooClient(
                http=http,
                limiter=RedisLimiter.from_settings(redis, settings, keys=DeploymentKeys(unique)),
                idempotency=store,
                settings=settings,
            )
            yield World(client, running)


async def _walk(world: World, method: str, *, answers_lost: bool) -> dict[str, Counter[str]]:
    walk, _ = WALKS[method]
    sandbox = world.running.sandbox
    sandbox.counters.clear()
    if answers_lost:
        sandbox.set_faults(FaultConfig(apply_then_fail_rate=1.0, writes_only=True))
    try:
        await walk(world)
    finally:
        sandbox.clear_faults()
    return answered(world.running)


@pytest.mark.parametrize("method", sorted(WALKS))
async def test_each_call_sends_only_requests_sitoo_describes(world: World, method: str) -> None:
    """The method's requests all validate and reach the operations it is for."""
    by_operation = await _walk(world, method, answers_lost=False)
    sandbox = world.running.sandbox
    assert sandbox.violations.count == 0, sandbox.violations.snapshot()
    _, operations = WALKS[method]
    assert operations <= set(by_operation), f"{method} did not reach {operations}: {by_operation}"
    # Only a look-up of an unknown card is answered with anything but 200 (its 404).
    allowed = {"200", "404"} if method == "find_giftcard" else {"200"}
    unexpected = {op: o for op, o in by_operation.items() if set(o) - allowed}
    assert not unexpected, unexpected


@pytest.mark.parametrize("method", RECONCILING)
async def test_lookups_after_a_lost_answer_validate_too(world: World, method: str) -> None:
    """Every write answered 500 after it applied: the look-ups valid, each write once."""
    by_operation = await _walk(world, method, answers_lost=True)
    sandbox = world.running.sandbox
    assert sandbox.violations.count == 0, sandbox.violations.snapshot()
    _, operations = WALKS[method]
    writes = {op for op in operations if not op.startswith("get")}
    assert all(by_operation[op]["500"] >= 1 for op in writes), by_operation
    assert any(op.startswith("get") for op in by_operation), f"{method} looked nothing up"
    applied = Counter(
        (entry.kind, entry.key) for entry in sandbox.ledger_entries() if entry.kind in ONCE
    )
    assert applied, f"{method} applied nothing"
    assert max(applied.values()) == 1, applied
