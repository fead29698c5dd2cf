"""Exactly-once under injected faults: lost answers, 429s, 5xx before apply, crashes."""

from __future__ import annotations

import asyncio
from decimal import Decimal

import pytest
import redis.asyncio as aioredis
from prometheus_client import CollectorRegistry

from service.records.operations import ClaimStatus
from service.sandbox import FaultConfig
from service.sitoo import OutcomeUnknown, SitooClient, order_externalid
from service.sitoo.errors import Disposition
from service.sitoo.metrics import SitooMetrics
from service.sitoo.models import GiftCardTransactionIn, NewOrder, NewOrderItem
from tests.component.sitoo.conftest import DiesBeforeRecording, ProcessDied, Rig, build_rig
from tests.component.sitoo.workload import Expected, assert_exactly_once, run_workload

DEMO_CARD = "95000000000000000001"  # the demo seed's 500.00 card without PIN
FLOWS_PER_MODE = {"500": 200, "drop": 200, "stall": 100}  # two writes per flow: 1000 writes


def _order(webshop_id: str) -> NewOrder:
    return NewOrder(
        externalid=order_externalid(webshop_id),
        orderitems=[NewOrderItem(productname="P", sku="SKU-0001", quantity=1)],
    )


async def test_thousand_writes_under_faults_apply_exactly_once(rig: Rig) -> None:
    """1,000 writes with 10% apply-then-fail, 10% 429 and 5% 5xx-before-apply all succeed once."""
    expected = Expected()
    first = 0
    for seed, (mode, flows) in enumerate(FLOWS_PER_MODE.items()):
        rig.sandbox.set_faults(
            FaultConfig(
                seed=seed,
                apply_then_fail_rate=0.10,
                apply_then_fail_mode=mode,  # type: ignore[arg-type]
                stall_s=1.0,
                extra_429_rate=0.10,
                error_before_rate=0.05,
            )
        )
        await run_workload(rig.client, first=first, count=flows, expected=expected)
        first += flows
    rig.sandbox.clear_faults()
    assert expected.writes == 1000
    assert_exactly_once(rig.sandbox, expected)
    snapshot = rig.sandbox.counters.snapshot()
    faults = snapshot["faults"]
    # The faults really happened, in every flavour, many times over.
    assert faults["apply_then_500"] > 20
    assert faults["drop"] > 20
    assert faults["stall"] > 10
    assert faults["extra_429"] > 50
    assert faults["error_before"] > 25
    # Our limiter kept to Sitoo's budget: never two requests in flight for the API user.
    assert snapshot["max_in_flight"] == {"sandbox": 1}


async def test_concurrent_duplicate_deliveries_write_once(rig: Rig) -> None:
    """Five simultaneous deliveries of one order event create one order and agree on its id."""
    rig.sandbox.set_faults(
        FaultConfig(seed=7, apply_then_fail_rate=0.3, extra_429_rate=0.2, error_before_rate=0.1)
    )
    order = _order("dup-1")
    ids = await asyncio.gather(
        *(rig.client.create_order(order, op_key="dup-1:create-order") for _ in range(5))
    )
    assert len(set(ids)) == 1
    assert len(rig.sandbox.ledger_entries(kind="order.create", key="dup-1")) == 1


async def test_crash_after_claim_is_taken_over_and_written_once(rig: Rig) -> None:
    """A claimant dies before writing; after its lease the next delivery reconciles, then writes."""
    crashed = await rig.store_with(lease_s=0.2).claim("crash-1:redeem")
    assert crashed.status is ClaimStatus.ACQUIRED
    result = await rig.client.add_giftcard_transactions(
        DEMO_CARD, [GiftCardTransactionIn(moneyamount=Decimal(-10))], op_key="crash-1:redeem"
    )
    assert result.giftcard is not None
    assert result.giftcard.moneyamount == Decimal(490)
    assert len(rig.sandbox.ledger_entries(kind="giftcard.transaction")) == 1
    claim = await rig.store.claim("crash-1:redeem")
    assert claim.status is ClaimStatus.DONE
    assert claim.attempt == 2  # the crashed claim, then the takeover


async def test_crash_after_write_is_reconciled_not_repeated(rig: Rig) -> None:
    """The process dies between Sitoo applying a redeem and recording it; the retry finds it."""
    dying = rig.client_with(DiesBeforeRecording(rig.store_with(lease_s=31.0)))
    transactions = [GiftCardTransactionIn(moneyamount=Decimal(-25))]
    with pytest.raises(ProcessDied):
        await dying.add_giftcard_transactions(DEMO_CARD, transactions, op_key="crash-2:redeem")
    # The dead process held a 31 s lease; its successor sees it lapse (here: a short wait
    # is simulated by the short-lease store that replaced it).
    await rig.redis.hset(rig.store.redis_key("crash-2:redeem"), "expires", "0")
    survivor = rig.client_with(rig.store_with(lease_s=31.0))
    result = await survivor.add_giftcard_transactions(
        DEMO_CARD, transactions, op_key="crash-2:redeem"
    )
    assert result.giftcard is not None
    assert result.giftcard.moneyamount == Decimal(475)
    assert len(result.addedtransactionids) == 1
    assert len(rig.sandbox.ledger_entries(kind="giftcard.transaction")) == 1


async def test_lost_answer_then_deadline_leaves_the_next_delivery_reconciling(
    redis: aioredis.Redis, unique: str
) -> None:
    """When answers and look-ups all fail, the op ends unknown and the next run reconciles."""
    async with build_rig(redis, unique, call_deadline_s=0.5, lease_s=1.0) as rig:
        rig.sandbox.set_faults(FaultConfig(apply_then_fail_rate=1.0, apply_then_fail_mode="drop"))
        order = _order("lost-1")
        with pytest.raises(OutcomeUnknown) as caught:
            await rig.client.create_order(order, op_key="lost-1:create-order")
        assert caught.value.disposition is Disposition.RECONCILE
        rig.sandbox.clear_faults()
        orderid = await rig.client.create_order(order, op_key="lost-1:create-order")
        assert len(rig.sandbox.ledger_entries(kind="order.create", key="lost-1")) == 1
        assert (await rig.client.get_order(orderid)).externalid == "lost-1"


def test_a_lease_shorter_than_the_call_deadline_is_refused(rig: Rig) -> None:
    """The client will not run with a lease that could lapse during one of its calls."""
    with pytest.raises(ValueError, match="must exceed the call deadline"):
        rig.client_with(rig.store_with(lease_s=10.0))


async def test_metrics_count_requests_429s_waits_and_reconciliations(rig: Rig) -> None:
    """Prometheus instruments see every request, the 429s and the reconciliations."""
    registry = CollectorRegistry()
    client = SitooClient(
        http=rig.http,
        limiter=rig.limiter,
        idempotency=rig.store,
        settings=rig.settings,
        metrics=SitooMetrics(registry),
    )
    rig.sandbox.set_faults(FaultConfig(seed=11, apply_then_fail_rate=0.3, extra_429_rate=0.3))
    for n in range(20):
        await client.create_order(_order(f"m-{n}"), op_key=f"m{n}:create-order")

    def sample(name: str, **labels: str) -> float:
        return registry.get_sample_value(name, labels) or 0.0

    endpoint = "sites/{id}/orders.json"
    posts_429 = sample(
        "sitoo_sync_sitoo_requests_total",
        method="POST",
        endpoint=endpoint,
        outcome="rate_limited",
        status_code="429",
    )
    faults = rig.sandbox.counters.snapshot()["faults"]
    total = rig.sandbox.counters.snapshot()["total"]
    assert posts_429 > 0
    assert sample("sitoo_sync_sitoo_reconciliations_total", outcome="found") > 0
    assert sample("sitoo_sync_sitoo_requests_in_flight") == 0
    waits = sample("sitoo_sync_sitoo_limiter_wait_seconds_count", lane="bulk")
    assert waits == total
    assert faults["extra_429"] >= posts_429


async def test_look_up_finds_a_redeem_whose_answer_was_lost(
    redis: aioredis.Redis, unique: str
) -> None:
    """Every answer dropped: the redeem ends unknown; the look-up finds it and writes nothing."""
    async with build_rig(redis, unique, call_deadline_s=0.5, lease_s=1.0) as rig:
        charge = [GiftCardTransactionIn(moneyamount=Decimal(-30))]
        rig.sandbox.set_faults(FaultConfig(apply_then_fail_rate=1.0, apply_then_fail_mode="drop"))
        with pytest.raises(OutcomeUnknown):
            await rig.client.add_giftcard_transactions(DEMO_CARD, charge, op_key="lost-2:redeem")
        rig.sandbox.clear_faults()
        found = await rig.client.find_giftcard_transactions(
            DEMO_CARD, charge, op_key="lost-2:redeem"
        )
        assert found is not None
        assert found.giftcard is not None
        assert found.giftcard.moneyamount == Decimal(470)
        assert len(found.addedtransactionids) == 1
        assert len(rig.sandbox.ledger_entries(kind="giftcard.transaction")) == 1
        # Recorded: the next look-up (or a write under the same key) is answered from Redis.
        claim = await rig.store.claim("lost-2:redeem")
        assert claim.status is ClaimStatus.DONE


async def test_look_up_of_an_operation_never_sent_is_none_and_leaves_it_open(rig: Rig) -> None:
    """Nothing was sent: None, no Sitoo write, and the key can still be written once."""
    charge = [GiftCardTransactionIn(moneyamount=Decimal(-5))]
    assert (
        await rig.client.find_giftcard_transactions(DEMO_CARD, charge, op_key="never-1:redeem")
        is None
    )
    assert rig.sandbox.ledger_entries(kind="giftcard.transaction") == []
    written = await rig.client.add_giftcard_transactions(DEMO_CARD, charge, op_key="never-1:redeem")
    assert written.giftcard is not None
    assert written.giftcard.moneyamount == Decimal(495)
    assert len(rig.sandbox.ledger_entries(kind="giftcard.transaction")) == 1
