"""`sitoo-sync status` reads streams, dead letters, pollers and the limiter from a real Redis."""

from __future__ import annotations

import asyncio
import json

import pytest
import redis.asyncio as aioredis

from service.deadletter_sources import dead_letter_store
from service.inbox.transport import EntryToPark
from service.operator.status import gather_status
from service.pollers.runner import Heartbeats
from service.pollers.wiring import build_pollers, runner_for
from service.records.keys import DeploymentKeys
from service.records.operations import RedisIdempotencyStore
from service.sandbox import FaultConfig, SandboxConfig, serve_sandbox
from service.settings import load_settings
from service.sitoo import Lane, RedisLimiter, SitooClient, build_http_client
from tests.integration.operator.conftest import Names, invoke, point_at_sitoo

pytestmark = pytest.mark.usefixtures("operator_env")


async def _fill_orders_stream(redis: aioredis.Redis, names: Names) -> None:
    """Three entries, two delivered and unacknowledged, one dead letter."""
    await redis.xgroup_create(names.orders, names.group, id="0", mkstream=True)
    for number in range(3):
        await redis.xadd(names.orders, {"event": f'{{"n": {number}}}'})
    await redis.xreadgroup(names.group, "replica-1", {names.orders: ">"}, count=2)
    letters = dead_letter_store(redis, load_settings())
    parked = await letters.park(
        EntryToPark(
            stream=names.orders,
            entry_id="1-0",
            fields={b"event": b"{}"},
            event_type="order.placed",
            event_id="shop-1",
            reason_code="invalid_entry",
            reason="test",
            deliveries=1,
        )
    )
    assert parked is not None


async def test_stream_counts_without_a_running_service(redis: aioredis.Redis, names: Names) -> None:
    """Length, pending, unread and dead letters per stream; streams never used show no group."""
    await _fill_orders_stream(redis, names)
    status = await gather_status(redis, load_settings())
    orders = next(s for s in status.streams if s.role == "orders")
    assert (orders.stream, orders.length, orders.pending, orders.unread) == (names.orders, 3, 2, 1)
    assert orders.dead_letters == 1
    assert orders.oldest_pending_age_s is not None
    assert orders.oldest_pending_age_s >= 0
    stock = next(s for s in status.streams if s.role == "stock")
    assert not stock.group_exists
    assert stock.pending is None
    assert {s.role for s in status.streams} == {
        "orders",
        "giftcards",
        "giftcard requests",
        "stock",
        "sitoo web hooks",
    }


async def test_pollers_and_limiter_as_a_running_replica_leaves_them(
    redis: aioredis.Redis, names: Names, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A leading stock poller shows its fence, cursor and last success; a failing one its error."""
    async with serve_sandbox(SandboxConfig(), port=0) as running:
        point_at_sitoo(monkeypatch, running.base_url)
        settings = load_settings()
        prefix = settings.redis.key_prefix
        limiter = RedisLimiter.from_settings(redis, settings.sitoo, keys=DeploymentKeys(prefix))
        async with build_http_client(settings.sitoo) as http:
            client = SitooClient(
                http=http,
                limiter=limiter,
                idempotency=RedisIdempotencyStore.from_settings(
                    redis, settings.idempotency, keys=DeploymentKeys(prefix)
                ),
                settings=settings.sitoo,
            )
            stock, orders, _ = build_pollers(redis, client, settings)
            runner = runner_for(stock, redis, settings, Heartbeats())
            stop = asyncio.Event()
            task = asyncio.create_task(runner.run(stop))
            for _ in range(500):  # until the first cycle has been recorded
                if await redis.hexists(
                    DeploymentKeys(prefix).poller_status("stock"), "last_success_at"
                ):
                    break
                await asyncio.sleep(0.02)

            running.sandbox.set_faults(FaultConfig(error_before_rate=1.0, path_contains="orders"))
            failing = runner_for(orders, redis, settings, Heartbeats())
            holding = await failing.lease.acquire()
            assert holding is not None
            assert not await failing.run_cycle(holding)

            async with limiter.slot(Lane.BULK):
                status = await gather_status(redis, settings)
                cli_result = await invoke("status", "--json")
                table = await invoke("status")
            stop.set()
            await task
            await failing.lease.release(holding)

    pollers = {p.name: p for p in status.pollers}
    assert pollers["stock"].fence is not None
    assert pollers["stock"].leader is not None
    assert pollers["stock"].lease_left_s is not None
    assert isinstance(pollers["stock"].cursor, dict)
    assert "warehouses" in pollers["stock"].cursor
    assert pollers["stock"].lag_s is not None
    assert pollers["stock"].last_error is None
    assert pollers["orders"].last_error is not None
    assert "ReadInterrupted" in pollers["orders"].last_error
    assert pollers["giftcards"].fence is None
    assert [(c.api_id, c.in_flight) for c in status.limiter.credentials] == [("sandbox", 1)]

    assert cli_result.exit_code == 0, cli_result.output
    data = json.loads(cli_result.stdout)
    assert data["limiter"]["credentials"] == [
        {"api_id": "sandbox", "in_flight": 1, "interactive_only": False}
    ]
    assert [p["name"] for p in data["pollers"]] == ["stock", "orders", "giftcards"]
    assert table.exit_code == 0, table.output
    lines = table.stdout.splitlines()
    assert any(line.split()[:3] == ["sandbox", "all", "1"] for line in lines if line.strip())
    poller_lines = lines[lines.index("pollers") :]
    stock_line = next(line for line in poller_lines if line.startswith("stock "))
    assert f"  {pollers['stock'].fence}  " in stock_line
    assert "waiting: 0 interactive, 0 bulk" in lines


async def test_status_without_redis_url_is_a_configuration_error() -> None:
    """Without a Redis URL the command says which variable is missing and exits 2."""
    with pytest.MonkeyPatch.context() as patch:
        patch.delenv("SITOO_SYNC_REDIS__URL")
        result = await invoke("status")
    assert result.exit_code == 2
    assert "SITOO_SYNC_REDIS__URL" in result.output


async def test_reserved_api_users_are_marked(
    redis: aioredis.Redis, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each API user shows whether bulk work may use it; the table says so in words."""
    point_at_sitoo(monkeypatch, "http://127.0.0.1:9/v2/accounts/1", api_id="shared")
    monkeypatch.setenv(
        "SITOO_SYNC_SITOO__INTERACTIVE_CREDENTIALS",
        '[{"api_id": "till", "api_password": "till-pw"}]',
    )
    status = await gather_status(redis, load_settings())
    assert [(c.api_id, c.interactive_only) for c in status.limiter.credentials] == [
        ("shared", False),
        ("till", True),
    ]
    table = await invoke("status")
    assert "interactive only" in table.stdout
    assert "till-pw" not in table.stdout
