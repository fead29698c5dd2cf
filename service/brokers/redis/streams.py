"""The consumer group on Redis Streams: readers (XREADGROUP), a reclaimer (XAUTOCLAIM), XACK.

:class:`RedisStreamSource` is the :class:`~service.inbox.transport.EntrySource`: FastStream
subscribers acknowledging by hand, ``>`` readers for new entries and one reclaimer per
stream for entries idle past ``reclaim_idle_ms`` in another consumer's pending list.
:class:`RedisConsumerGroup` is the :class:`~service.inbox.transport.ConsumerGroup`:
delivery counts from the pending list, acknowledgements with XACK.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from faststream import AckPolicy
from faststream.redis import RedisBroker, StreamSub
from faststream.redis.annotations import RedisBatchStreamMessage, RedisStreamMessage

from service.contracts.registry import Channel
from service.inbox.entries import Entry

if TYPE_CHECKING:
    import redis.asyncio as aioredis
    from faststream.message import StreamMessage

    from service.inbox.transport import Handlers

OriginalParser = Callable[[Mapping[str, Any]], Awaitable["StreamMessage[Any]"]]


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


class RedisConsumerGroup:
    """Delivery counts (XPENDING) and acknowledgements (XACK) in one consumer group."""

    def __init__(self, redis: aioredis.Redis, group: str) -> None:
        self._redis = redis
        self._group = group

    async def delivery_counts(self, stream: str, entry_ids: Sequence[str]) -> dict[str, int]:
        """How often each entry has been delivered (XPENDING); 1 for unknown ones."""
        async with self._redis.pipeline(transaction=False) as pipe:
            for entry_id in entry_ids:
                pipe.xpending_range(stream, self._group, min=entry_id, max=entry_id, count=1)
            replies = await pipe.execute()
        counts: dict[str, int] = {}
        for entry_id, reply in zip(entry_ids, replies, strict=True):
            counts[entry_id] = int(reply[0]["times_delivered"]) if reply else 1
        return counts

    async def acknowledge(self, stream: str, entry_ids: Sequence[str]) -> None:
        """XACK the entries: they leave the group's pending list."""
        await self._redis.xack(stream, self._group, *entry_ids)


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value


def _reader_title(stream: str, reader: int) -> str:
    return f"{stream}:reader" if reader == 0 else f"{stream}:reader-{reader + 1}"


class RedisStreamSource:
    """FastStream subscribers of one consumer group, registered on the broker."""

    def __init__(
        self, broker: RedisBroker, *, group: str, consumer: str, reclaim_idle_ms: int
    ) -> None:
        self._broker = broker
        self._group = group
        self._consumer = consumer
        self._reclaim_idle_ms = reclaim_idle_ms

    def deliver_each(
        self, stream: str, channel: Channel, handlers: Handlers, *, readers: int
    ) -> None:
        """Readers and a reclaimer, each entry with FastStream's delivery count."""

        async def on_entry(message: RedisStreamMessage) -> None:
            raw = message.raw_message
            entry = Entry(
                stream=stream,
                channel=channel,
                entry_id=_text(raw["message_ids"][0]),
                fields=dict(raw["data"]),
                deliveries=await message.get_delivery_count(),
            )
            await handlers.require().handle(entry)

        group, consumer = self._group, self._consumer
        for reader in range(readers):
            self._broker.subscriber(
                stream=StreamSub(stream, group=group, consumer=consumer),
                parser=tolerant_parser,
                ack_policy=AckPolicy.MANUAL,
                include_in_schema=reader == 0,
                title=_reader_title(stream, reader),
            )(on_entry)
        self._broker.subscriber(
            stream=StreamSub(
                stream, group=group, consumer=consumer, min_idle_time=self._reclaim_idle_ms
            ),
            parser=tolerant_parser,
            ack_policy=AckPolicy.MANUAL,
            include_in_schema=False,
            title=f"{stream}:reclaimer",
        )(on_entry)

    def deliver_batches(
        self, stream: str, channel: Channel, handlers: Handlers, *, readers: int, max_records: int
    ) -> None:
        """Batch readers and a batch reclaimer; reclaimed entries' counts come from XPENDING."""

        def on_batch(*, reclaimed: bool) -> Callable[[RedisBatchStreamMessage], Awaitable[None]]:
            async def handle(message: RedisBatchStreamMessage) -> None:
                raw = message.raw_message
                ids = [_text(i) for i in raw["message_ids"]]
                handler = handlers.require()
                # XREADGROUP ">" only hands out entries never delivered before: no need to ask.
                counts = (
                    await handler.delivery_counts(stream, ids)
                    if reclaimed
                    else dict.fromkeys(ids, 1)
                )
                entries = [
                    Entry(stream, channel, entry_id, dict(fields), counts[entry_id])
                    for entry_id, fields in zip(ids, raw["data"], strict=True)
                ]
                await handler.handle_batch(entries)

            return handle

        group, consumer = self._group, self._consumer
        for reader in range(readers):
            self._broker.subscriber(
                stream=StreamSub(
                    stream, group=group, consumer=consumer, batch=True, max_records=max_records
                ),
                parser=tolerant_parser,
                ack_policy=AckPolicy.MANUAL,
                include_in_schema=reader == 0,
                title=_reader_title(stream, reader),
            )(on_batch(reclaimed=False))
        self._broker.subscriber(
            stream=StreamSub(
                stream,
                group=group,
                consumer=consumer,
                batch=True,
                max_records=max_records,
                min_idle_time=self._reclaim_idle_ms,
            ),
            parser=tolerant_parser,
            ack_policy=AckPolicy.MANUAL,
            include_in_schema=False,
            title=f"{stream}:reclaimer",
        )(on_batch(reclaimed=True))
