"""A served sandbox, a real Sitoo client and settings with this test's own keys and streams."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

import pytest
import redis.asyncio as aioredis
from pydantic import SecretStr

from service.pollers.lease import Holding, Lease
from service.records.keys import DeploymentKeys
from service.records.operations import RedisIdempotencyStore
from service.sandbox import Sandbox, SandboxConfig, serve_sandbox
from service.settings import (
    PollerSettings,
    RedisSettings,
    Settings,
    SitooSettings,
    StreamSettings,
)
from service.sitoo import RedisLimiter, SitooClient, build_http_client

ACCOUNT = 90001


@dataclass
class Rig:
    """Everything a poller test touches."""

    sandbox: Sandbox
    client: SitooClient
    settings: Settings
    redis: aioredis.Redis
    base_url: str
    holdings: dict[str, Holding] = field(default_factory=dict)

    async def hold(self, name: str) -> Holding:
        """Poller ``name``'s lease, taken on first use and kept for the test."""
        if name not in self.holdings:
            lease = Lease(
                self.redis, keys=DeploymentKeys(self.settings.redis.key_prefix), name=name, ttl_s=60
            )
            holding = await lease.acquire()
            assert holding is not None
            self.holdings[name] = holding
        return self.holdings[name]

    async def outbound(self) -> list[dict[str, Any]]:
        """Every envelope on the outbound stream, oldest first."""
        entries = await self.redis.xrange(self.settings.streams.outbound)
        return [json.loads(fields[b"event"]) for _, fields in entries]


def rig_settings(unique: str, base_url: str, *, cluster: bool = False, **pollers: Any) -> Settings:
    """Settings pointing at the served sandbox, with keys and streams of this test only."""
    return Settings(
        sitoo=SitooSettings(
            base_url=base_url,  # type: ignore[arg-type]
            api_id="sandbox",
            api_password=SecretStr("sandbox"),
            call_deadline_s=20.0,
        ),
        redis=RedisSettings(key_prefix=unique, cluster=cluster),
        streams=StreamSettings(
            outbound=f"{unique}.out",
            sitoo_webhooks=f"{unique}.webhooks",
            group=f"{unique}-group",
            consumer="replica-1",
            reclaim_idle_ms=1000,
        ),
        pollers=PollerSettings(**pollers),
    )


@asynccontextmanager
async def build_rig(
    redis: aioredis.Redis,
    unique: str,
    *,
    seed: str = "demo",
    cluster: bool = False,
    **pollers: Any,
) -> AsyncIterator[Rig]:
    """Serve a sandbox on a free port and build the client the service would use."""
    config = SandboxConfig(account_id=ACCOUNT, seed=seed)
    async with serve_sandbox(config, port=0) as running:
        settings = rig_settings(unique, running.base_url, cluster=cluster, **pollers)
        store = RedisIdempotencyStore(
            redis, keys=DeploymentKeys(unique), retention_s=3600.0, lease_s=60.0, max_wait_s=5.0
        )
        limiter = RedisLimiter.from_settings(redis, settings.sitoo, keys=DeploymentKeys(unique))
        async with build_http_client(settings.sitoo) as http:
            client = SitooClient(
                http=http, limiter=limiter, idempotency=store, settings=settings.sitoo
            )
            yield Rig(running.sandbox, client, settings, redis, running.base_url)


@pytest.fixture
async def rig(redis: aioredis.Redis, unique: str, redis_cluster_mode: bool) -> AsyncIterator[Rig]:
    """The demo sandbox, served, with a client and this test's settings."""
    async with build_rig(redis, unique, cluster=redis_cluster_mode) as built:
        yield built
