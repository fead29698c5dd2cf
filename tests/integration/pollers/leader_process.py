"""A replica running the order poller until it is killed; started by the failover test."""

from __future__ import annotations

import asyncio
import sys

import redis.asyncio as aioredis

from service.pollers.runner import Heartbeats
from service.pollers.wiring import build_pollers, runner_for
from service.records.keys import DeploymentKeys
from service.records.operations import RedisIdempotencyStore
from service.sitoo import RedisLimiter, SitooClient, build_http_client
from tests.integration.pollers.conftest import rig_settings

LEASE_TTL_S = 1.5


async def main(redis_url: str, base_url: str, prefix: str) -> None:
    """Lead the order poller (or wait for its lease) forever."""
    settings = rig_settings(prefix, base_url, lease_ttl_s=LEASE_TTL_S, orders_interval_s=0.1)
    redis = aioredis.Redis.from_url(redis_url)
    store = RedisIdempotencyStore(redis, keys=DeploymentKeys(prefix), retention_s=60, lease_s=30)
    limiter = RedisLimiter.from_settings(redis, settings.sitoo, keys=DeploymentKeys(prefix))
    async with build_http_client(settings.sitoo) as http:
        client = SitooClient(
            http=http,
            limiter=limiter,
            idempotency=store,
            settings=settings.sitoo,
            credentials=None,
        )
        (orders,) = (p for p in build_pollers(redis, client, settings) if p.name == "orders")
        runner = runner_for(orders, redis, settings, Heartbeats())
        await runner.run(asyncio.Event())


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], sys.argv[2], sys.argv[3]))
