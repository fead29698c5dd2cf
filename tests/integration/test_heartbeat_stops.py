"""A lease's heartbeat stops when its block ends, even if cancelled in the middle of a renewal.

On Python 3.11 a cancel that arrives as a Redis command completes can be lost inside
redis-py (``service.tasks``). Before the heartbeat was stopped for sure, one block in a few
never ended: its heartbeat renewed on, and the delivery that held the lease hung.
"""

from __future__ import annotations

import asyncio
import random

from service.records.connection import redis_for
from service.records.lease import keep_renewed
from service.settings_redis import RedisSettings

BLOCKS = 100


async def test_every_block_ends_and_leaves_no_heartbeat_running(
    redis_url: str, unique: str
) -> None:
    client = redis_for(RedisSettings(key_prefix=unique), redis_url)
    renewals = 0

    async def renew() -> None:
        nonlocal renewals
        renewals += 1
        await client.eval("return 1", 0)  # a script, as every lease renewal is

    rng = random.Random(7)
    try:
        for _ in range(BLOCKS):
            async with asyncio.timeout(5):  # a block that never ends fails here
                async with keep_renewed(renew, every_s=0.0001, what="test"):
                    await asyncio.sleep(rng.random() * 0.005)
        before = renewals
        await asyncio.sleep(0.1)
        assert renewals == before  # nothing renews once every block has ended
    finally:
        await client.aclose()
