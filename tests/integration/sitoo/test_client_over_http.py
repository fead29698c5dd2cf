"""The client against the sandbox on a real socket: budget kept, real drops reconciled."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from decimal import Decimal

import redis.asyncio as aioredis
from pydantic import SecretStr

from service.records.keys import DeploymentKeys
from service.records.operations import RedisIdempotencyStore
from service.sandbox import FaultConfig, RunningSandbox, SandboxConfig, serve_sandbox
from service.settings import SitooCredential, SitooSettings
from service.sitoo import Lane, RedisLimiter, SitooClient, build_http_client, order_externalid
from service.sitoo.models import GiftCardTransactionIn, NewOrder, NewOrderItem

CREDENTIALS = {"api-a": "pw-a", "api-b": "pw-b"}


@asynccontextmanager
async def _client(
    redis: aioredis.Redis, prefix: str, faults: FaultConfig
) -> AsyncIterator[tuple[SitooClient, RunningSandbox]]:
    config = SandboxConfig(
        credentials={k: SecretStr(v) for k, v in CREDENTIALS.items()},
        max_in_flight=1,
        faults=faults,
    )
    async with serve_sandbox(config, port=0) as running:
        settings = SitooSettings(
            base_url=running.base_url,  # type: ignore[arg-type]
            api_id="api-a",
            api_password=SecretStr("pw-a"),
            extra_credentials=[SitooCredential(api_id="api-b", api_password=SecretStr("pw-b"))],
            read_timeout_s=0.5,
            call_deadline_s=20.0,
        )
        store = RedisIdempotencyStore(
            redis, keys=DeploymentKeys(prefix), retention_s=600, lease_s=30
        )
        async with build_http_client(settings) as http:
            yield (
                SitooClient(
                    http=http,
                    limiter=RedisLimiter.from_settings(
                        redis, settings, keys=DeploymentKeys(prefix)
                    ),
                    idempotency=store,
                    settings=settings,
                ),
                running,
            )


async def test_pool_of_credentials_never_provokes_a_429(redis: aioredis.Redis, unique: str) -> None:
    """Sixty concurrent calls use both API users, one request in flight each, and no 429."""
    async with _client(redis, unique, FaultConfig(latency_ms=2)) as (client, running):

        async def read(n: int) -> None:
            lane = Lane.INTERACTIVE if n % 5 == 0 else Lane.BULK
            await client.get_giftcard("95000000000000000001", lane=lane)

        await asyncio.gather(*(read(n) for n in range(60)))
        snapshot = running.sandbox.counters.snapshot()
    assert snapshot["max_in_flight"] == {"api-a": 1, "api-b": 1}
    outcomes: Counter[str] = Counter()
    for counts in snapshot["endpoints"].values():
        outcomes.update(counts)
    assert outcomes == Counter({"200": 60})
    assert snapshot["faults"] == {"latency": 60}


async def test_real_connection_drops_after_apply_are_reconciled(
    redis: aioredis.Redis, unique: str
) -> None:
    """Writes whose connection really drops after Sitoo applied them still land once."""
    faults = FaultConfig(seed=3, apply_then_fail_rate=0.4, apply_then_fail_mode="drop")
    async with _client(redis, unique, faults) as (client, running):
        orders = [
            NewOrder(
                externalid=order_externalid(f"http-{n}"),
                orderitems=[NewOrderItem(productname="P", sku="SKU-0001", quantity=1)],
            )
            for n in range(15)
        ]
        ids = await asyncio.gather(
            *(client.create_order(o, op_key=f"h{n}:create-order") for n, o in enumerate(orders))
        )
        redeems = [
            client.add_giftcard_transactions(
                "95000000000000000001",
                [GiftCardTransactionIn(moneyamount=Decimal(-10))],
                op_key=f"h{n}:redeem",
            )
            for n in range(10)
        ]
        await asyncio.gather(*redeems)
        card = await client.get_giftcard("95000000000000000001")
        sandbox = running.sandbox
        assert sandbox.counters.snapshot()["faults"]["drop"] > 5
    assert len(set(ids)) == 15
    created = Counter(e.key for e in sandbox.ledger_entries(kind="order.create"))
    assert sorted(created.values()) == [1] * 15
    assert len(sandbox.ledger_entries(kind="giftcard.transaction")) == 10
    assert card.moneyamount == Decimal(400)
