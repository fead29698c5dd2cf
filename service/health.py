"""Liveness and readiness endpoints served beside the consumers."""

from __future__ import annotations

import json
from collections.abc import Callable

import redis.asyncio as aioredis
from faststream.asgi import AsgiResponse, get
from faststream.asgi.handlers import GetHandler
from faststream.asgi.types import Scope
from faststream.redis import RedisBroker
from redis.exceptions import RedisError

_JSON = {"content-type": "application/json"}


def _respond(checks: dict[str, bool]) -> AsgiResponse:
    ok = all(checks.values())
    body = json.dumps({"status": "ok" if ok else "unavailable", "checks": checks}).encode()
    return AsgiResponse(body, 200 if ok else 503, headers=_JSON)


def liveness() -> GetHandler:
    """/healthz: the process and its event loop answer."""

    @get(include_in_schema=False)
    async def healthz(scope: Scope) -> AsgiResponse:  # noqa: ARG001 - ASGI signature
        return _respond({"process": True})

    return healthz


def readiness(
    broker: RedisBroker,
    *,
    resources_redis: Callable[[], aioredis.Redis | None],
    stale_pollers: Callable[[], list[str]],
) -> GetHandler:
    """/readyz: Redis answers, every subscriber is still running, no poller is stale."""

    @get(include_in_schema=False)
    async def readyz(scope: Scope) -> AsgiResponse:  # noqa: ARG001 - ASGI signature
        client = resources_redis()
        redis_ok = False
        if client is not None:
            try:
                redis_ok = bool(await client.ping())
            except (RedisError, OSError):
                redis_ok = False
        # FastStream's own ping stays green when a subscriber died (e.g. NOGROUP),
        # so each subscriber's running flag is checked as well.
        subscribers_ok = all(sub.running for sub in broker.subscribers)
        return _respond(
            {"redis": redis_ok, "subscribers": subscribers_ok, "pollers": not stale_pollers()}
        )

    return readyz
