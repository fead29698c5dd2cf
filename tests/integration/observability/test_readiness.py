"""/readyz turns red when a subscriber dies or Redis goes away; never because of Sitoo."""

from __future__ import annotations

import asyncio
from pathlib import Path

import redis.asyncio as aioredis
from pydantic import SecretStr

from service.sandbox import RunningSandbox, SandboxConfig
from tests.integration.observability.conftest import (
    API_ID,
    API_PASSWORD,
    order_fields,
    results_of,
    running_service,
    service_settings,
    wait_for_checks,
    wait_for_status,
)
from tests.integration.observability.redis_process import RedisProcess


async def test_a_subscriber_stopped_by_nogroup_turns_readiness_red_and_asks_to_exit(
    sandbox: RunningSandbox, redis_url: str, redis: aioredis.Redis, unique: str
) -> None:
    """A deleted stream stops its subscribers: /readyz names them and the app asks to exit."""
    settings = service_settings(sandbox, redis_url, unique)
    exits: list[str] = []
    async with running_service(settings, request_exit=lambda: exits.append("exit")) as (_, http):
        ready = await wait_for_status(http, "/readyz", 200)
        assert ready["checks"] == {"redis": True, "subscribers": True}
        await redis.delete(settings.streams.orders)  # group gone: the next read gets NOGROUP
        red = await wait_for_status(http, "/readyz", 503)
        assert red["checks"]["subscribers"] is False
        assert red["checks"]["redis"] is True
        assert f"{settings.streams.orders}:reader" in red["details"]["stopped_subscribers"]
        async with asyncio.timeout(10):
            while not exits:
                await asyncio.sleep(0.05)
        # Nothing restarts a stopped subscriber inside the process: it stays red.
        await asyncio.sleep(0.5)
        assert (await http.get("/readyz")).status_code == 503
        assert (await http.get("/healthz")).status_code == 200
    assert exits == ["exit"]


async def test_redis_going_away_turns_readiness_red_and_green_again_when_it_returns(
    sandbox: RunningSandbox, tmp_path: Path, unique: str
) -> None:
    """Redis stopped: red; Redis back with its data: green again and events flow once more."""
    server = RedisProcess(tmp_path / "redis", persistent=True)
    await server.start()
    exits: list[str] = []
    try:
        settings = service_settings(sandbox, server.url, unique)
        async with running_service(settings, request_exit=lambda: exits.append("exit")) as (
            _,
            http,
        ):
            await wait_for_status(http, "/readyz", 200)
            await server.stop()
            red = await wait_for_status(http, "/readyz", 503)
            assert red["checks"]["redis"] is False
            await server.start()
            green = await wait_for_status(http, "/readyz", 200, timeout_s=30)
            assert green["checks"]["subscribers"] is True
            # The subscribers really read again: an event published now is applied.
            client = aioredis.Redis.from_url(server.url)
            try:
                await client.xadd(settings.streams.orders, order_fields("W-AFTER-OUTAGE"))
                [result] = await results_of(client, settings.streams.results, count=1, timeout_s=30)
            finally:
                await client.aclose()
            assert result["data"]["status"] == "succeeded"
            assert len(sandbox.sandbox.find_orders(externalid="W-AFTER-OUTAGE")) == 1
    finally:
        await server.stop()
    assert exits == []


async def test_redis_returning_without_its_data_leaves_readiness_red(
    sandbox: RunningSandbox, tmp_path: Path, unique: str
) -> None:
    """A Redis that comes back empty lost the groups: the subscribers stay dead and /readyz red."""
    server = RedisProcess(tmp_path / "redis", persistent=False)
    await server.start()
    exits: list[str] = []
    try:
        settings = service_settings(sandbox, server.url, unique)
        async with running_service(settings, request_exit=lambda: exits.append("exit")) as (
            _,
            http,
        ):
            await wait_for_status(http, "/readyz", 200)
            await server.stop()
            await wait_for_checks(http, redis=False)
            await server.start()
            red = await wait_for_checks(http, redis=True, subscribers=False, timeout_s=30)
            assert (await http.get("/readyz")).status_code == 503
            assert red["details"]["stopped_subscribers"]
            async with asyncio.timeout(10):
                while not exits:
                    await asyncio.sleep(0.05)
    finally:
        await server.stop()


async def test_refused_credentials_are_reported_without_taking_the_replica_out(
    sandbox: RunningSandbox,
    sandbox_config: SandboxConfig,
    redis_url: str,
    redis: aioredis.Redis,
    unique: str,
) -> None:
    """A 401 on the only credential: /readyz stays 200 and names it under ``sitoo`` until the
    next successful call; the event that met the 401 is dead-lettered as before."""
    sandbox_config.credentials[API_ID] = SecretStr("rotated-in-backoffice")
    settings = service_settings(sandbox, redis_url, unique)
    async with running_service(settings) as (_, http):
        await wait_for_status(http, "/readyz", 200)  # no verdict yet: no Sitoo call was made
        await redis.xadd(settings.streams.orders, order_fields("W-REFUSED"))
        [refused] = await results_of(redis, settings.streams.results, count=1)
        assert refused["data"]["dead_lettered"] is True
        answer = await http.get("/readyz")
        assert answer.status_code == 200
        assert answer.json()["sitoo"] == {"refused_credentials": [API_ID]}
        assert answer.json()["checks"] == {"redis": True, "subscribers": True}

        sandbox_config.credentials[API_ID] = SecretStr(API_PASSWORD)
        await redis.xadd(settings.streams.orders, order_fields("W-ACCEPTED"))
        await results_of(redis, settings.streams.results, count=2)
        green = (await http.get("/readyz")).json()
        assert "sitoo" not in green
        assert "details" not in green
    assert len(sandbox.sandbox.find_orders(externalid="W-ACCEPTED")) == 1


async def test_a_sitoo_outage_leaves_every_replica_ready(
    sandbox: RunningSandbox, redis_url: str, unique: str
) -> None:
    """Sitoo unreachable with the pollers leading and failing: two replicas stay ready, the
    pollers are reported stale under ``sitoo``."""
    base = service_settings(sandbox, redis_url, unique)
    unreachable = base.sitoo.model_copy(
        update={"base_url": "http://127.0.0.1:9/v2/accounts/90001", "call_deadline_s": 0.5}
    )
    pollers = base.pollers.model_copy(
        update={
            "enabled": True,
            "stock_interval_s": 0.2,
            "orders_interval_s": 0.2,
            "giftcards_interval_s": 0.2,
            "lease_ttl_s": 2.0,
        }
    )
    one = base.model_copy(update={"sitoo": unreachable, "pollers": pollers})
    two_streams = one.streams.model_copy(update={"consumer": f"{unique}-replica-2"})
    two = one.model_copy(update={"streams": two_streams})
    async with running_service(one) as (_, first), running_service(two) as (_, second):
        await wait_for_status(first, "/readyz", 200)
        await wait_for_status(second, "/readyz", 200)
        async with asyncio.timeout(20):
            while True:
                answers = [await first.get("/readyz"), await second.get("/readyz")]
                assert [a.status_code for a in answers] == [200, 200]
                if any(a.json().get("sitoo", {}).get("stale_pollers") for a in answers):
                    break
                await asyncio.sleep(0.2)
