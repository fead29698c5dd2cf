"""Two replicas on the same entries: every effect and every result and reply happens once."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
import redis.asyncio as aioredis

from service.app import build_sitoo_client
from service.brokers.redis.wiring import build_delivery_handler, ensure_groups
from service.contracts.orders import OrderPlaced
from service.contracts.registry import Channel
from service.inbox.delivery import DeliveryHandler, Entry
from service.records.keys import DeploymentKeys
from service.records.state import RedisOrderTombstones
from service.sandbox import FaultConfig, RunningSandbox
from service.settings import Settings
from service.sitoo import SitooClient, build_http_client
from service.sitoo.keys import operation_reference, order_externalid
from service.sitoo.models import NewWarehouseTransaction, NewWarehouseTransactionItem
from service.usecases.directory import Directory
from service.usecases.orders import place_order
from service.usecases.stock import adjust_op_key
from tests.integration.consumers.conftest import Publish, envelope, results_by_inbound, settled
from tests.integration.consumers.test_orders_flow import pickup_order

PIN_CARD = "95000000000000000002"  # demo seed: 300.00 SEK, PIN 1234
CANCELLED = 20


@dataclass
class Replica:
    """One replica's delivery handler and Sitoo client, and the consumer name it reads as."""

    name: str
    handler: DeliveryHandler
    sitoo: SitooClient


@dataclass
class Pair:
    """Two replicas sharing Redis and the sandbox."""

    first: Replica
    second: Replica
    settings: Settings
    redis: aioredis.Redis

    async def read(self, replica: Replica, stream: str, channel: Channel) -> list[Entry]:
        """Everything new on ``stream``, read by ``replica`` (so it is pending there)."""
        answer = await self.redis.xreadgroup(
            self.settings.streams.group, replica.name, {stream: ">"}, count=1000
        )
        return [
            Entry(stream, channel, entry_id.decode(), dict(fields), 1)
            for _, entries in answer
            for entry_id, fields in entries
        ]

    async def results(self) -> list[dict[str, Any]]:
        """Every result event so far."""
        entries = await self.redis.xrange(self.settings.streams.results)
        return [json.loads(fields[b"event"])["data"] for _, fields in entries]


def again(entry: Entry, deliveries: int) -> Entry:
    """The same entry delivered once more (reclaimed by another replica, or redelivered)."""
    return Entry(entry.stream, entry.channel, entry.entry_id, entry.fields, deliveries)


@pytest.fixture
async def pair(settings: Settings, redis: aioredis.Redis) -> AsyncIterator[Pair]:
    """Two replicas, each with its own HTTP client, handler and consumer name."""
    await ensure_groups(redis, settings)
    async with (
        build_http_client(settings.sitoo) as first_http,
        build_http_client(settings.sitoo) as second_http,
    ):
        replicas = []
        for name, http in (("replica-a", first_http), ("replica-b", second_http)):
            sitoo = build_sitoo_client(settings, redis, http)
            replicas.append(Replica(name, build_delivery_handler(settings, redis, sitoo), sitoo))
        yield Pair(replicas[0], replicas[1], settings, redis)


def warehouse_of(sandbox: RunningSandbox, externalid: str) -> int:
    """A demo warehouse's id."""
    return next(
        w.warehouseid
        for w in sandbox.sandbox.catalog.warehouses.values()
        if w.externalid == externalid
    )


def adjustments(warehouse: int, count: int) -> list[dict[str, Any]]:
    """``count`` stock.adjusted events of one unit each."""
    return [
        envelope(
            "stock.adjusted",
            {"warehouse_id": warehouse, "items": [{"sku": "SKU-0009", "delta": "1"}]},
        )
        for _ in range(count)
    ]


async def test_reclaimed_stock_batch_is_not_applied_again_while_the_first_runs(
    pair: Pair, sandbox: RunningSandbox, publish: Publish
) -> None:
    """A second replica taking over part of a slow batch writes nothing for it and emits nothing."""
    stream = pair.settings.streams.stock
    events = adjustments(warehouse_of(sandbox, "WH-STORE-2"), 6)
    for document in events:
        await publish(stream, document)
    entries = await pair.read(pair.first, stream, Channel.STOCK)
    sandbox.sandbox.set_faults(FaultConfig(latency_ms=400))
    slow = asyncio.create_task(pair.first.handler.handle_batch(entries))
    keys = [f"{pair.settings.redis.key_prefix}:settled:{e['event_id']}" for e in events]
    async with asyncio.timeout(10):
        while not all([await pair.redis.hexists(key, "token") for key in keys]):
            await asyncio.sleep(0.01)
    # The other replica reclaims a different slice of the same entries (another batch).
    await pair.second.handler.handle_batch([again(e, 2) for e in entries[2:]])
    await slow
    sandbox.sandbox.clear_faults()
    written = [e.key for e in sandbox.sandbox.ledger_entries(kind="warehouse.transaction")]
    expected = {operation_reference(adjust_op_key(e["event_id"])) for e in events}
    assert sorted(written) == sorted(expected)
    results = await pair.results()
    assert sorted(r["inbound_event_id"] for r in results) == sorted(e["event_id"] for e in events)
    # Delivered once more (the second replica's copies were left pending): answered from
    # the record, nothing written, nothing emitted again.
    await pair.second.handler.handle_batch([again(e, 3) for e in entries])
    assert len(sandbox.sandbox.ledger_entries(kind="warehouse.transaction")) == len(events)
    assert len(await pair.results()) == len(events)
    await settled(pair.redis, stream)


async def test_takeover_finds_each_transaction_by_its_own_externalid(
    pair: Pair, sandbox: RunningSandbox
) -> None:
    """After a holder died mid-request, only the movements not found in Sitoo are sent."""
    warehouse = warehouse_of(sandbox, "WH-STORE-2")

    def movement() -> NewWarehouseTransaction:
        return NewWarehouseTransaction(
            warehouseid=warehouse,
            transactiontype=10,
            items=[NewWarehouseTransactionItem(sku="SKU-0009", decimalquantity=Decimal(1))],
        )

    first = await pair.first.sitoo.add_warehouse_transactions_each(
        {"t-1:stock-adjust": movement(), "t-2:stock-adjust": movement()}
    )
    for op_key in first:  # as if the holder died after Sitoo applied, before recording
        record = f"{pair.settings.redis.key_prefix}:idem:{op_key}"
        await pair.redis.hdel(record, "result")
        await pair.redis.hset(record, mapping={"token": "died", "expires": "0"})
    second = await pair.second.sitoo.add_warehouse_transactions_each(
        {
            "t-1:stock-adjust": movement(),
            "t-2:stock-adjust": movement(),
            "t-3:stock-adjust": movement(),
        }
    )
    assert {k: second[k] for k in first} == first
    assert isinstance(second["t-3:stock-adjust"], int)
    written = [e.key for e in sandbox.sandbox.ledger_entries(kind="warehouse.transaction")]
    assert sorted(written) == sorted(operation_reference(f"t-{n}:stock-adjust") for n in (1, 2, 3))


async def test_late_first_delivery_repeats_the_settled_result(
    pair: Pair, sandbox: RunningSandbox, publish: Publish
) -> None:
    """Placed by the reclaiming replica, then cancelled: the stale first delivery adds nothing."""
    orders = pair.settings.streams.orders
    place = envelope("order.placed", pickup_order("W-7001"))
    cancel = envelope("order.cancelled", {"order_id": "W-7001"})
    await publish(orders, place)
    [stale] = await pair.read(pair.first, orders, Channel.ORDERS)
    await pair.second.handler.handle(again(stale, 2))
    await publish(orders, cancel)
    [cancelling] = await pair.read(pair.second, orders, Channel.ORDERS)
    await pair.second.handler.handle(cancelling)
    await pair.first.handler.handle(stale)  # the first delivery finally gets its turn
    placed = [r for r in await pair.results() if r["inbound_event_id"] == place["event_id"]]
    assert [r["status"] for r in placed] == ["succeeded"]
    [order] = sandbox.sandbox.find_orders(externalid="W-7001")
    assert order.orderstateid == CANCELLED
    await settled(pair.redis, orders)


class _DiesAfterCreating(RedisOrderTombstones):
    """Tombstones as a placement saw them that read before the cancel and died after creating."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.checks = 0

    async def is_cancelled(self, order_id: str) -> bool:  # noqa: ARG002 - the port's signature
        self.checks += 1
        if self.checks > 1:
            raise SystemExit("the process died between creating the order and checking again")
        return False


async def test_placement_after_cancel_cancels_what_a_dead_attempt_created(
    pair: Pair, sandbox: RunningSandbox, redis: aioredis.Redis, publish: Publish
) -> None:
    """Cancel first; an attempt that created the order died: the redelivery cancels it."""
    orders = pair.settings.streams.orders
    cancel = envelope("order.cancelled", {"order_id": "W-7002"})
    place = envelope("order.placed", pickup_order("W-7002"))
    await publish(orders, cancel)
    await publish(orders, place)
    cancelling, placing = await pair.read(pair.first, orders, Channel.ORDERS)
    await pair.first.handler.handle(cancelling)
    prefix = pair.settings.redis.key_prefix
    with pytest.raises(SystemExit):
        await place_order(
            OrderPlaced.model_validate(place["data"]),
            event_id=place["event_id"],
            sitoo=pair.second.sitoo,
            directory=Directory(
                pair.second.sitoo,
                lambda: datetime.now(UTC),
                ttl=timedelta(0),
                min_refresh=timedelta(0),
            ),
            tombstones=_DiesAfterCreating(redis, keys=DeploymentKeys(prefix), retention_s=600),
            clock=lambda: datetime.now(UTC),
            reservation=timedelta(hours=1),
        )
    assert sandbox.sandbox.find_orders(externalid="W-7002")[0].orderstateid != CANCELLED
    await pair.second.handler.handle(again(placing, 2))
    [order] = sandbox.sandbox.find_orders(externalid="W-7002")
    assert order.orderstateid == CANCELLED
    result = (await results_by_inbound(redis, pair.settings.streams.results, count=2))[
        place["event_id"]
    ]["data"]
    assert (result["reason_code"], result["sitoo"]["cancelled_orderids"]) == (
        "cancelled",
        [order.orderid],
    )
    assert result["sitoo"]["externalid"] == order_externalid("W-7002")


async def test_redelivered_request_is_answered_once(
    pair: Pair, redis: aioredis.Redis, publish: Publish, unique: str
) -> None:
    """A request delivered again after its reply (crash before the ack) pushes no second reply."""
    requests = pair.settings.streams.giftcard_requests
    reply_to = f"checkout:{unique}"
    redeem = envelope(
        "giftcard.redeem",
        {"card_number": PIN_CARD, "amount": "10.00", "currency": "SEK", "pin": "1234"},
    )
    await publish(requests, redeem, reply_to=reply_to)
    [entry] = await pair.read(pair.first, requests, Channel.GIFTCARD_REQUESTS)
    await pair.first.handler.handle(entry)
    await pair.second.handler.handle(again(entry, 2))
    replies = [json.loads(r) for r in await redis.lrange(reply_to, 0, -1)]
    assert [(r["request_event_id"], r["status"]) for r in replies] == [
        (redeem["event_id"], "approved")
    ]
    assert len(await pair.results()) == 1


@pytest.mark.usefixtures("service")
async def test_pin_card_takes_loads_and_rollbacks_without_its_pin(
    settings: Settings, sandbox: RunningSandbox, redis: aioredis.Redis, publish: Publish
) -> None:
    """A load, a cancel's rollback and a balance read on a PIN card need no PIN."""
    redeem = envelope(
        "giftcard.redeem",
        {
            "card_number": PIN_CARD,
            "amount": "50.00",
            "currency": "SEK",
            "pin": "1234",
            "order_id": "W-7003",
        },
    )
    load = envelope(
        "giftcard.refund", {"card_number": PIN_CARD, "currency": "SEK", "amount": "25.00"}
    )
    cancel = envelope("order.cancelled", {"order_id": "W-7003"})
    balance = envelope("giftcard.balance", {"card_number": PIN_CARD})
    await publish(settings.streams.giftcards, redeem)
    await publish(settings.streams.giftcards, load)
    first = await results_by_inbound(redis, settings.streams.results, count=2)
    await publish(settings.streams.orders, cancel)
    await results_by_inbound(redis, settings.streams.results, count=3)
    await publish(settings.streams.giftcards, balance)
    results = await results_by_inbound(redis, settings.streams.results, count=4)
    statuses = {event: results[event]["data"]["status"] for event in results}
    assert first[load["event_id"]]["data"]["status"] == "succeeded"
    assert set(statuses.values()) == {"succeeded"}
    assert results[cancel["event_id"]]["data"]["sitoo"]["rolled_back_redemptions"] == [
        redeem["event_id"]
    ]
    assert results[balance["event_id"]]["data"]["sitoo"]["balance"] == "325.00"
    state = sandbox.sandbox.giftcard_state(PIN_CARD)
    assert Decimal(state["giftcard"]["moneyamount"]) == Decimal("325.00")
    assert await redis.xlen(settings.streams.giftcards + settings.streams.dead_letter_suffix) == 0
