"""A replica dies holding an event's lease after its Sitoo write; busy redeliveries do not count.

The doomed replica is a real `python -m service run` process, killed with SIGKILL while
the sandbox has applied its redeem and withholds the answer. Another replica (in-process)
reclaims the entry again and again while the dead one's lease still holds: more times
than MAX_DELIVERIES. When the lease runs out, the event must run once more, find the
redeem in Sitoo by its reference and end with one `succeeded` result, the card debited once.
"""

from __future__ import annotations

import asyncio
from decimal import Decimal
from pathlib import Path

import redis.asyncio as aioredis

from service.sandbox import FaultConfig, RunningSandbox
from service.settings import IdempotencySettings, Settings
from service.tasks import stop_tasks
from tests.chaos.processes import Replica
from tests.integration.consumers.conftest import (
    API_ID,
    API_PASSWORD,
    Publish,
    envelope,
    read_results,
    running_service,
)

CARD = "95000000000000000001"  # demo seed: 500.00 SEK
LEASE_S = 6.0
DEADLINE_S = 4.0


def _doomed_replica(
    settings: Settings, sandbox: RunningSandbox, redis_url: str, workdir: Path
) -> Replica:
    streams = settings.streams
    return Replica(
        name=f"{settings.redis.key_prefix}-doomed",
        workdir=workdir,
        env={
            "SITOO_SYNC_SITOO__BASE_URL": str(sandbox.base_url),
            "SITOO_SYNC_SITOO__API_ID": API_ID,
            "SITOO_SYNC_SITOO__API_PASSWORD": API_PASSWORD,
            "SITOO_SYNC_SITOO__READ_TIMEOUT_S": "20",
            "SITOO_SYNC_SITOO__CALL_DEADLINE_S": str(DEADLINE_S),
            "SITOO_SYNC_IDEMPOTENCY__LEASE_S": str(LEASE_S),
            "SITOO_SYNC_REDIS__URL": redis_url,
            "SITOO_SYNC_REDIS__KEY_PREFIX": settings.redis.key_prefix,
            "SITOO_SYNC_STREAMS__GIFTCARDS": streams.giftcards,
            "SITOO_SYNC_STREAMS__RESULTS": streams.results,
            "SITOO_SYNC_STREAMS__GROUP": streams.group,
            "SITOO_SYNC_CONSUMERS__CHANNELS": '["giftcards"]',
            "SITOO_SYNC_POLLERS__ENABLED": "false",
            "SITOO_SYNC_LOG__FORMAT": "json",
        },
    )


async def _most_deliveries(redis: aioredis.Redis, stream: str, seen: list[int]) -> None:
    """Note the highest delivery count of the stream's pending entries, until cancelled."""
    while True:
        items = await redis.xpending_range(stream, "sitoo-sync", min="-", max="+", count=10)
        seen.extend(int(item["times_delivered"]) for item in items)
        await asyncio.sleep(0.1)


async def test_busy_redeliveries_of_a_dead_replicas_event_end_in_one_success(  # noqa: PLR0917
    settings: Settings,
    sandbox: RunningSandbox,
    redis: aioredis.Redis,
    publish: Publish,
    redis_url: str,
    tmp_path: Path,
) -> None:
    """The redeem made by a replica that died is found, reported once, charged once."""
    survivor = settings.model_copy(
        update={
            "sitoo": settings.sitoo.model_copy(update={"call_deadline_s": DEADLINE_S}),
            "idempotency": IdempotencySettings(lease_s=LEASE_S),
        }
    )
    # Every gift-card write is applied, then its answer withheld: the replica dies waiting.
    sandbox.sandbox.set_faults(
        FaultConfig(
            apply_then_fail_rate=1.0,
            apply_then_fail_mode="stall",
            stall_s=3.0,  # past the kill; over before the survivor looks the redeem up
            writes_only=True,
            path_contains="giftcards",
        )
    )
    doomed = _doomed_replica(settings, sandbox, redis_url, tmp_path)
    await doomed.start()
    document = envelope(
        "giftcard.redeem", {"card_number": CARD, "amount": "450.00", "currency": "SEK"}
    )
    try:
        await publish(settings.streams.giftcards, document)
        async with asyncio.timeout(20):
            while not sandbox.sandbox.ledger_entries(kind="giftcard.transaction"):
                await asyncio.sleep(0.05)
    finally:
        await doomed.kill()  # holding the event's lease and the redeem's claim
    sandbox.sandbox.set_faults(FaultConfig())

    seen: list[int] = []
    watcher = asyncio.create_task(_most_deliveries(redis, settings.streams.giftcards, seen))
    try:
        async with running_service(survivor):
            [result] = await read_results(redis, settings.streams.results, count=1, timeout_s=40)
            await asyncio.sleep(2.0)  # time for a second result, were there one
            everything = await read_results(redis, settings.streams.results, count=1)
    finally:
        await stop_tasks([watcher])

    assert max(seen) > settings.streams.max_deliveries  # busy redeliveries did happen
    assert result["type"] == "giftcard.redeem.succeeded", result
    assert len(everything) == 1
    assert await redis.xlen(settings.streams.giftcards + ".dlq") == 0
    assert len(sandbox.sandbox.ledger_entries(kind="giftcard.transaction")) == 1
    card = sandbox.sandbox.giftcard_state(CARD)["giftcard"]
    assert Decimal(card["moneyamount"]) == Decimal("50.00")
