"""The Events SPI endpoint against a real Redis: 200 after the append, 401, 503, replays."""

from __future__ import annotations

import asyncio
import json

import httpx
import pytest
import redis.asyncio as aioredis
from faststream.asgi import AsgiFastStream
from faststream.redis import RedisBroker
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff

from service.records.connection import open_redis
from service.settings import HttpSettings, RedisSettings, Settings, StreamSettings
from service.webhooks.intake import webhook_app, webhook_routes

AUTH = ("sitoo", "hook-secret")


def _settings(unique: str, **http: object) -> Settings:
    return Settings(
        redis=RedisSettings(key_prefix=unique),
        streams=StreamSettings(sitoo_webhooks=f"{unique}.webhooks"),
        http=HttpSettings(webhook_password=AUTH[1], **http),
    )


def _event(event_id: str, order_id: int = 5) -> dict[str, object]:
    return {
        "event_id": event_id,
        "event_type": "order",
        "event_date": 1767268800,
        "account_id": 90001,
        "data": {"eshop_id": 1, "order_id": order_id, "order_event_type": "add"},
    }


def _client(app) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://hook")


async def test_batch_is_stored_before_200_and_replays_are_dropped(redis, unique):
    """Every event is in the stream when 200 comes back; a replayed batch adds nothing."""
    settings = _settings(unique)
    batch = [_event(f"{unique}-a", 1), _event(f"{unique}-b", 2)]
    async with _client(webhook_app(settings, lambda: redis)) as client:
        first = await client.post("/sitoo/events", json=batch, auth=AUTH)
        assert first.status_code == 200
        entries = await redis.xrange(settings.streams.sitoo_webhooks)
        assert [json.loads(f[b"event"])["event_id"] for _, f in entries] == [
            f"{unique}-a",
            f"{unique}-b",
        ]
        replay = await client.post(
            "/sitoo/events", json=[batch[1], _event(f"{unique}-c")], auth=AUTH
        )
    assert replay.status_code == 200
    assert replay.json()["new"] == 1
    assert await redis.xlen(settings.streams.sitoo_webhooks) == 3


@pytest.mark.parametrize(
    "auth", [None, ("sitoo", "wrong"), ("other", AUTH[1])], ids=["none", "password", "user"]
)
async def test_wrong_or_missing_credentials_get_401_and_store_nothing(redis, unique, auth):
    """Without our Basic credentials the answer is 401 and nothing is appended."""
    settings = _settings(unique)
    async with _client(webhook_app(settings, lambda: redis)) as client:
        response = await client.post("/sitoo/events", json=[_event(f"{unique}-x")], auth=auth)
    assert response.status_code == 401
    assert await redis.xlen(settings.streams.sitoo_webhooks) == 0


@pytest.mark.parametrize("cluster", [False, True], ids=["one Redis", "Redis Cluster"])
async def test_redis_down_gives_503(unique, cluster):
    """A Redis that does not answer makes the endpoint say 503, so Sitoo retries.

    A cluster client that reaches no node raises an error outside redis-py's RedisError.
    """
    settings = _settings(unique)
    dead = open_redis(
        "redis://127.0.0.1:1",
        cluster=cluster,
        socket_connect_timeout=0.2,
        retry=Retry(NoBackoff(), 0),
    )
    try:
        async with _client(webhook_app(settings, lambda: dead)) as client:
            response = await client.post("/sitoo/events", json=[_event("e1")], auth=AUTH)
    finally:
        await dead.aclose()
    assert response.status_code == 503


async def test_a_stuck_redis_is_cut_off_by_the_deadline_with_503(redis, redis_url, unique):
    """Writes blocked past the handler's deadline end in 503 well before Sitoo's 15 s."""
    settings = _settings(unique, webhook_deadline_s=0.2)
    admin = aioredis.Redis.from_url(redis_url)
    try:
        await admin.execute_command("CLIENT", "PAUSE", 800, "WRITE")
        async with _client(webhook_app(settings, lambda: redis)) as client:
            response = await client.post("/sitoo/events", json=[_event(f"{unique}-p")], auth=AUTH)
    finally:
        await admin.execute_command("CLIENT", "UNPAUSE")
        await admin.aclose()
    assert response.status_code == 503


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (b"{not json", "not JSON"),
        (b'{"event_id": "x"}', "not a JSON array"),
        (json.dumps([_event(f"e{i}") for i in range(11)]).encode(), "11 events"),
        (b"[]", "0 events"),
        (json.dumps([{"event_type": "order"}]).encode(), "event_id"),
    ],
    ids=["not-json", "object", "eleven", "empty", "no-id"],
)
async def test_malformed_batches_are_dead_lettered_and_answered_200(redis, unique, body, reason):
    """A batch that can never be processed is kept whole in the dead letters, then 200."""
    settings = _settings(unique)
    async with _client(webhook_app(settings, lambda: redis)) as client:
        response = await client.post(
            "/sitoo/events", content=body, auth=AUTH, headers={"content-type": "application/json"}
        )
    assert response.status_code == 200
    assert response.json()["outcome"] == "dead_lettered"
    letters = await redis.xrange(settings.streams.sitoo_webhooks + ".dlq")
    assert len(letters) == 1
    assert letters[0][1][b"original:body"] == body
    assert reason in letters[0][1][b"reason"].decode()
    assert await redis.xlen(settings.streams.sitoo_webhooks) == 0


async def test_dead_letter_store_failing_gives_503(redis, unique):
    """When even the dead-letter append fails the batch is refused with 503, not lost."""
    settings = _settings(unique)
    await redis.set(settings.streams.sitoo_webhooks + ".dlq", "occupied")
    async with _client(webhook_app(settings, lambda: redis)) as client:
        response = await client.post("/sitoo/events", content=b"nope", auth=AUTH)
    assert response.status_code == 503


async def test_the_route_works_through_asgifaststream(redis, unique):
    """Mounted with AsgiFastStream's asgi_routes, POST and Basic auth reach the endpoint."""
    settings = _settings(unique)
    broker = RedisBroker("redis://127.0.0.1:1")
    app = AsgiFastStream(broker, asgi_routes=webhook_routes(settings, lambda: redis))
    async with _client(app) as client:
        refused = await client.post("/sitoo/events", json=[_event(f"{unique}-r")])
        accepted = await client.post("/sitoo/events", json=[_event(f"{unique}-r")], auth=AUTH)
        wrong_method = await client.get("/sitoo/events", auth=AUTH)
    assert (refused.status_code, accepted.status_code) == (401, 200)
    assert wrong_method.status_code == 405
    assert await redis.xlen(settings.streams.sitoo_webhooks) == 1


def test_no_password_means_no_route(unique):
    """Without a configured password the endpoint is not served at all."""
    assert webhook_routes(Settings(), lambda: None) == []


async def test_concurrent_replays_store_an_event_once(redis, unique):
    """The same batch posted many times at once still yields one entry per event."""
    settings = _settings(unique)
    batch = [_event(f"{unique}-1"), _event(f"{unique}-2")]
    async with _client(webhook_app(settings, lambda: redis)) as client:
        answers = await asyncio.gather(
            *(client.post("/sitoo/events", json=batch, auth=AUTH) for _ in range(8))
        )
    assert {a.status_code for a in answers} == {200}
    assert sum(a.json()["new"] for a in answers) == 2
    assert await redis.xlen(settings.streams.sitoo_webhooks) == 2
