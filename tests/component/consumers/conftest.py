"""The delivery handler with the real use cases and client, the sandbox in-process."""

from __future__ import annotations

import json
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import pytest
import redis.asyncio as aioredis
from pydantic import SecretStr

from service.app import build_sitoo_client
from service.brokers.redis.wiring import build_delivery_handler, ensure_groups
from service.contracts.registry import Channel
from service.inbox.delivery import DeliveryHandler, Entry
from service.sandbox import Sandbox, SandboxConfig, create_sandbox_app, sandbox_transport
from service.settings import RedisSettings, Settings, SitooSettings, StreamSettings
from service.sitoo import build_http_client


@dataclass
class Rig:
    """What a component test drives and inspects."""

    handler: DeliveryHandler
    sandbox: Sandbox
    settings: Settings
    redis: aioredis.Redis

    async def deliver(
        self,
        channel: Channel,
        document: dict[str, Any] | bytes,
        *,
        deliveries: int = 1,
        **fields: str,
    ) -> Entry:
        """XADD the entry, read it in the group (so it is pending) and hand it to the handler."""
        stream = {
            Channel.ORDERS: self.settings.streams.orders,
            Channel.GIFTCARDS: self.settings.streams.giftcards,
            Channel.GIFTCARD_REQUESTS: self.settings.streams.giftcard_requests,
            Channel.STOCK: self.settings.streams.stock,
        }[channel]
        raw = document if isinstance(document, bytes) else json.dumps(document).encode()
        encoded = {k.encode(): v.encode() for k, v in fields.items()}
        entry_id = (await self.redis.xadd(stream, {b"event": raw, **encoded})).decode()
        await self.redis.xreadgroup(
            self.settings.streams.group, "component", {stream: ">"}, count=1
        )
        entry = Entry(stream, channel, entry_id, {b"event": raw, **encoded}, deliveries)
        await self.handler.handle(entry)
        return entry

    async def results(self) -> list[dict[str, Any]]:
        """Every result event so far."""
        entries = await self.redis.xrange(self.settings.streams.results)
        return [json.loads(fields[b"event"]) for _, fields in entries]

    async def pending(self, stream: str) -> int:
        """Unacknowledged entries of a stream."""
        return int((await self.redis.xpending(stream, self.settings.streams.group))["pending"])


def envelope(event_type: str, data: dict[str, Any]) -> dict[str, Any]:
    """An inbound envelope with a fresh id."""
    return {
        "event_id": f"evt-{uuid.uuid4().hex}",
        "type": event_type,
        "schema_version": 1,
        "occurred_at": datetime.now(UTC).isoformat(),
        "source": "webshop",
        "data": data,
    }


@pytest.fixture
async def rig(redis: aioredis.Redis, redis_url: str, unique: str) -> AsyncIterator[Rig]:
    """A handler whose Sitoo is an in-process demo sandbox."""
    app = create_sandbox_app(SandboxConfig(credentials={"api": SecretStr("pw")}, seed="demo"))
    settings = Settings(
        sitoo=SitooSettings(
            base_url="http://sandbox/v2/accounts/90001",
            api_id="api",
            api_password=SecretStr("pw"),
            read_timeout_s=1.0,
        ),
        redis=RedisSettings(url=SecretStr(redis_url), key_prefix=unique),
        streams=StreamSettings(
            orders=f"{unique}.orders",
            giftcards=f"{unique}.giftcards",
            giftcard_requests=f"{unique}.requests",
            stock=f"{unique}.stock",
            results=f"{unique}.results",
            consumer="component",
            max_deliveries=3,
        ),
    )
    http = build_http_client(settings.sitoo, sandbox_transport(app))
    try:
        await ensure_groups(redis, settings)
        handler = build_delivery_handler(settings, redis, build_sitoo_client(settings, redis, http))
        yield Rig(handler, app.state.sandbox, settings, redis)
    finally:
        await http.aclose()
