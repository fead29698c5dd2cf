"""Crashes between the Sitoo write and the ack, persistent failures and injected faults."""

from __future__ import annotations

import asyncio
from decimal import Decimal

import pytest
import redis.asyncio as aioredis

from service.sandbox import FaultConfig, RunningSandbox
from service.settings import Settings
from tests.integration.consumers.conftest import (
    Publish,
    envelope,
    pending,
    read_results,
    results_by_inbound,
    running_service,
    settled,
)

CARD = "95000000000000000001"  # demo seed: 500.00 SEK


async def wait_for(condition: object, timeout_s: float = 10.0) -> None:
    """Poll an async predicate until it holds."""
    async with asyncio.timeout(timeout_s):
        while not await condition():  # type: ignore[operator]
            await asyncio.sleep(0.02)


def balance(sandbox: RunningSandbox) -> Decimal:
    """The demo card's balance."""
    return Decimal(sandbox.sandbox.giftcard_state(CARD)["giftcard"]["moneyamount"])


async def test_crash_after_the_redeem_before_the_ack_spends_once(
    settings: Settings,
    sandbox: RunningSandbox,
    redis: aioredis.Redis,
    publish: Publish,
) -> None:
    """Redeem applied, nothing recorded locally, no ack: the redelivery spends nothing again."""
    patient = settings.model_copy(
        update={"streams": settings.streams.model_copy(update={"max_deliveries": 50})}
    )
    document = envelope(
        "giftcard.redeem", {"card_number": CARD, "amount": "450.00", "currency": "SEK"}
    )
    await redis.set(settings.streams.results, "blocks XADD")  # the result cannot be written
    async with running_service(patient):
        await publish(settings.streams.giftcards, document)

        async def applied_and_pending() -> bool:
            written = sandbox.sandbox.ledger_entries(kind="giftcard.transaction")
            return bool(written) and await pending(redis, settings.streams.giftcards) == 1

        await wait_for(applied_and_pending)
        # Forget our own record of the redemption too, as if the process died right after
        # Sitoo answered: only the client's idempotency record remains to answer the retry.
        await redis.delete(f"{settings.redis.key_prefix}:redemption:{document['event_id']}")
        await redis.delete(settings.streams.results)
        results = await results_by_inbound(redis, settings.streams.results, count=1)
        assert results[document["event_id"]]["type"] == "giftcard.redeem.succeeded"
        await wait_for(lambda: _zero(pending(redis, settings.streams.giftcards)))
    # Only 50.00 is left, so a redelivery that checked the balance again would decline.
    assert len(sandbox.sandbox.ledger_entries(kind="giftcard.transaction")) == 1
    assert balance(sandbox) == Decimal("50.00")


async def _zero(count: object) -> bool:
    return await count == 0  # type: ignore[misc]


@pytest.mark.usefixtures("service")
async def test_crash_after_a_coalesced_stock_batch_reconciles_each_event(
    settings: Settings,
    sandbox: RunningSandbox,
    redis: aioredis.Redis,
    publish: Publish,
) -> None:
    """Applied but neither recorded nor acked: each event is found in Sitoo, none re-sent."""
    warehouse = next(
        w.warehouseid
        for w in sandbox.sandbox.catalog.warehouses.values()
        if w.externalid == "WH-STORE-2"
    )
    await redis.set(settings.streams.results, "blocks XADD")  # results cannot be written
    events = [
        envelope(
            "stock.adjusted",
            {"warehouse_id": warehouse, "items": [{"sku": "SKU-0009", "delta": "-1"}]},
        )
        for _ in range(6)
    ]
    for document in events:
        await publish(settings.streams.stock, document)

    async def applied() -> bool:
        return len(sandbox.sandbox.ledger_entries(kind="warehouse.transaction")) == 6

    await wait_for(applied)
    # Forget what was recorded locally, as if the process died right after Sitoo answered:
    # each event's claim is still held by a holder whose lease has run out.
    for document in events:
        record = f"{settings.redis.key_prefix}:idem:{document['event_id']}:stock-adjust"
        await redis.hdel(record, "result")
        await redis.hset(record, mapping={"token": "died", "expires": "0"})
    await redis.delete(settings.streams.results)
    results = await results_by_inbound(redis, settings.streams.results, count=6)
    assert {r["type"] for r in results.values()} == {"stock.adjusted.succeeded"}
    assert len(sandbox.sandbox.ledger_entries(kind="warehouse.transaction")) == 6
    await wait_for(lambda: _zero(pending(redis, settings.streams.stock)))


@pytest.mark.usefixtures("service")
async def test_persistent_failure_is_dead_lettered_after_max_deliveries(
    settings: Settings,
    sandbox: RunningSandbox,
    redis: aioredis.Redis,
    publish: Publish,
) -> None:
    """Sitoo answering 503 to every request: retried, then parked with the delivery count."""
    sandbox.sandbox.set_faults(FaultConfig(error_before_rate=1.0, error_before_statuses=[503]))
    document = envelope(
        "giftcard.redeem", {"card_number": CARD, "amount": "1.00", "currency": "SEK"}
    )
    await publish(settings.streams.giftcards, document)
    results = await results_by_inbound(redis, settings.streams.results, count=1, timeout_s=20)
    result = results[document["event_id"]]
    assert result["data"]["reason_code"] == "retries_exhausted"
    assert result["data"]["dead_lettered"] is True
    [(_, parked)] = await redis.xrange(
        settings.streams.giftcards + settings.streams.dead_letter_suffix
    )
    assert parked[b"deliveries"] == str(settings.streams.max_deliveries).encode()
    assert parked[b"original:event"].startswith(b"{")
    await settled(redis, settings.streams.giftcards)
    assert balance(sandbox) == Decimal("500.00")


@pytest.mark.usefixtures("service")
async def test_faults_never_duplicate_an_effect(
    settings: Settings,
    sandbox: RunningSandbox,
    redis: aioredis.Redis,
    publish: Publish,
) -> None:
    """429s, 5xx before and 500 after applying: every event applied exactly once."""
    sandbox.sandbox.set_faults(
        FaultConfig(
            seed=7,
            extra_429_rate=0.15,
            error_before_rate=0.15,
            apply_then_fail_rate=0.2,
            apply_then_fail_mode="500",
        )
    )
    warehouse = next(
        w.warehouseid
        for w in sandbox.sandbox.catalog.warehouses.values()
        if w.externalid == "WH-STORE-3"
    )
    redeems = [
        envelope("giftcard.redeem", {"card_number": CARD, "amount": "10.00", "currency": "SEK"})
        for _ in range(8)
    ]
    deltas = [
        envelope(
            "stock.adjusted",
            {"warehouse_id": warehouse, "items": [{"sku": "SKU-0003", "delta": "2"}]},
        )
        for _ in range(8)
    ]
    for redeem, delta in zip(redeems, deltas, strict=True):
        await publish(settings.streams.giftcards, redeem)
        await publish(settings.streams.stock, delta)
    results = await read_results(redis, settings.streams.results, count=16, timeout_s=30)
    assert {r["type"] for r in results} == {"giftcard.redeem.succeeded", "stock.adjusted.succeeded"}
    assert len(sandbox.sandbox.ledger_entries(kind="giftcard.transaction")) == 8
    assert len(sandbox.sandbox.ledger_entries(kind="warehouse.transaction")) == 8
    assert balance(sandbox) == Decimal("420.00")
    assert sum(sandbox.sandbox.counters.snapshot()["faults"].values()) > 0
