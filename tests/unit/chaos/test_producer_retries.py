"""The chaos run's webshop side waits out an unavailable Redis, cluster answers included."""

from __future__ import annotations

import pytest
from redis.exceptions import (
    ClusterDownError,
    MasterDownError,
    ResponseError,
    TryAgainError,
)
from redis.exceptions import ConnectionError as RedisConnectionError

from tests.chaos.harness import Timeline, _retry_redis


class _FailsFirst:
    """A call that raises the given errors in turn, then answers."""

    def __init__(self, *errors: Exception) -> None:
        self._errors = list(errors)
        self.calls = 0

    async def __call__(self) -> str:
        self.calls += 1
        if self._errors:
            raise self._errors.pop(0)
        return "1-1"


@pytest.mark.parametrize(
    "error",
    [
        RedisConnectionError("Connection refused"),
        ClusterDownError("The cluster is down"),
        MasterDownError("Link with MASTER is down"),
        TryAgainError("Multiple keys request during rehashing of slot"),
    ],
    ids=lambda e: type(e).__name__,
)
async def test_an_unavailable_redis_is_waited_out(error: Exception) -> None:
    call = _FailsFirst(error, error)
    timeline = Timeline()

    assert await _retry_redis(call, timeline) == "1-1"
    assert call.calls == 3
    assert [what for _, what in timeline.events] == [
        f"webshop side: Redis unavailable ({type(error).__name__}), retrying"
    ]


async def test_a_refused_command_is_not_retried() -> None:
    call = _FailsFirst(ResponseError("WRONGTYPE Operation against a key holding the wrong kind"))

    with pytest.raises(ResponseError, match="WRONGTYPE"):
        await _retry_redis(call, Timeline())
    assert call.calls == 1
