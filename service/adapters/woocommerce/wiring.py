"""The WooCommerce adapter in the service: built from Settings, started with the app.

Only when ``SITOO_SYNC_WOOCOMMERCE__*`` is configured. Inbound: ``POST
/webhooks/woocommerce`` (the shared intake, WooCommerce's signing and ping) stores
deliveries in ``woocommerce.webhooks``; the shared translating consumer turns them into
canonical events on the inbound streams; the reconciliation poller (leased like the Sitoo
pollers) appends the same events from the REST API. Outbound: the writer reads
``sitoo.events`` and writes stock and pick-up progress to the store.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Protocol

import httpx
import structlog
from starlette.applications import Starlette

from service.adapters.common.emitting import EventAppender
from service.adapters.common.intake import IntakeConfig
from service.adapters.common.levels_snapshot import last_published_levels
from service.adapters.common.outbound import FirstSnapshot, OutboundReading, OutboundWriter
from service.adapters.common.translating import (
    RawStream,
    TranslatingDeps,
    ensure_raw_group,
    raw_stream_of,
    register_translating_consumer,
)
from service.adapters.woocommerce.client import WooCommerceClient, build_http_client
from service.adapters.woocommerce.mapping import check_mapping, pickup_map
from service.adapters.woocommerce.order_translation import OrderTranslator
from service.adapters.woocommerce.outbound import PickupWrites, WooCommerceWriter, WriterConfig
from service.adapters.woocommerce.reconcile import PollSettings, WooCommerceOrderPoller
from service.adapters.woocommerce.webhooks import (
    WEBSHOP,
    WooCommerceTranslator,
    woocommerce_webhook_route,
)
from service.brokers.redis.wiring import inbound_streams
from service.deadletter_sources import dead_letter_store
from service.pollers.cursors import FencedCursors
from service.pollers.runner import Heartbeats, RedisStatusBoard
from service.pollers.wiring import runner_for
from service.records.keys import DeploymentKeys
from service.records.streams import outbound_group, stream_names
from service.tasks import stop_tasks

if TYPE_CHECKING:
    import redis.asyncio as aioredis
    from faststream.redis import RedisBroker

    from service.observability.metrics import ServiceMetrics
    from service.settings import Settings
    from service.sitoo import SitooClient

log = structlog.get_logger(__name__)
WEBHOOK_PATH = "/webhooks/woocommerce"
DAY_MS = 86_400_000


def raw_stream(settings: Settings) -> RawStream:
    """Where WooCommerce's deliveries are stored and how they are consumed."""
    return raw_stream_of(settings, WEBSHOP)


def _retention_ms(settings: Settings) -> int:
    return max(1, round(settings.idempotency.retention_days * DAY_MS))


def woocommerce_routes(
    settings: Settings, redis: Callable[[], aioredis.Redis | None]
) -> list[tuple[str, Starlette]]:
    """The web-hook route, when the adapter is configured."""
    woo = settings.woocommerce
    if not woo.enabled or woo.webhook_secret is None:
        return []
    config = IntakeConfig(
        stream=raw_stream(settings).stream,
        keys=DeploymentKeys.from_settings(settings),
        dedupe_ms=_retention_ms(settings),
        deadline_s=settings.http.webhook_deadline_s,
    )
    return [woocommerce_webhook_route(WEBHOOK_PATH, (woo.webhook_secret,), config, redis)]


@dataclass(slots=True)
class WooCommerceRuntime:
    """The adapter's parts once the service has started."""

    deps: TranslatingDeps | None = None
    client: WooCommerceClient | None = None
    tasks: list[asyncio.Task[None]] = field(default_factory=list)


def register_woocommerce(
    broker: RedisBroker, settings: Settings, runtime: WooCommerceRuntime
) -> None:
    """Subscribe the translating consumer to the raw stream (when configured)."""
    if settings.woocommerce.enabled:
        register_translating_consumer(broker, raw_stream(settings), lambda: runtime.deps)


class ServiceParts(Protocol):
    """What the adapter takes from the service's resources once they are open."""

    @property
    def woocommerce(self) -> WooCommerceRuntime:
        """Where the adapter's parts are kept."""
        ...

    @property
    def redis(self) -> aioredis.Redis | None:
        """The service's Redis client."""
        ...

    @property
    def sitoo(self) -> SitooClient | None:
        """The Sitoo client (the mapping check reads stores and warehouses)."""
        ...

    @property
    def metrics(self) -> ServiceMetrics:
        """The service's instruments."""
        ...

    @property
    def heartbeats(self) -> Heartbeats:
        """The pollers' status in this process."""
        ...

    @property
    def stop_pollers(self) -> asyncio.Event:
        """Set when the service stops."""
        ...

    @property
    def closers(self) -> contextlib.AsyncExitStack:
        """Closed after the service has stopped."""
        ...


async def start_woocommerce(
    parts: ServiceParts,
    settings: Settings,
    *,
    transport: httpx.AsyncBaseTransport | None = None,
) -> None:
    """Check the mapping, open the client, start the poller and the writer."""
    woo = settings.woocommerce
    if not woo.enabled:
        return
    runtime, redis, sitoo, closers = parts.woocommerce, parts.redis, parts.sitoo, parts.closers
    metrics, stop = parts.metrics.woocommerce, parts.stop_pollers
    if redis is None or sitoo is None:
        raise RuntimeError("the WooCommerce adapter started before Redis and Sitoo")
    # A refusal (MappingRefused) stops the start; `run` reports it in one line.
    await check_mapping(woo, sitoo)
    http = build_http_client(woo, transport)
    closers.push_async_callback(http.aclose)
    client = WooCommerceClient(http=http, settings=woo)
    runtime.client = client
    keys = DeploymentKeys.from_settings(settings)
    names = stream_names(settings)
    raw = raw_stream(settings)
    await ensure_raw_group(redis, raw)
    appender = EventAppender(
        redis,
        dict(inbound_streams(settings)),
        keys=keys,
        retention_ms=_retention_ms(settings),
    )
    pickups = pickup_map(woo)
    orders = OrderTranslator(pickups, client, restock_warehouse_id=woo.stock_warehouse_id)
    dead_letters = dead_letter_store(redis, settings)
    runtime.deps = TranslatingDeps(
        redis=redis,
        translator=WooCommerceTranslator(orders),
        appender=appender,
        dead_letters=dead_letters,
    )
    poller = WooCommerceOrderPoller(
        client,
        appender,
        FencedCursors(redis, keys=keys),
        dead_letters,
        orders=orders,
        settings=PollSettings(
            interval_s=woo.poll_interval_s,
            overlap_s=woo.poll_overlap_s,
            start_lookback_s=woo.start_lookback_s,
            raw_stream=raw.stream,
        ),
        board=RedisStatusBoard(redis, keys=keys),
        disabled_gauge=metrics.webhooks_disabled,
    )
    writer = OutboundWriter(
        redis,
        OutboundReading(
            stream=names.outbound,
            group=outbound_group(WEBSHOP),
            consumer=settings.streams.consumer,
            dead_letters=names.webshop_writes_dead_letters(WEBSHOP),
            batch=1000,
            block_ms=1000,
            reclaim_idle_ms=settings.streams.reclaim_idle_ms,
            max_deliveries=settings.streams.max_deliveries,
        ),
        WooCommerceWriter(
            client,
            redis,
            WriterConfig(
                keys=keys,
                warehouse_id=woo.stock_warehouse_id,
                pickup=PickupWrites(
                    ready_note=woo.ready_note,
                    ready_status=woo.ready_status,
                    picked_up_note=woo.picked_up_note,
                    picked_up_status=woo.picked_up_status,
                    notify_customer=woo.notify_customer,
                ),
                claim_ms=settings.streams.reclaim_idle_ms,
            ),
            writes=metrics.writes,
        ),
        snapshot=FirstSnapshot(
            keys.webshop_snapshot_due(WEBSHOP), lambda: last_published_levels(redis, keys)
        ),
    )
    # Before the Sitoo pollers start: the group must exist when the first levels appear.
    await writer.ensure_group()
    if settings.pollers.enabled:
        runner = runner_for(poller, redis, settings, parts.heartbeats)
        runtime.tasks.append(asyncio.create_task(runner.run(stop), name="poller:woocommerce"))
    runtime.tasks.append(asyncio.create_task(writer.run(stop), name="woocommerce-writer"))
    log.info("woocommerce.started", url=woo.api_url, pickups=len(woo.pickup_locations))
    closers.push_async_callback(stop_woocommerce, runtime, settings.http.shutdown_grace_s)


async def stop_woocommerce(runtime: WooCommerceRuntime, grace_s: float) -> None:
    """Wait (bounded) for the poller and the writer, which stop with the pollers' event."""
    tasks = [task for task in runtime.tasks if not task.done()]
    if not tasks:
        return
    _, pending = await asyncio.wait(tasks, timeout=grace_s)
    await stop_tasks(pending)
