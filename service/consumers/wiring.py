"""Subscribers per inbound stream (a reader and a reclaimer), consumer groups, and the runtime."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from datetime import UTC, datetime, timedelta
from functools import partial
from typing import TYPE_CHECKING, Any

from faststream import AckPolicy
from faststream.redis import RedisBroker, StreamSub
from faststream.redis.annotations import RedisBatchStreamMessage, RedisStreamMessage
from redis.exceptions import ResponseError

from service.consumers.delivery import DeliveryHandler, DeliveryObserver, Entry
from service.consumers.dispatch import UseCaseDeps, run_one, run_stock_batch
from service.consumers.reading import EntryReader
from service.consumers.results import Replier
from service.consumers.settlement import Settlements
from service.consumers.state import (
    RedisCardCurrencies,
    RedisOrderTombstones,
    RedisRedemptionLedger,
    RedisStockLevelStamps,
)
from service.contracts.registry import Channel
from service.deadletters import DeadLetterStore
from service.records.keys import DeploymentKeys
from service.records.keyspace import Keyspace
from service.records.streams import stream_names
from service.usecases.directory import Directory

if TYPE_CHECKING:
    import redis.asyncio as aioredis
    from faststream.message import StreamMessage

    from service.ports import SitooPort
    from service.settings import Settings

# Readers per stream in one replica, each reading its own new entries (XREADGROUP ">"):
# while one stock batch waits for Sitoo or Redis, the next is parsed and settled. Two
# batches at once in one replica are no different from two replicas, which settle-once
# covers. The other streams keep one reader: a second did not raise the orders' use of
# the Sitoo slot (the replicas already keep it queued).
READERS = {Channel.STOCK: 2}
OriginalParser = Callable[[Mapping[str, Any]], Awaitable["StreamMessage[Any]"]]


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


def dead_letter_store(redis: aioredis.Redis, settings: Settings) -> DeadLetterStore:
    """The dead letters of every inbound stream (a webshop adapter's raw stream included)."""
    return DeadLetterStore(
        redis,
        streams=[*inbound_streams(settings).values(), *webshop_streams(settings)],
        names=stream_names(settings),
        keys=DeploymentKeys.from_settings(settings),
        retention_s=settings.idempotency.retention_days * 86_400,
    )


async def ensure_groups(redis: aioredis.Redis, settings: Settings) -> None:
    """Create each consumer group at id 0 (not ``$``) so entries written earlier are read."""
    for stream in inbound_streams(settings).values():
        try:
            await redis.xgroup_create(stream, settings.streams.group, id="0", mkstream=True)
        except ResponseError as error:
            if "BUSYGROUP" not in str(error):
                raise


async def tolerant_parser(raw: Mapping[str, Any], original: OriginalParser) -> StreamMessage[Any]:
    """Let FastStream parse a harmless stand-in body; the handlers read the raw fields.

    FastStream's own parser fails on fields that are not UTF-8 (and on a garbage
    ``__data__`` frame) before any handler runs, which would leave a hostile entry
    pending for ever instead of dead-lettering it.
    """
    data = raw["data"]
    stand_in = dict(raw)
    stand_in["data"] = [{} for _ in data] if isinstance(data, list) else {}
    message = await original(stand_in)
    message.raw_message = raw
    return message


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
        redis=redis,
        group=settings.streams.group,
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


class ConsumerRuntime:
    """Holds the delivery handler the lifespan builds; subscribers exist before it does."""

    def __init__(self) -> None:
        self.handler: DeliveryHandler | None = None

    def require(self) -> DeliveryHandler:
        """The handler; the broker only starts after the lifespan has set it."""
        if self.handler is None:
            raise RuntimeError("consumers started before the lifespan built their dependencies")
        return self.handler


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value


def _entry_handler(
    stream: str, channel: Channel, runtime: ConsumerRuntime
) -> Callable[[RedisStreamMessage], Awaitable[None]]:
    async def on_entry(message: RedisStreamMessage) -> None:
        raw = message.raw_message
        entry = Entry(
            stream=stream,
            channel=channel,
            entry_id=_text(raw["message_ids"][0]),
            fields=dict(raw["data"]),
            deliveries=await message.get_delivery_count(),
        )
        await runtime.require().handle(entry)

    return on_entry


def _reader_title(stream: str, reader: int) -> str:
    return f"{stream}:reader" if reader == 0 else f"{stream}:reader-{reader + 1}"


def register_consumers(broker: RedisBroker, settings: Settings, runtime: ConsumerRuntime) -> None:
    """Readers (see READERS) and a reclaimer per inbound stream, all acknowledging by hand."""
    streams = settings.streams
    group, consumer = streams.group, streams.consumer
    consumed = settings.consumers.channels
    for channel, stream in inbound_streams(settings).items():
        if channel is Channel.STOCK or channel.value not in consumed:
            continue

        on_entry = _entry_handler(stream, channel, runtime)
        for reader in range(READERS.get(channel, 1)):
            broker.subscriber(
                stream=StreamSub(stream, group=group, consumer=consumer),
                parser=tolerant_parser,
                ack_policy=AckPolicy.MANUAL,
                include_in_schema=reader == 0,
                title=_reader_title(stream, reader),
            )(on_entry)
        broker.subscriber(
            stream=StreamSub(
                stream, group=group, consumer=consumer, min_idle_time=streams.reclaim_idle_ms
            ),
            parser=tolerant_parser,
            ack_policy=AckPolicy.MANUAL,
            include_in_schema=False,
            title=f"{stream}:reclaimer",
        )(on_entry)

    if Channel.STOCK.value in consumed:
        _register_stock(broker, settings, runtime)


def _register_stock(broker: RedisBroker, settings: Settings, runtime: ConsumerRuntime) -> None:
    """The stock stream's batch readers and reclaimer."""
    streams = settings.streams
    group, consumer, stock = streams.group, streams.consumer, stream_names(settings).stock

    def stock_handler(*, reclaimed: bool) -> Callable[[RedisBatchStreamMessage], Awaitable[None]]:
        async def on_stock(message: RedisBatchStreamMessage) -> None:
            raw = message.raw_message
            ids = [_text(i) for i in raw["message_ids"]]
            handler = runtime.require()
            # XREADGROUP ">" only hands out entries never delivered before: no need to ask.
            counts = (
                await handler.delivery_counts(stock, ids) if reclaimed else dict.fromkeys(ids, 1)
            )
            entries = [
                Entry(stock, Channel.STOCK, entry_id, dict(fields), counts[entry_id])
                for entry_id, fields in zip(ids, raw["data"], strict=True)
            ]
            await handler.handle_batch(entries)

        return on_stock

    batch = settings.consumers.stock_batch_size
    # While one batch waits for Sitoo or Redis, the next is parsed and settled (READERS).
    for reader in range(READERS[Channel.STOCK]):
        broker.subscriber(
            stream=StreamSub(stock, group=group, consumer=consumer, batch=True, max_records=batch),
            parser=tolerant_parser,
            ack_policy=AckPolicy.MANUAL,
            include_in_schema=reader == 0,
            title=_reader_title(stock, reader),
        )(stock_handler(reclaimed=False))
    broker.subscriber(
        stream=StreamSub(
            stock,
            group=group,
            consumer=consumer,
            batch=True,
            max_records=batch,
            min_idle_time=streams.reclaim_idle_ms,
        ),
        parser=tolerant_parser,
        ack_policy=AckPolicy.MANUAL,
        include_in_schema=False,
        title=f"{stock}:reclaimer",
    )(stock_handler(reclaimed=True))
