"""The composition root: builds the broker, clients, stores and HTTP routes from Settings."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

import httpx
import redis.asyncio as aioredis
import structlog
from faststream import ContextRepo
from faststream.asgi import AsgiFastStream
from faststream.redis import RedisBroker

from service import health
from service.consumers.wiring import (
    ConsumerRuntime,
    build_delivery_handler,
    ensure_groups,
    register_consumers,
)
from service.idempotency import RedisIdempotencyStore
from service.pollers.runner import Heartbeats
from service.pollers.wiring import poller_intervals, run_pollers
from service.settings import Settings
from service.sitoo import RedisLimiter, SitooClient, build_http_client
from service.webhooks.consumer import (
    SitooEventDeps,
    ensure_sitoo_event_group,
    register_sitoo_event_consumer,
)
from service.webhooks.intake import webhook_routes

log = structlog.get_logger(__name__)


@dataclass(slots=True)
class Resources:
    """Long-lived clients opened by the lifespan and closed after it; one set per process."""

    settings: Settings
    broker: RedisBroker
    redis: aioredis.Redis | None = None
    http: httpx.AsyncClient | None = None
    sitoo: SitooClient | None = None
    consumers: ConsumerRuntime = field(default_factory=ConsumerRuntime)
    sitoo_events: SitooEventDeps | None = None
    heartbeats: Heartbeats = field(default_factory=Heartbeats)
    closers: contextlib.AsyncExitStack = field(default_factory=contextlib.AsyncExitStack)


def redis_url(settings: Settings) -> str:
    """The Redis URL; the launcher fills it in (embedded Redis) before the app is built."""
    if settings.redis.url is None:
        raise ValueError("SITOO_SYNC_REDIS__URL is not set and no embedded Redis was started")
    return settings.redis.url.get_secret_value()


def build_sitoo_client(
    settings: Settings, redis: aioredis.Redis, http: httpx.AsyncClient
) -> SitooClient:
    """The idempotent Sitoo client sharing the replicas' budget and idempotency records."""
    prefix = settings.redis.key_prefix
    return SitooClient(
        http=http,
        limiter=RedisLimiter.from_settings(redis, settings.sitoo, key_prefix=prefix),
        idempotency=RedisIdempotencyStore.from_settings(
            redis, settings.idempotency, key_prefix=prefix
        ),
        settings=settings.sitoo,
    )


def create_app(
    settings: Settings, *, sitoo_transport: httpx.AsyncBaseTransport | None = None
) -> AsgiFastStream:
    """Build the whole service; nothing connects until the app starts."""
    faststream_logger = logging.getLogger("sitoo_sync.faststream")
    broker = RedisBroker(redis_url(settings), logger=faststream_logger)
    resources = Resources(settings=settings, broker=broker)
    register_consumers(broker, settings, resources.consumers)
    register_sitoo_event_consumer(broker, settings, lambda: resources.sitoo_events)

    @contextlib.asynccontextmanager
    async def lifespan(context: ContextRepo) -> AsyncIterator[None]:
        # Runs before the broker subscribes, and closes after the broker has stopped.
        async with resources.closers:
            resources.redis = aioredis.Redis.from_url(redis_url(settings))
            resources.closers.push_async_callback(resources.redis.aclose)
            resources.http = build_http_client(settings.sitoo, sitoo_transport)
            resources.closers.push_async_callback(resources.http.aclose)
            resources.sitoo = build_sitoo_client(settings, resources.redis, resources.http)
            await ensure_groups(resources.redis, settings)
            await ensure_sitoo_event_group(resources.redis, settings)
            resources.consumers.handler = build_delivery_handler(
                settings, resources.redis, resources.sitoo
            )
            resources.sitoo_events = SitooEventDeps(redis=resources.redis, sitoo=resources.sitoo)
            stop_pollers = asyncio.Event()
            pollers = asyncio.create_task(
                run_pollers(
                    redis=resources.redis,
                    sitoo=resources.sitoo,
                    settings=settings,
                    stop=stop_pollers,
                    heartbeats=resources.heartbeats,
                ),
                name="pollers",
            )
            # Pollers stop (and hand back their leases) before the clients they use close.
            resources.closers.push_async_callback(_stop_task, stop_pollers, pollers)
            context.set_global("resources", resources)
            log.info(
                "service.started",
                sitoo=_describe_sitoo(settings),
                consumer=settings.streams.consumer,
            )
            yield
            log.info("service.stopping")

    return AsgiFastStream(
        broker,
        lifespan=lifespan,
        logger=faststream_logger,
        asgi_routes=[
            ("/healthz", health.liveness()),
            (
                "/readyz",
                health.readiness(
                    broker,
                    resources_redis=lambda: resources.redis,
                    stale_pollers=lambda: resources.heartbeats.stale(poller_intervals(settings)),
                ),
            ),
            *webhook_routes(settings, lambda: resources.redis),
        ],
    )


async def _stop_task(stop: asyncio.Event, task: asyncio.Task[None]) -> None:
    stop.set()
    await task


def _describe_sitoo(settings: Settings) -> str:
    return str(settings.sitoo.base_url) if settings.sitoo.base_url else "not configured"
