"""The composition root: builds the broker, clients, stores and HTTP routes from Settings."""

from __future__ import annotations

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
from service.settings import Settings

log = structlog.get_logger(__name__)


@dataclass(slots=True)
class Resources:
    """Long-lived clients opened by the lifespan and closed after it; one set per process."""

    settings: Settings
    broker: RedisBroker
    redis: aioredis.Redis | None = None
    http: httpx.AsyncClient | None = None
    closers: contextlib.AsyncExitStack = field(default_factory=contextlib.AsyncExitStack)


def redis_url(settings: Settings) -> str:
    """The Redis URL; the launcher fills it in (embedded Redis) before the app is built."""
    if settings.redis.url is None:
        raise ValueError("SITOO_SYNC_REDIS__URL is not set and no embedded Redis was started")
    return settings.redis.url.get_secret_value()


def create_app(
    settings: Settings, *, sitoo_transport: httpx.AsyncBaseTransport | None = None
) -> AsgiFastStream:
    """Build the whole service; nothing connects until the app starts."""
    faststream_logger = logging.getLogger("sitoo_sync.faststream")
    broker = RedisBroker(redis_url(settings), logger=faststream_logger)
    resources = Resources(settings=settings, broker=broker)

    @contextlib.asynccontextmanager
    async def lifespan(context: ContextRepo) -> AsyncIterator[None]:
        async with resources.closers:
            resources.redis = aioredis.Redis.from_url(redis_url(settings))
            resources.closers.push_async_callback(resources.redis.aclose)
            resources.http = build_sitoo_http(settings, sitoo_transport)
            resources.closers.push_async_callback(resources.http.aclose)
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
            ("/readyz", health.readiness(broker, resources_redis=lambda: resources.redis)),
        ],
    )


def build_sitoo_http(
    settings: Settings, transport: httpx.AsyncBaseTransport | None
) -> httpx.AsyncClient:
    """The single HTTP client for Sitoo; the Sitoo client package refines it."""
    sitoo = settings.sitoo
    return httpx.AsyncClient(
        base_url=str(sitoo.base_url or ""),
        timeout=httpx.Timeout(sitoo.read_timeout_s, connect=sitoo.connect_timeout_s),
        transport=transport,
    )


def _describe_sitoo(settings: Settings) -> str:
    return str(settings.sitoo.base_url) if settings.sitoo.base_url else "not configured"
