"""A burst of web hooks larger than the service's Redis pool: it queues, nothing fails.

The service's client is built as the service builds it (:func:`redis_for`), named so the
server's CLIENT LIST shows how many connections it opened.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections import Counter

import httpx
import redis.asyncio as aioredis
from pydantic import SecretStr

from service.adapters.common.intake import IntakeConfig, hmac_sha256_base64, webshop_webhook_route
from service.adapters.shopify.webhook_source import ShopifyWebhooks
from service.records.connection import redis_for
from service.records.keys import DeploymentKeys
from service.settings_redis import RedisSettings

SECRET = "hook-secret"
PATH = "/webhooks/shopify"


def _intake(client: aioredis.Redis, unique: str) -> tuple[str, httpx.AsyncClient]:
    stream = f"{unique}.shopify.webhooks"
    config = IntakeConfig(
        stream=stream, keys=DeploymentKeys(unique), dedupe_ms=60_000, deadline_s=5.0
    )
    source = ShopifyWebhooks(secrets=(SecretStr(SECRET),))
    _, app = webshop_webhook_route(PATH, source, config, lambda: client)
    http = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://hook")
    return stream, http


async def _deliver(http: httpx.AsyncClient, number: int) -> int:
    body = json.dumps({"id": number}).encode()
    headers = {
        "X-Shopify-Hmac-Sha256": hmac_sha256_base64(SECRET, body),
        "X-Shopify-Topic": "orders/create",
        "X-Shopify-Webhook-Id": f"w-{number}",
        "Content-Type": "application/json",
    }
    return (await http.post(PATH, content=body, headers=headers)).status_code


async def _connections_named(redis: aioredis.Redis, name: str) -> int:
    return sum(1 for client in await redis.client_list() if client.get("name") == name)


async def test_burst_larger_than_the_pool_queues_and_is_stored_once(
    redis: aioredis.Redis, redis_url: str, unique: str
) -> None:
    """150 deliveries (each sent twice) at once over 8 connections: all 200, each stored once.

    redis-py's default pool failed every command beyond its 100th connection; the burst
    answered 503 to two thirds of the deliveries and starved the rest of the service.
    """
    settings = RedisSettings(key_prefix=unique, max_connections=8, pool_timeout_s=5.0)
    name = f"{unique}-service"
    client = redis_for(settings, redis_url, client_name=name)
    stream, http = _intake(client, unique)
    deliveries = 150
    try:
        async with http:
            answers = await asyncio.gather(
                *(_deliver(http, n % deliveries) for n in range(2 * deliveries))
            )
        opened = await _connections_named(redis, name)
    finally:
        await client.aclose()
    assert Counter(answers) == {200: 2 * deliveries}
    assert await redis.xlen(stream) == deliveries
    assert 1 <= opened <= settings.max_connections
    assert await _connections_named(redis, name) == 0  # closing the client closed them all


async def test_pool_busy_past_its_timeout_answers_503_then_recovers(
    redis: aioredis.Redis, redis_url: str, unique: str
) -> None:
    """Every connection held by blocking reads: the delivery is 503 (retryable) in time."""
    settings = RedisSettings(key_prefix=unique, max_connections=2, pool_timeout_s=0.2)
    client = redis_for(settings, redis_url)
    stream, http = _intake(client, unique)
    try:
        async with http:
            readers = [
                asyncio.ensure_future(client.blpop([f"{unique}.nothing.{i}"], timeout=1))
                for i in range(settings.max_connections)
            ]
            await asyncio.sleep(0.1)  # both readers are blocked on the server
            started = time.monotonic()
            assert await _deliver(http, 1) == 503
            assert time.monotonic() - started < 1.0
            assert await asyncio.gather(*readers) == [None, None]
            assert await _deliver(http, 1) == 200  # the platform's retry is stored
    finally:
        await client.aclose()
    assert await redis.xlen(stream) == 1
