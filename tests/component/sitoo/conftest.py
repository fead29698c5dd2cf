"""A Sitoo client wired to an in-process sandbox, real Redis for leases and slots."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

import httpx
import pytest
import redis.asyncio as aioredis
from pydantic import JsonValue, SecretStr

from service.records.keys import DeploymentKeys
from service.records.operations import Claim, IdempotencyStore, RedisIdempotencyStore
from service.sandbox import Sandbox, SandboxConfig, create_sandbox_app, sandbox_transport
from service.settings import SitooSettings
from service.sitoo import RedisLimiter, SitooClient, build_http_client

ACCOUNT = 90001


class ProcessDied(BaseException):
    """Stands for the process being killed at a chosen point."""


class DiesBeforeRecording:
    """The real store, except that the process dies right before the result is recorded."""

    def __init__(self, inner: RedisIdempotencyStore) -> None:
        self._inner = inner
        self.lease_s = inner.lease_s

    async def claim(self, op_key: str) -> Claim:
        """Claim through the real store."""
        return await self._inner.claim(op_key)

    async def complete(self, claim: Claim, result: JsonValue) -> bool:
        """The write went through; the process is killed before it can record that."""
        del claim, result
        raise ProcessDied

    async def release(self, claim: Claim, *, outcome_unknown: bool) -> bool:
        """Release through the real store."""
        return await self._inner.release(claim, outcome_unknown=outcome_unknown)


@dataclass
class Rig:
    """The client under test, the sandbox behind it and what it is built from."""

    client: SitooClient
    sandbox: Sandbox
    store: RedisIdempotencyStore
    settings: SitooSettings
    http: httpx.AsyncClient
    limiter: RedisLimiter
    redis: aioredis.Redis
    prefix: str

    def store_with(self, *, lease_s: float, max_wait_s: float = 5.0) -> RedisIdempotencyStore:
        """Another store on the same records (another process, other lease settings)."""
        return RedisIdempotencyStore(
            self.redis,
            keys=DeploymentKeys(self.prefix),
            retention_s=3600.0,
            lease_s=lease_s,
            max_wait_s=max_wait_s,
        )

    def client_with(self, store: IdempotencyStore) -> SitooClient:
        """A client sharing HTTP, limiter and sandbox but recording in ``store``."""
        return SitooClient(
            http=self.http, limiter=self.limiter, idempotency=store, settings=self.settings
        )


@asynccontextmanager
async def build_rig(
    redis: aioredis.Redis, prefix: str, *, call_deadline_s: float = 30.0, lease_s: float = 60.0
) -> AsyncIterator[Rig]:
    """A fresh demo sandbox and a client whose read timeout makes stalls cheap."""
    app = create_sandbox_app(
        SandboxConfig(
            account_id=ACCOUNT,
            credentials={"sandbox": SecretStr("sandbox")},
            max_in_flight=1,
            seed="demo",
        )
    )
    settings = SitooSettings(
        base_url=f"http://sandbox/v2/accounts/{ACCOUNT}",  # type: ignore[arg-type]
        api_id="sandbox",
        api_password=SecretStr("sandbox"),
        read_timeout_s=0.05,
        call_deadline_s=call_deadline_s,
    )
    store = RedisIdempotencyStore(
        redis, keys=DeploymentKeys(prefix), retention_s=3600.0, lease_s=lease_s, max_wait_s=5.0
    )
    limiter = RedisLimiter.from_settings(redis, settings, keys=DeploymentKeys(prefix))
    async with build_http_client(settings, transport=sandbox_transport(app)) as http:
        client = SitooClient(http=http, limiter=limiter, idempotency=store, settings=settings)
        yield Rig(client, app.state.sandbox, store, settings, http, limiter, redis, prefix)


@pytest.fixture
async def rig(redis: aioredis.Redis, unique: str) -> AsyncIterator[Rig]:
    """The standard rig for one test."""
    async with build_rig(redis, unique) as built:
        yield built
