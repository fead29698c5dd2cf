"""Inbound delivery put together on Redis: consumer groups, subscribers, the handler's stores."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from functools import partial
from typing import TYPE_CHECKING

from redis.exceptions import ResponseError

from service.brokers.redis.replies import Replier
from service.brokers.redis.settlement import Settlements
from service.brokers.redis.streams import RedisConsumerGroup, RedisStreamSource
from service.contracts.registry import Channel
from service.deadletter_sources import dead_letter_store
from service.inbox.delivery import DeliveryHandler, DeliveryObserver
from service.inbox.reading import EntryReader
from service.inbox.subscribing import ConsumerRuntime, subscribe_inbound
from service.records.keys import DeploymentKeys
from service.records.keyspace import Keyspace
from service.records.state import (
    RedisCardCurrencies,
    RedisOrderTombstones,
    RedisRedemptionLedger,
    RedisStockLevelStamps,
    RedisTrackedCards,
)
from service.records.streams import stream_names
from service.usecases.directory import Directory
from service.usecases.handlers import UseCaseDeps, run_one, run_stock_batch

if TYPE_CHECKING:
    import redis.asyncio as aioredis
    from faststream.redis import RedisBroker

    from service.ports import SitooPort
    from service.settings import Settings


def inbound_streams(settings: Settings) -> dict[Channel, str]:
    """The stream (its Redis key) of every inbound channel."""
    streams = stream_names(settings)
    return {
        Channel.ORDERS: streams.orders,
        Channel.GIFTCARDS: streams.giftcards,
        Channel.GIFTCARD_REQUESTS: streams.giftcard_requests,
        Channel.STOCK: streams.stock,
    }


def webshop_streams(settings: Settings) -> list[str]:
    """The raw web-hook streams (their Redis keys) of the webshop adapters that are on."""
    enabled = {"shopify": settings.shopify.enabled, "woocommerce": settings.woocommerce.enabled}
    names = stream_names(settings).webshop_webhooks
    return [stream for shop, stream in names.items() if enabled[shop]]


async def ensure_groups(redis: aioredis.Redis, settings: Settings) -> None:
    """Create each consumer group at id 0 (not ``$``) so entries written earlier are read."""
    for stream in inbound_streams(settings).values():
        try:
            await redis.xgroup_create(stream, settings.streams.group, id="0", mkstream=True)
        except ResponseError as error:
            if "BUSYGROUP" not in str(error):
                raise


def build_delivery_handler(
    settings: Settings,
    redis: aioredis.Redis,
    sitoo: SitooPort,
    observer: DeliveryObserver | None = None,
) -> DeliveryHandler:
    """The delivery handler with every store and use-case dependency."""
    retention_s = settings.idempotency.retention_days * 86_400
    keys = DeploymentKeys.from_settings(settings)
    consumers = settings.consumers
    cache = timedelta(seconds=consumers.directory_cache_s)

    def clock() -> datetime:
        return datetime.now(UTC)

    deps = UseCaseDeps(
        sitoo=sitoo,
        directory=Directory(sitoo, clock, ttl=cache, min_refresh=min(cache, timedelta(seconds=30))),
        tombstones=RedisOrderTombstones(redis, keys=keys, retention_s=retention_s),
        redemptions=RedisRedemptionLedger(redis, keys=keys, retention_s=retention_s),
        currencies=RedisCardCurrencies(redis, keys=keys, retention_s=retention_s),
        stamps=RedisStockLevelStamps(redis, keys=keys, retention_s=retention_s),
        tracked_cards=RedisTrackedCards(redis, keys=keys),
        clock=clock,
        pickup_reservation=timedelta(hours=consumers.pickup_reservation_hours),
    )
    replier = Replier(
        redis,
        keys=keys,
        ttl_s=consumers.reply_ttl_s,
        retention_s=retention_s,
        keyspace=Keyspace.of(keys, stream_names(settings)),
        same_slot=settings.redis.cluster,
    )
    reader = EntryReader(
        replier,
        max_entry_bytes=settings.streams.max_entry_bytes,
        max_future_skew_s=settings.streams.max_future_skew_s,
        clock=clock,
    )
    return DeliveryHandler(
        group=RedisConsumerGroup(redis, settings.streams.group),
        max_deliveries=settings.streams.max_deliveries,
        reader=reader,
        dead_letters=dead_letter_store(redis, settings),
        results=Settlements(
            redis,
            keys=keys,
            results_stream=stream_names(settings).results,
            retention_s=retention_s,
            # Renewed while an event runs; a replica that dies holds it this long at most.
            lease_s=settings.idempotency.lease_s,
        ),
        replier=replier,
        run_one=partial(run_one, deps=deps),
        run_batch=partial(run_stock_batch, deps=deps),
        observer=observer,
    )


def register_consumers(broker: RedisBroker, settings: Settings, runtime: ConsumerRuntime) -> None:
    """Readers and a reclaimer per consumed inbound stream, all acknowledging by hand."""
    streams = settings.streams
    source = RedisStreamSource(
        broker,
        group=streams.group,
        consumer=streams.consumer,
        reclaim_idle_ms=streams.reclaim_idle_ms,
    )
    subscribe_inbound(
        source,
        inbound_streams(settings),
        runtime,
        consumed=settings.consumers.channels,
        stock_batch_size=settings.consumers.stock_batch_size,
    )
