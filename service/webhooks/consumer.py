"""The FastStream subscribers that work through the stored Sitoo events."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import structlog
from faststream.redis import StreamSub
from faststream.redis.annotations import RedisStreamMessage
from pydantic import ValidationError
from redis.exceptions import ResponseError

from service.contracts.envelope import EVENT_FIELD
from service.deadletter_sources import dead_letter_store
from service.deadletters import DeadLetterStore
from service.inbox.transport import EntryToPark
from service.pollers.wiring import outbound_publisher
from service.records.keys import DeploymentKeys
from service.records.streams import stream_names
from service.sitoo.errors import NotFound, Permanent
from service.webhooks.handler import SitooEventHandler
from service.webhooks.intake import SitooEvent

if TYPE_CHECKING:
    import redis.asyncio as aioredis
    from faststream.redis import RedisBroker

    from service.pollers.ports import SitooReads
    from service.settings import Settings

log = structlog.get_logger(__name__)


@dataclass(frozen=True, slots=True)
class SitooEventDeps:
    """What the consumer needs once the service has started."""

    redis: aioredis.Redis
    sitoo: SitooReads


async def ensure_sitoo_event_group(redis: aioredis.Redis, settings: Settings) -> None:
    """Create the consumer group at id 0 (not ``$``), so events stored before are not skipped."""
    try:
        await redis.xgroup_create(
            stream_names(settings).sitoo_webhooks, settings.streams.group, id="0", mkstream=True
        )
    except ResponseError as exc:
        if "BUSYGROUP" not in str(exc):
            raise


def _decode(value: object) -> str:
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)


def _encode(value: object) -> bytes:
    return value if isinstance(value, bytes) else str(value).encode()


class SitooEventConsumer:
    """Handles one stored event: publish, or leave pending for a retry, or dead-letter."""

    def __init__(self, settings: Settings, deps: Callable[[], SitooEventDeps | None]) -> None:
        self._settings = settings
        self._deps = deps
        self._handler: SitooEventHandler | None = None
        self._dead_letters: DeadLetterStore | None = None
        self._handler_for: SitooEventDeps | None = None

    def _current(self) -> tuple[SitooEventHandler, DeadLetterStore]:
        deps = self._deps()
        if deps is None:
            raise RuntimeError("the Sitoo event consumer ran before the service started")
        if self._handler is None or self._dead_letters is None or self._handler_for is not deps:
            self._handler = SitooEventHandler(
                deps.redis,
                deps.sitoo,
                outbound_publisher(deps.redis, self._settings),
                keys=DeploymentKeys.from_settings(self._settings),
            )
            self._dead_letters = dead_letter_store(deps.redis, self._settings)
            self._handler_for = deps
        return self._handler, self._dead_letters

    async def consume(self, fields: dict[str, Any], *, entry_id: str, deliveries: int) -> None:
        """Process one entry; raising leaves it pending for the reclaimer."""
        handler, dead_letters = self._current()

        async def park(code: str, reason: str, event: SitooEvent | None = None) -> None:
            # Parked once per entry, in the one format; `dlq replay` puts it back.
            await dead_letters.park(
                EntryToPark(
                    stream=stream_names(self._settings).sitoo_webhooks,
                    entry_id=entry_id,
                    fields={_encode(k): _encode(v) for k, v in fields.items()},
                    event_type=None,  # Sitoo's event types are not ours to name outward
                    event_id=event.event_id if event is not None else None,
                    reason_code=code,
                    reason=reason,
                    deliveries=deliveries,
                )
            )

        try:
            event = SitooEvent.model_validate_json(_decode(fields.get(EVENT_FIELD, "")))
        except ValidationError as exc:
            await park("invalid", f"invalid event: {exc.error_count()} errors")
            return
        try:
            outcome = await handler.handle(event)
        except NotFound:
            outcome = "resource gone"
        except Permanent as exc:
            await park("sitoo_refused", f"{type(exc).__name__}: {exc}", event)
            return
        except Exception as exc:
            # Sitoo failing, or anything unforeseen: retried, but never past the last delivery.
            if deliveries >= self._settings.streams.max_deliveries:
                why = f"gave up after {deliveries} deliveries: {type(exc).__name__}: {exc}"
                await park("retries_exhausted", why, event)
                return
            raise
        log.info(
            "webhook.event_handled",
            sitoo_event_id=event.event_id,
            event_type=event.event_type,
            outcome=outcome,
        )


def register_sitoo_event_consumer(
    broker: RedisBroker, settings: Settings, deps: Callable[[], SitooEventDeps | None]
) -> SitooEventConsumer:
    """Subscribe a reader and a reclaimer to the web-hook stream; returns the consumer."""
    streams = settings.streams
    webhooks = stream_names(settings).sitoo_webhooks
    consumer = SitooEventConsumer(settings, deps)
    reader = StreamSub(webhooks, group=streams.group, consumer=streams.consumer)
    reclaimer = StreamSub(
        webhooks,
        group=streams.group,
        consumer=streams.consumer,
        min_idle_time=streams.reclaim_idle_ms,
    )

    @broker.subscriber(stream=reader, title="sitoo-webhooks")
    @broker.subscriber(stream=reclaimer, include_in_schema=False)
    async def on_sitoo_event(body: dict[str, Any], msg: RedisStreamMessage) -> None:
        ids = msg.raw_message.get("message_ids") or []
        entry_id = _decode(ids[0]) if ids else ""
        deliveries = await msg.get_delivery_count()
        await consumer.consume(body, entry_id=entry_id, deliveries=deliveries)

    return consumer
