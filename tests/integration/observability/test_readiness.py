"""/readyz turns red when a subscriber dies, Redis goes away or Sitoo refuses the credentials."""

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
        assert ready["checks"] == {
            "redis": True,
            "subscribers": True,
            "pollers": True,
            "sitoo_credentials": True,
        }
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


async def test_refused_credentials_turn_readiness_red_until_a_call_succeeds(
    sandbox: RunningSandbox,
    sandbox_config: SandboxConfig,
    redis_url: str,
    redis: aioredis.Redis,
    unique: str,
) -> None:
    """A 401 on the only credential turns /readyz red; the next successful call turns it green."""
    sandbox_config.credentials[API_ID] = SecretStr("rotated-in-backoffice")
    settings = service_settings(sandbox, redis_url, unique)
    async with running_service(settings) as (_, http):
        await wait_for_status(http, "/readyz", 200)  # no verdict yet: no Sitoo call was made
        await redis.xadd(settings.streams.orders, order_fields("W-REFUSED"))
        red = await wait_for_status(http, "/readyz", 503)
        assert red["checks"]["sitoo_credentials"] is False
        assert red["details"]["refused_credentials"] == [API_ID]
        [refused] = await results_of(redis, settings.streams.results, count=1)
        assert refused["data"]["dead_lettered"] is True

        sandbox_config.credentials[API_ID] = SecretStr(API_PASSWORD)
        await redis.xadd(settings.streams.orders, order_fields("W-ACCEPTED"))
        green = await wait_for_status(http, "/readyz", 200)
        assert green["checks"]["sitoo_credentials"] is True
        assert "details" not in green
    assert len(sandbox.sandbox.find_orders(externalid="W-ACCEPTED")) == 1
