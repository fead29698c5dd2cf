"""The consumer that turns a webshop's stored deliveries into canonical events.

It reads the raw stream the intake (:mod:`service.adapters.common.intake`) appends to, in
the service's consumer group (a reader and a reclaimer, as for every stream), hands each
delivery to the webshop's :class:`Translator` and appends what comes back through the
:class:`~service.adapters.common.emitting.EventAppender`. A delivery settles one of three
ways:

* translated: zero or more events appended (zero is a decision too, e.g. an inventory
  change at a location whose stock Sitoo masters), then acknowledged;
* untranslatable: the delivery goes to the raw stream's dead letters with the reason, in
  the format of :mod:`service.deadletters`, so ``sitoo-sync dlq`` lists and replays it;
* the webshop's API failed on the way: left pending and retried by the reclaimer, and
  dead-lettered with the reason on the last allowed delivery. Permanent API errors are
  dead-lettered at once.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

import structlog
from faststream.redis import StreamSub
from faststream.redis.annotations import RedisStreamMessage
from redis.exceptions import ResponseError

from service.adapters.common.emitting import CanonicalEvent, EventAppender, InvalidCanonicalEvent
from service.adapters.common.errors import WebshopError
from service.adapters.common.intake import (
    BODY_BASE64_FIELD,
    BODY_FIELD,
    DELIVERY_FIELD,
    HEADERS_FIELD,
    RECEIVED_FIELD,
    TOPIC_FIELD,
)
from service.inbox.transport import EntryToPark
from service.records.streams import stream_names
from service.sitoo.errors import Disposition

if TYPE_CHECKING:
    from service.deadletters import DeadLetterStore

if TYPE_CHECKING:
    import redis.asyncio as aioredis
    from faststream.redis import RedisBroker

    from service.settings import Settings

log = structlog.get_logger(__name__)
_REASON_LIMIT = 500


@dataclass(frozen=True, slots=True)
class RawDelivery:
    """One stored web-hook delivery."""

    webshop: str
    topic: str
    body: bytes
    headers: dict[str, str]
    entry_id: str
    received_at_ms: int
    delivery_id: str = ""


@dataclass(frozen=True, slots=True)
class Translated:
    """What a delivery means: the events (possibly none) and a note for the log."""

    events: tuple[CanonicalEvent, ...] = ()
    note: str = ""


@dataclass(frozen=True, slots=True)
class Untranslatable:
    """A delivery that can never become events; the reason goes with its dead letter."""

    reason: str
    code: str = "untranslatable"


class Translator(Protocol):
    """A webshop's translation of its deliveries into the service's events."""

    async def translate(self, delivery: RawDelivery) -> Translated | Untranslatable:
        """The events a delivery stands for; raises a WebshopError when its API fails."""
        ...


@dataclass(frozen=True, slots=True)
class TranslatingDeps:
    """What the consumer needs once the service has started."""

    redis: aioredis.Redis
    translator: Translator
    appender: EventAppender
    dead_letters: DeadLetterStore


@dataclass(frozen=True, slots=True)
class RawStream:
    """The raw stream of one webshop and how its entries are consumed."""

    webshop: str
    stream: str
    dead_letters: str
    group: str
    consumer: str
    reclaim_idle_ms: int
    max_deliveries: int


def raw_stream_of(settings: Settings, webshop: str) -> RawStream:
    """The raw stream ``webshop``'s deliveries are stored in, consumed by the inbound group."""
    names = stream_names(settings)
    stream = names.webshop_webhooks[webshop]
    streams = settings.streams
    return RawStream(
        webshop=webshop,
        stream=stream,
        dead_letters=names.dead_letters(stream),
        group=streams.group,
        consumer=streams.consumer,
        reclaim_idle_ms=streams.reclaim_idle_ms,
        max_deliveries=streams.max_deliveries,
    )


async def ensure_raw_group(redis: aioredis.Redis, raw: RawStream) -> None:
    """Create the group at id 0 (not ``$``), so deliveries stored before start are not skipped."""
    try:
        await redis.xgroup_create(raw.stream, raw.group, id="0", mkstream=True)
    except ResponseError as exc:
        if "BUSYGROUP" not in str(exc):
            raise


def _text(value: object) -> str:
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value or "")


def _raw(value: object) -> bytes:
    if isinstance(value, bytes):
        return value
    return str(value or "").encode()


def _original(fields: dict[Any, Any]) -> dict[bytes, bytes]:
    return {_raw(name): _raw(value) for name, value in fields.items()}


def _headers(value: object) -> dict[str, str]:
    try:
        parsed = json.loads(_text(value))
    except ValueError:
        return {}
    if not isinstance(parsed, dict):
        return {}
    return {str(k): str(v) for k, v in parsed.items()}


def delivery_from(webshop: str, fields: dict[Any, Any], entry_id: str) -> RawDelivery:
    """A stored entry as a delivery (fields by str or bytes name)."""

    def get(name: str) -> object:
        return fields.get(name, fields.get(name.encode()))

    received = _text(get(RECEIVED_FIELD))
    encoded = get(BODY_BASE64_FIELD)
    try:
        body = _raw(get(BODY_FIELD)) if encoded is None else base64.b64decode(_raw(encoded))
    except ValueError:
        body = _raw(encoded)
    return RawDelivery(
        webshop=webshop,
        topic=_text(get(TOPIC_FIELD)),
        body=body,
        headers=_headers(get(HEADERS_FIELD)),
        entry_id=entry_id,
        received_at_ms=int(received) if received.isdigit() else 0,
        delivery_id=_text(get(DELIVERY_FIELD)),
    )


class TranslatingConsumer:
    """Settles one stored delivery: events appended, dead-lettered, or left pending."""

    def __init__(self, raw: RawStream, deps: Callable[[], TranslatingDeps | None]) -> None:
        self.raw = raw
        self._deps = deps

    async def dead_letter(
        self,
        deps: TranslatingDeps,
        fields: dict[Any, Any],
        delivery: RawDelivery,
        outcome: Untranslatable,
        *,
        deliveries: int,
    ) -> None:
        """Park the stored entry (once) with the reason in the raw stream's dead letters."""
        await deps.dead_letters.park(
            EntryToPark(
                stream=self.raw.stream,
                entry_id=delivery.entry_id,
                fields=_original(fields),
                event_type=delivery.topic or None,
                event_id=delivery.delivery_id or None,
                reason_code=outcome.code,
                reason=outcome.reason[:_REASON_LIMIT],
                deliveries=deliveries,
            )
        )
        log.warning(
            "webshop_delivery.dead_lettered",
            webshop=self.raw.webshop,
            topic=delivery.topic,
            entry_id=delivery.entry_id,
            reason=outcome.reason[:_REASON_LIMIT],
        )

    async def consume(self, fields: dict[Any, Any], *, entry_id: str, deliveries: int) -> str:
        """Settle one entry; raising leaves it pending for the reclaimer. Returns the outcome."""
        deps = self._deps()
        if deps is None:
            raise RuntimeError("the webshop delivery consumer ran before the service started")
        delivery = delivery_from(self.raw.webshop, fields, entry_id)
        try:
            outcome = await deps.translator.translate(delivery)
            if isinstance(outcome, Translated):
                appended = await deps.appender.append(outcome.events)
        except InvalidCanonicalEvent as exc:
            outcome = Untranslatable(f"translation is not a valid event: {exc}", "invalid")
        except WebshopError as exc:
            if exc.disposition is Disposition.DEAD_LETTER:
                outcome = Untranslatable(f"{type(exc).__name__}: {exc}", "webshop_refused")
            elif deliveries >= self.raw.max_deliveries:
                outcome = Untranslatable(
                    f"gave up after {deliveries} deliveries: {type(exc).__name__}: {exc}",
                    "retries_exhausted",
                )
            else:
                raise
        except Exception as exc:
            # Anything unforeseen: retried, but never past the last delivery.
            if deliveries < self.raw.max_deliveries:
                raise
            log.exception("webshop_delivery.unexpected", webshop=self.raw.webshop)
            outcome = Untranslatable(
                f"gave up after {deliveries} deliveries: {type(exc).__name__}: {exc}",
                "retries_exhausted",
            )
        if isinstance(outcome, Untranslatable):
            await self.dead_letter(deps, fields, delivery, outcome, deliveries=deliveries)
            return "dead_lettered"
        log.info(
            "webshop_delivery.translated",
            webshop=self.raw.webshop,
            topic=delivery.topic,
            events=len(outcome.events),
            new=appended,
            note=outcome.note,
        )
        return f"translated: {len(outcome.events)} events, {appended} new"


def register_translating_consumer(
    broker: RedisBroker, raw: RawStream, deps: Callable[[], TranslatingDeps | None]
) -> TranslatingConsumer:
    """Subscribe a reader and a reclaimer to the webshop's raw stream; returns the consumer."""
    consumer = TranslatingConsumer(raw, deps)
    reader = StreamSub(raw.stream, group=raw.group, consumer=raw.consumer)
    reclaimer = StreamSub(
        raw.stream, group=raw.group, consumer=raw.consumer, min_idle_time=raw.reclaim_idle_ms
    )

    @broker.subscriber(stream=reader, title=f"{raw.webshop}-webhooks")
    @broker.subscriber(stream=reclaimer, include_in_schema=False)
    async def on_delivery(body: dict[str, Any], msg: RedisStreamMessage) -> None:
        ids = msg.raw_message.get("message_ids") or []
        entry_id = _text(ids[0]) if ids else ""
        deliveries = await msg.get_delivery_count()
        # The entry's own fields, bytes as stored: the decoded body would have to be UTF-8.
        fields = msg.raw_message.get("data") or body
        await consumer.consume(fields, entry_id=entry_id, deliveries=deliveries)

    return consumer
