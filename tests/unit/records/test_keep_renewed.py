"""The lease's heartbeat outlives a Redis that fails for a beat, a cluster's included."""

from __future__ import annotations

import asyncio

import pytest
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import RedisClusterException, ResponseError

from service.records.lease import keep_renewed


@pytest.mark.parametrize(
    "failure",
    [
        RedisConnectionError("Connection refused"),
        RedisClusterException("Redis Cluster cannot be connected"),
        ResponseError("LOADING Redis is loading the dataset in memory"),
        OSError("Network is unreachable"),
    ],
    ids=lambda e: type(e).__name__,
)
async def test_a_failed_renewal_is_retried_on_the_next_beat(failure: Exception) -> None:
    calls = 0

    async def renew() -> None:
        nonlocal calls
        calls += 1
        if calls == 1:
            raise failure

    async with keep_renewed(renew, every_s=0.01, what="test"), asyncio.timeout(5):
        while calls < 3:  # a heartbeat that died on the failure never gets here
            await asyncio.sleep(0.01)
    assert calls >= 3


async def test_a_bug_in_the_renewal_is_not_taken_for_redis_being_away() -> None:
    """Anything else ends the heartbeat, and the block's end raises it: not retried, not hidden."""
    calls = 0

    async def renew() -> None:
        nonlocal calls
        calls += 1
        raise KeyError("token")

    with pytest.raises(KeyError, match="token"):
        async with keep_renewed(renew, every_s=0.01, what="test"):
            await asyncio.sleep(0.1)
    assert calls == 1
