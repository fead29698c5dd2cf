"""The Shopify adapter in the running service: route, consumer, poller and writer from Settings.

Everything here is built by the composition root (:mod:`service.app`) and only when the
``SITOO_SYNC_SHOPIFY__`` group is configured; nothing connects at import.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING

import structlog
from starlette.applications import Starlette

from service.adapters.common.emitting import EventAppender
from service.adapters.common.intake import IntakeConfig, webshop_webhook_route
from service.adapters.common.levels_snapshot import last_published_levels
from service.adapters.common.outbound import FirstSnapshot, OutboundReading, OutboundWriter
from service.adapters.common.sitoo_directory import stores_and_warehouses
from service.adapters.common.translating import (
    RawStream,
    TranslatingDeps,
    ensure_raw_group,
    raw_stream_of,
    register_translating_consumer,
)
from service.adapters.shopify.client import ShopifyClient
from service.adapters.shopify.errors import WebshopError
from service.adapters.shopify.giftcard_mirroring import GiftCardMirroring
from service.adapters.shopify.giftcard_mirrors import GiftCardMirrors
from service.adapters.shopify.locations import location_map_problem
from service.adapters.shopify.reconcile import ShopifyLevelsReconciler, ShopifyOrdersReconciler
from service.adapters.shopify.store_cancellation import StoreCancellations
from service.adapters.shopify.translator import ShopifyTranslator
from service.adapters.shopify.transport import build_http_client
from service.adapters.shopify.webhook_source import ShopifyWebhooks
from service.adapters.shopify.writer import ShopifyWriter
from service.brokers.redis.wiring import inbound_streams
from service.deadletter_sources import dead_letter_store
from service.pollers.cursors import FencedCursors
from service.pollers.wiring import runner_for
from service.records.keys import DeploymentKeys
from service.records.streams import outbound_group, stream_names
from service.settings import ConfigurationError
from service.tasks import stop_tasks

if TYPE_CHECKING:
    import contextlib

    import httpx
    import redis.asyncio as aioredis
    from faststream.redis import RedisBroker

    from service.pollers.runner import Heartbeats
    from service.settings import Settings
    from service.sitoo import SitooClient

log = structlog.get_logger(__name__)
WEBSHOP = "shopify"
WEBHOOK_PATH = "/webhooks/shopify"
DAY_MS = 86_400_000


def enabled(settings: Settings) -> bool:
    """Whether the Shopify adapter runs (any ``SITOO_SYNC_SHOPIFY__`` connection setting set)."""
    return settings.shopify.enabled


def raw_stream(settings: Settings) -> RawStream:
    """The stream Shopify's deliveries are stored in, and how it is consumed."""
    return raw_stream_of(settings, WEBSHOP)


def _dedupe_ms(settings: Settings) -> int:
    return max(1, round(settings.http.webhook_dedupe_days * DAY_MS))


def shopify_routes(
    settings: Settings, redis: Callable[[], aioredis.Redis | None]
) -> list[tuple[str, Starlette]]:
    """``POST /webhooks/shopify`` when the adapter is on."""
    if not enabled(settings):
        return []
    secret = settings.shopify.webhook_secret
    assert secret is not None  # noqa: S101 - the settings refuse an enabled group without it
    config = IntakeConfig(
        stream=raw_stream(settings).stream,
        keys=DeploymentKeys.from_settings(settings),
        dedupe_ms=_dedupe_ms(settings),
        deadline_s=settings.http.webhook_deadline_s,
    )
    return [webshop_webhook_route(WEBHOOK_PATH, ShopifyWebhooks((secret,)), config, redis)]


@dataclass(frozen=True, slots=True)
class ShopifyRuntime:
    """The adapter's parts once the service has started."""

    client: ShopifyClient
    translating: TranslatingDeps
    writer: OutboundWriter
    reconciler: ShopifyOrdersReconciler
    levels: ShopifyLevelsReconciler


def register_shopify(
    broker: RedisBroker, settings: Settings, runtime: Callable[[], ShopifyRuntime | None]
) -> None:
    """Subscribe the translating consumer to the raw stream (when the adapter is on)."""
    if not enabled(settings):
        return

    def deps() -> TranslatingDeps | None:
        current = runtime()
        return None if current is None else current.translating

    register_translating_consumer(broker, raw_stream(settings), deps)


async def check_locations(settings: Settings, sitoo: SitooClient) -> None:
    """Refuse to start, in one line, with a location map naming what Sitoo does not have."""
    if not settings.shopify.locations:
        return
    stores, warehouses = await stores_and_warehouses(sitoo)
    problem = location_map_problem(settings.shopify.locations, stores, warehouses)
    if problem is not None:
        raise ConfigurationError(problem)  # `run` reports it in one line


# What mirroring needs: read and make cards, credit and debit them, search their transactions.
MIRROR_SCOPES = ("read_gift_cards", "write_gift_cards", "read_gift_card_transactions")
_SCOPE_CHECK_S = 15.0


async def check_scopes(settings: Settings, client: ShopifyClient) -> None:
    """Refuse to start, in one line, when mirroring is on and the app lacks a scope for it.

    Only Shopify's answer refuses: an unreachable shop is logged and left to the writer,
    which retries, so an outage at start does not keep the service down.
    """
    if not settings.shopify.mirror_giftcards:
        return
    try:
        async with asyncio.timeout(_SCOPE_CHECK_S):
            granted = await client.granted_scopes()
    except (WebshopError, TimeoutError) as exc:
        log.warning("shopify.scopes_unchecked", error=str(exc)[:200] or type(exc).__name__)
        return
    missing = [scope for scope in MIRROR_SCOPES if scope not in granted]
    if missing:
        raise ConfigurationError(
            "SITOO_SYNC_SHOPIFY__MIRROR_GIFTCARDS: the app lacks the access scope "
            + ", ".join(missing)
        )


async def open_shopify(
    settings: Settings,
    redis: aioredis.Redis,
    sitoo: SitooClient,
    closers: contextlib.AsyncExitStack,
    *,
    transport: httpx.AsyncBaseTransport | None = None,
) -> ShopifyRuntime:
    """Open the client, check the map, create the groups; the tasks start in :func:`run`."""
    await check_locations(settings, sitoo)
    keys = DeploymentKeys.from_settings(settings)
    names = stream_names(settings)
    http = build_http_client(settings.shopify, transport)
    closers.push_async_callback(http.aclose)
    client = ShopifyClient(http=http, settings=settings.shopify)
    await check_scopes(settings, client)
    raw = raw_stream(settings)
    await ensure_raw_group(redis, raw)
    mirrors = GiftCardMirrors(redis, keys=keys)
    appender = EventAppender(
        redis,
        inbound_streams(settings),
        keys=keys,
        retention_ms=max(1, round(settings.idempotency.retention_days * DAY_MS)),
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
        ShopifyWriter(
            client,
            settings.shopify,
            redis,
            keys=keys,
            cancellations=StoreCancellations(
                client,
                redis,
                keys=keys,
                action=settings.shopify.store_cancellation,
                lease_ms=settings.streams.reclaim_idle_ms,
            ),
            mirroring=GiftCardMirroring(client, mirrors, claim_ms=settings.streams.reclaim_idle_ms)
            if settings.shopify.mirror_giftcards
            else None,
            write_lease_ms=settings.streams.reclaim_idle_ms,
        ),
        snapshot=FirstSnapshot(
            keys.webshop_snapshot_due(WEBSHOP), lambda: last_published_levels(redis, keys)
        ),
    )
    await writer.ensure_group()
    reconciler = ShopifyOrdersReconciler(
        client,
        redis,
        FencedCursors(redis, keys=keys),
        stream=raw.stream,
        keys=keys,
        dedupe_ms=_dedupe_ms(settings),
        interval_s=settings.shopify.reconcile_interval_s,
        margin_s=settings.shopify.reconcile_margin_s,
        start_s=settings.shopify.reconcile_start_s,
    )
    shopify_mastered = [
        location
        for location, mapping in sorted(settings.shopify.locations.items())
        if mapping.stock_master == "shopify"
    ]
    levels = ShopifyLevelsReconciler(
        client,
        redis,
        FencedCursors(redis, keys=keys),
        locations=shopify_mastered,
        stream=raw.stream,
        keys=keys,
        dedupe_ms=_dedupe_ms(settings),
        interval_s=settings.shopify.levels_interval_s,
        margin_s=settings.shopify.reconcile_margin_s,
        start_s=settings.shopify.reconcile_start_s,
    )
    return ShopifyRuntime(
        levels=levels,
        client=client,
        translating=TranslatingDeps(
            redis=redis,
            translator=ShopifyTranslator(
                client,
                settings.shopify,
                # Inside the life of the marks that keep an event from being appended twice.
                placement_window=timedelta(days=settings.idempotency.retention_days * 0.9),
                mirrors=mirrors,
            ),
            appender=appender,
            dead_letters=dead_letter_store(redis, settings),
        ),
        writer=writer,
        reconciler=reconciler,
    )


async def run_shopify(
    runtime: ShopifyRuntime,
    redis: aioredis.Redis,
    settings: Settings,
    stop: asyncio.Event,
    heartbeats: Heartbeats,
) -> None:
    """The writer, and the reconciliation poller behind its lease, until ``stop``."""
    async with asyncio.TaskGroup() as group:
        group.create_task(runtime.writer.run(stop), name="shopify-writer")
        if settings.pollers.enabled:
            for poller in (runtime.reconciler, runtime.levels):
                runner = runner_for(poller, redis, settings, heartbeats)
                group.create_task(runner.run(stop), name=f"poller:{poller.name}")


async def start_shopify(
    settings: Settings,
    redis: aioredis.Redis,
    sitoo: SitooClient,
    closers: contextlib.AsyncExitStack,
    *,
    stop: asyncio.Event,
    heartbeats: Heartbeats,
) -> ShopifyRuntime:
    """Open the adapter and start its writer and poller; they stop (bounded) on ``stop``."""
    runtime = await open_shopify(settings, redis, sitoo, closers)
    task = asyncio.create_task(
        run_shopify(runtime, redis, settings, stop, heartbeats), name="shopify"
    )

    async def halt() -> None:
        stop.set()
        _, pending = await asyncio.wait({task}, timeout=settings.http.shutdown_grace_s)
        await stop_tasks(pending)

    closers.push_async_callback(halt)
    return runtime
