"""Property: whatever the faults, crashes and duplicates, each logical write lands once."""

from __future__ import annotations

import asyncio
import uuid
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from decimal import Decimal

import redis.asyncio as aioredis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from service.records.operations import ClaimStatus
from service.sandbox import FaultConfig
from service.sitoo import SitooClient, order_externalid
from service.sitoo.keys import operation_reference
from service.sitoo.models import (
    GiftCardTransactionIn,
    NewGiftCard,
    NewOrder,
    NewOrderItem,
    NewWarehouseTransaction,
    NewWarehouseTransactionItem,
)
from tests.component.sitoo.conftest import DiesBeforeRecording, ProcessDied, Rig, build_rig

DEMO_CARD = "95000000000000000001"


@dataclass(frozen=True)
class Op:
    """One logical write, how often it is delivered, and where its first attempt dies."""

    kind: str
    deliveries: int
    concurrent: bool
    crash: str  # "none" | "after-claim" | "after-write"


def _write(kind: str, n: int) -> Callable[[SitooClient, str], Awaitable[object]]:
    if kind == "order":
        order = NewOrder(
            externalid=order_externalid(f"prop-{n}"),
            orderitems=[NewOrderItem(productname="P", sku="SKU-0001", quantity=1)],
        )
        return lambda client, key: client.create_order(order, op_key=key)
    if kind == "issue":
        card = NewGiftCard(
            currencycode="SEK", transactions=[GiftCardTransactionIn(moneyamount=Decimal(50))]
        )
        return lambda client, key: client.issue_giftcard(card, op_key=key)
    if kind == "redeem":
        redeem = [GiftCardTransactionIn(moneyamount=Decimal(-1))]
        return lambda client, key: client.add_giftcard_transactions(DEMO_CARD, redeem, op_key=key)
    moves = [
        NewWarehouseTransaction(
            warehouseid=1,
            transactiontype=10,
            items=[NewWarehouseTransactionItem(sku="SKU-0002", decimalquantity=Decimal(1))],
        )
        for _ in range(2)
    ]
    return lambda client, key: client.add_warehouse_transactions(moves, op_key=key)


def _ledger_hits(rig: Rig, kind: str, key: str, n: int) -> int:
    if kind == "order":
        return len(rig.sandbox.ledger_entries(kind="order.create", key=f"prop-{n}"))
    if kind == "issue":
        return sum(
            1
            for e in rig.sandbox.ledger_entries(kind="giftcard.issue")
            if e.detail["references"] == [operation_reference(key, 0)]
        )
    if kind == "redeem":
        ref = operation_reference(key, 0)
        return len(rig.sandbox.ledger_entries(kind="giftcard.transaction", key=ref))
    refs = {operation_reference(key, 0), operation_reference(key, 1)}
    hits = Counter(
        e.key for e in rig.sandbox.ledger_entries(kind="warehouse.transaction") if e.key in refs
    )
    return min(hits.values(), default=0) if set(hits) == refs and max(hits.values()) == 1 else -1


async def _scenario(redis_url: str, faults: FaultConfig, ops: list[Op]) -> None:
    redis = aioredis.Redis.from_url(redis_url)
    try:
        async with build_rig(redis, f"p{uuid.uuid4().hex[:10]}") as rig:
            rig.sandbox.set_faults(faults)
            for n, op in enumerate(ops):
                key = f"op{n}:{op.kind}"
                write = _write(op.kind, n)
                if op.crash == "after-claim":
                    crashed = await rig.store_with(lease_s=0.05).claim(key)
                    assert crashed.status is ClaimStatus.ACQUIRED
                elif op.crash == "after-write":
                    dying = rig.client_with(DiesBeforeRecording(rig.store_with(lease_s=31.0)))
                    try:
                        await write(dying, key)
                    except ProcessDied:
                        # The lease of the dead process runs out.
                        await redis.hset(rig.store.redis_key(key), "expires", "0")
                deliveries = [write(rig.client, key) for _ in range(op.deliveries)]
                if op.concurrent:
                    results = await asyncio.gather(*deliveries)
                else:
                    results = [await delivery for delivery in deliveries]
                assert all(result == results[0] for result in results)
                assert _ledger_hits(rig, op.kind, key, n) == 1, (op, key)
    finally:
        await redis.aclose()


_OPS = st.builds(
    Op,
    kind=st.sampled_from(["order", "issue", "redeem", "moves"]),
    deliveries=st.integers(min_value=1, max_value=3),
    concurrent=st.booleans(),
    crash=st.sampled_from(["none", "after-claim", "after-write"]),
)
_FAULTS = st.builds(
    FaultConfig,
    seed=st.integers(min_value=0, max_value=2**16),
    apply_then_fail_rate=st.sampled_from([0.0, 0.1, 0.3]),
    apply_then_fail_mode=st.sampled_from(["500", "drop", "stall"]),
    stall_s=st.just(1.0),
    extra_429_rate=st.sampled_from([0.0, 0.1, 0.3]),
    error_before_rate=st.sampled_from([0.0, 0.05, 0.2]),
)


@settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(faults=_FAULTS, ops=st.lists(_OPS, min_size=1, max_size=4))
def test_every_logical_write_lands_exactly_once(
    redis_url: str, faults: FaultConfig, ops: list[Op]
) -> None:
    """Random faults, crash points and duplicate deliveries never double or drop a write."""
    asyncio.run(_scenario(redis_url, faults, ops))
