"""The service's own Redis client: once closed, no command opens a connection again."""

from __future__ import annotations

import pytest
import redis.asyncio as aioredis
from redis.exceptions import ConnectionError as RedisConnectionError

from service.records.connection import redis_for
from service.settings_redis import RedisSettings


async def _connections_named(redis: aioredis.Redis, name: str) -> int:
    return sum(1 for client in await redis.client_list() if client.get("name") == name)


async def test_a_command_after_close_is_refused_and_opens_no_socket(
    redis: aioredis.Redis, redis_url: str, unique: str
) -> None:
    """A hand-back still running when the service stops fails instead of reconnecting.

    A plain pool reconnected here, and the socket was never closed: with warnings as
    errors, its ResourceWarning at collection failed the session.
    """
    name = f"{unique}-service"
    client = redis_for(RedisSettings(key_prefix=unique), redis_url, client_name=name)
    await client.set(f"{unique}.alive", "1", px=10_000)
    await client.aclose()
    with pytest.raises(RedisConnectionError):
        await client.set(f"{unique}.late", "1", px=10_000)
    assert await redis.get(f"{unique}.late") is None
    assert await _connections_named(redis, name) == 0
