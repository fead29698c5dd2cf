"""CLAIM_REPLICAS against a real primary and replica: no Sitoo write under a claim only one holds.

The replica's process is frozen (SIGSTOP), so it acknowledges nothing, as a replica cut off
from its primary. With the setting on, the service sends no write while that lasts and
the entries wait; once the replica is back, each is applied once.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pytest
import redis.asyncio as aioredis
from pydantic import SecretStr

from service.app import build_sitoo_client
from service.local.embedded import EmbeddedRedisUnavailableError, server_executable
from service.operator.check import run_checks
from service.sandbox import RunningSandbox
from service.settings import IdempotencySettings, Settings
from service.sitoo import ClaimNotReplicated
from service.sitoo.limiter import Lane
from service.sitoo.models import GiftCardTransactionIn
from service.sitoo.transport import build_http_client
from tests.integration.consumers.conftest import envelope, read_results, running_service
from tests.support.replicated_redis import (
    ReplicatedRedis,
    redis_server_or_reason,
    replicated_redis,
)

CARD = "95000000000000000001"  # demo seed: 500.00 SEK


@pytest.fixture
def pair(tmp_path: Path) -> Iterator[ReplicatedRedis]:
    """A primary with AOF and one linked replica, or a skip saying why there is none."""
    executable, reason = redis_server_or_reason()
    if executable is None:
        pytest.skip(f"no Redis server to run a primary and a replica: {reason}")
    with replicated_redis(tmp_path) as running:
        yield running


def _on(
    settings: Settings, pair: ReplicatedRedis, replicas: int, *, fsync: bool = False
) -> Settings:
    return settings.model_copy(
        update={
            "redis": settings.redis.model_copy(
                update={
                    "url": SecretStr(pair.primary.url),
                    "claim_replicas": replicas,
                    # AOF fsync happens once a second (appendfsync everysec): WAITAOF may wait
                    # that long, WAIT only for a round trip.
                    "claim_replica_timeout_s": 1.5 if fsync else 0.3,
                    "claim_fsync": fsync,
                }
            ),
            "idempotency": IdempotencySettings(lease_s=30.0),
        }
    )


def _card_writes(sandbox: RunningSandbox) -> int:
    return len(sandbox.sandbox.ledger_entries(kind="giftcard.transaction"))


async def test_client_sends_no_write_while_the_replica_does_not_acknowledge(
    settings: Settings, sandbox: RunningSandbox, pair: ReplicatedRedis
) -> None:
    """Frozen replica: ClaimNotReplicated, nothing sent, the claim released; then once."""
    configured = _on(settings, pair, replicas=1)
    redis = aioredis.Redis.from_url(pair.primary.url)
    charge = [GiftCardTransactionIn(moneyamount=Decimal("-10.00"))]
    try:
        async with build_http_client(configured.sitoo) as http:
            client = build_sitoo_client(configured, redis, http)
            await client.add_giftcard_transactions(CARD, charge, op_key="linked:redeem")
            assert _card_writes(sandbox) == 1
            sent = sandbox.sandbox.counters.total
            pair.replica.freeze()
            try:
                with pytest.raises(ClaimNotReplicated):
                    await client.add_giftcard_transactions(
                        CARD, charge, op_key="cut-off:redeem", lane=Lane.INTERACTIVE
                    )
                assert sandbox.sandbox.counters.total == sent  # not even a look-up
                held = await redis.hget(f"{settings.redis.key_prefix}:idem:cut-off:redeem", "token")
                assert held is None
            finally:
                pair.replica.thaw()
            await client.add_giftcard_transactions(CARD, charge, op_key="cut-off:redeem")
            await client.add_giftcard_transactions(CARD, charge, op_key="cut-off:redeem")
    finally:
        await redis.aclose()
    assert _card_writes(sandbox) == 2
    card = sandbox.sandbox.giftcard_state(CARD)["giftcard"]
    assert Decimal(card["moneyamount"]) == Decimal("480.00")


async def test_service_holds_writes_until_the_replica_acknowledges(
    settings: Settings, sandbox: RunningSandbox, pair: ReplicatedRedis
) -> None:
    """Through the consumers: the redeem waits while the replica is cut off, then runs once."""
    configured = _on(settings, pair, replicas=1)
    redis = aioredis.Redis.from_url(pair.primary.url)
    document = envelope(
        "giftcard.redeem", {"card_number": CARD, "amount": "25.00", "currency": "SEK"}
    )
    try:
        async with running_service(configured):
            pair.replica.freeze()
            try:
                await redis.xadd(settings.streams.giftcards, {"event": _json(document)})
                await asyncio.sleep(3.0)  # several deliveries (reclaim every second)
                assert _card_writes(sandbox) == 0
                assert await redis.xlen(settings.streams.results) == 0
            finally:
                pair.replica.thaw()
            [result] = await read_results(redis, settings.streams.results, count=1, timeout_s=20)
            await asyncio.sleep(1.0)
            assert await redis.xlen(settings.streams.results) == 1
    finally:
        await redis.aclose()
    assert result["type"] == "giftcard.redeem.succeeded", result
    assert _card_writes(sandbox) == 1


def _json(document: object) -> bytes:
    return json.dumps(document).encode()


async def test_check_reports_the_replicas_claims_wait_for(
    settings: Settings, pair: ReplicatedRedis
) -> None:
    """`check` with CLAIM_REPLICAS 1 against a primary with its replica: ok, and says so."""
    [redis_finding, *sitoo] = await run_checks(_on(settings, pair, replicas=1))
    assert redis_finding.ok, redis_finding.line()
    assert "1 replicas, claims wait for 1" in redis_finding.message
    assert all(finding.ok for finding in sitoo)


@pytest.fixture
def aof_pair(tmp_path: Path) -> Iterator[ReplicatedRedis]:
    """A primary and replica of a server that has WAITAOF (the embedded Valkey speaks 7.2)."""
    try:
        executable = str(server_executable())
    except EmbeddedRedisUnavailableError as error:
        pytest.skip(f"no server with WAITAOF (Redis 7.2+) to run: {error}")
    with replicated_redis(tmp_path, executable) as running:
        yield running


async def test_claim_fsync_waits_for_the_replicas_append_only_file(
    settings: Settings, sandbox: RunningSandbox, aof_pair: ReplicatedRedis
) -> None:
    """CLAIM_FSYNC: written once the AOFs have the claim; nothing sent while the replica is cut."""
    configured = _on(settings, aof_pair, replicas=1, fsync=True)
    redis = aioredis.Redis.from_url(aof_pair.primary.url)
    charge = [GiftCardTransactionIn(moneyamount=Decimal("-10.00"))]
    try:
        async with build_http_client(configured.sitoo) as http:
            client = build_sitoo_client(configured, redis, http)
            await client.add_giftcard_transactions(CARD, charge, op_key="fsynced:redeem")
            sent = sandbox.sandbox.counters.total
            aof_pair.replica.freeze()
            try:
                with pytest.raises(ClaimNotReplicated):
                    await client.add_giftcard_transactions(CARD, charge, op_key="cut:redeem")
            finally:
                aof_pair.replica.thaw()
            assert sandbox.sandbox.counters.total == sent
    finally:
        await redis.aclose()
    assert _card_writes(sandbox) == 1
