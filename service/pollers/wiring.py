"""Building the pollers from Settings and running them until the service stops."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

from service.pollers.cursors import FencedCursors
from service.pollers.giftcards import GiftCardPoller
from service.pollers.lease import Lease
from service.pollers.orders import OrdersPoller
from service.pollers.runner import Heartbeats, Poller, PollerRunner, RedisStatusBoard
from service.pollers.stock import StockPoller
from service.records.keys import DeploymentKeys
from service.records.publishing import OutboundPublisher
from service.records.streams import stream_names

if TYPE_CHECKING:
    import redis.asyncio as aioredis

    from service.pollers.ports import SitooReads
    from service.settings import Settings

DAY_S = 86_400.0
SHOPIFY_RECONCILER = "shopify-orders"  # the Shopify adapter's reconciliation pollers
SHOPIFY_LEVELS_RECONCILER = "shopify-levels"
WOOCOMMERCE_POLLER = "woocommerce-orders"  # the WooCommerce adapter's reconciliation poller


def outbound_publisher(redis: aioredis.Redis, settings: Settings) -> OutboundPublisher:
    """The publisher of outbound events, shared by the pollers and the Events SPI consumer."""
    return OutboundPublisher(
        redis,
        stream=stream_names(settings).outbound,
        keys=DeploymentKeys.from_settings(settings),
        marker_ttl_s=settings.pollers.published_marker_days * DAY_S,
    )


def build_pollers(redis: aioredis.Redis, sitoo: SitooReads, settings: Settings) -> list[Poller]:
    """The stock, order and gift-card pollers."""
    cfg = settings.pollers
    keys = DeploymentKeys.from_settings(settings)
    publisher = outbound_publisher(redis, settings)
    cursors = FencedCursors(redis, keys=keys)
    return [
        StockPoller(
            sitoo,
            publisher,
            cursors,
            interval_s=cfg.stock_interval_s,
            snapshot_interval_s=cfg.full_snapshot_interval_s,
            margin_s=cfg.modified_margin_s,
            page_size=settings.sitoo.page_size,
        ),
        OrdersPoller(
            sitoo,
            publisher,
            cursors,
            redis,
            keys=keys,
            interval_s=cfg.orders_interval_s,
            max_orders_per_cycle=cfg.orders_max_pages * settings.sitoo.page_size,
            pickups_per_cycle=cfg.open_orders_batch,
            start_id=cfg.orders_start_id,
        ),
        GiftCardPoller(
            sitoo,
            publisher,
            cursors,
            redis,
            keys=keys,
            interval_s=cfg.giftcards_interval_s,
            cards_per_cycle=cfg.giftcards_per_cycle,
        ),
    ]


def runner_for(
    poller: Poller, redis: aioredis.Redis, settings: Settings, heartbeats: Heartbeats
) -> PollerRunner:
    """A runner taking poller's lease; renewals every third of the TTL."""
    ttl = settings.pollers.lease_ttl_s
    keys = DeploymentKeys.from_settings(settings)
    lease = Lease(redis, keys=keys, name=poller.name, ttl_s=ttl)
    return PollerRunner(
        poller,
        lease,
        heartbeats,
        renew_every_s=ttl / 3,
        retry_lease_every_s=ttl / 3,
        board=RedisStatusBoard(redis, keys=keys),
    )


async def run_pollers(
    *,
    redis: aioredis.Redis,
    sitoo: SitooReads,
    settings: Settings,
    stop: asyncio.Event,
    heartbeats: Heartbeats | None = None,
) -> None:
    """Run every poller (one task each, each behind its own lease) until ``stop`` is set."""
    if not settings.pollers.enabled:
        return
    beats = heartbeats if heartbeats is not None else Heartbeats()
    runners = [runner_for(p, redis, settings, beats) for p in build_pollers(redis, sitoo, settings)]
    async with asyncio.TaskGroup() as group:
        for runner in runners:
            group.create_task(runner.run(stop), name=f"poller:{runner.poller.name}")


def poller_intervals(settings: Settings) -> dict[str, float]:
    """Each poller's interval by name, for :meth:`Heartbeats.stale`."""
    cfg = settings.pollers
    intervals = {
        StockPoller.name: cfg.stock_interval_s,
        OrdersPoller.name: cfg.orders_interval_s,
        GiftCardPoller.name: cfg.giftcards_interval_s,
    }
    if settings.shopify.enabled:
        intervals[SHOPIFY_RECONCILER] = settings.shopify.reconcile_interval_s
        intervals[SHOPIFY_LEVELS_RECONCILER] = settings.shopify.levels_interval_s
    if settings.woocommerce.enabled:
        intervals[WOOCOMMERCE_POLLER] = settings.woocommerce.poll_interval_s
    return intervals
