"""The translating consumer and the once-per-event-id appender, against a real Redis."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from service.adapters.common.emitting import CanonicalEvent, EventAppender
from service.adapters.common.errors import NotFound, ServiceUnavailable
from service.adapters.common.translating import (
    RawDelivery,
    RawStream,
    Translated,
    TranslatingConsumer,
    TranslatingDeps,
    Untranslatable,
)
from service.contracts.envelope import Envelope
from service.contracts.registry import Channel
from service.deadletters import DeadLetterStore
from service.records.keys import DeploymentKeys
from service.records.streams import stream_names
from service.settings import Settings


def _cancelled(order_id: str) -> CanonicalEvent:
    return CanonicalEvent(
        Channel.ORDERS,
        Envelope(
            event_id=f"test-order-{order_id}-cancelled",
            type="order.cancelled",
            schema_version=1,
            occurred_at=datetime(2026, 3, 1, tzinfo=UTC),
            source="test",
            data={"order_id": order_id},
        ),
    )


class BodyTranslator:
    """Reads a small JSON instruction from the body; the behaviour under test is the consumer's."""

    async def translate(self, delivery: RawDelivery) -> Translated | Untranslatable:
        try:
            order = json.loads(delivery.body)
        except ValueError:
            return Untranslatable("body is not JSON")
        if order.get("fail") == "unavailable":
            raise ServiceUnavailable("shop is down")
        if order.get("fail") == "gone":
            raise NotFound("order is gone")
        if order.get("invalid"):
            bad = _cancelled(str(order["id"]))
            return Translated((CanonicalEvent(Channel.STOCK, bad.envelope),))
        return Translated((_cancelled(str(order["id"])),))


def _setup(redis, unique: str, *, max_deliveries: int = 3):
    raw = RawStream(
        webshop="shopify",
        stream=f"{unique}.raw",
        dead_letters=f"{unique}.raw.dlq",
        group="g",
        consumer="c",
        reclaim_idle_ms=1000,
        max_deliveries=max_deliveries,
    )
    appender = EventAppender(
        redis,
        {Channel.ORDERS: f"{unique}.orders"},
        keys=DeploymentKeys(unique),
        retention_ms=60_000,
    )
    dead_letters = DeadLetterStore(
        redis,
        streams=[raw.stream],
        names=stream_names(Settings()),
        keys=DeploymentKeys(unique),
        retention_s=600,
    )
    deps = TranslatingDeps(
        redis=redis, translator=BodyTranslator(), appender=appender, dead_letters=dead_letters
    )
    return raw, TranslatingConsumer(raw, lambda: deps)


def _fields(body: bytes) -> dict[bytes, bytes]:
    return {b"topic": b"orders/cancelled", b"body": body, b"headers": b"{}", b"received_at": b"1"}


async def test_each_event_id_is_appended_once_whatever_delivers_it(redis, unique):
    """Two deliveries of one change (a retry, the poller) give one canonical entry."""
    _, consumer = _setup(redis, unique)
    for entry in ("1-0", "2-0"):
        await consumer.consume(_fields(b'{"id": 7}'), entry_id=entry, deliveries=1)
    [(_, fields)] = await redis.xrange(f"{unique}.orders")
    assert json.loads(fields[b"event"])["event_id"] == "test-order-7-cancelled"


async def test_untranslatable_and_permanent_failures_are_dead_lettered_with_reason(redis, unique):
    """A body that cannot be translated, or a permanent API error, is parked with the reason."""
    raw, consumer = _setup(redis, unique)
    await consumer.consume(_fields(b"nope"), entry_id="1-0", deliveries=1)
    await consumer.consume(_fields(b'{"id": 1, "fail": "gone"}'), entry_id="2-0", deliveries=1)
    await consumer.consume(_fields(b'{"id": 1, "invalid": true}'), entry_id="3-0", deliveries=1)
    letters = await redis.xrange(raw.dead_letters)
    reasons = [f[b"reason"].decode() for _, f in letters]
    assert reasons[0] == "body is not JSON"
    assert reasons[1].startswith("NotFound: order is gone")
    assert "not accepted on the stock stream" in reasons[2]
    assert letters[0][1][b"original:body"] == b"nope"
    assert [f[b"reason_code"] for _, f in letters] == [
        b"untranslatable",
        b"webshop_refused",
        b"invalid",
    ]
    assert await redis.xlen(f"{unique}.orders") == 0


async def test_transient_failures_stay_pending_until_the_last_delivery(redis, unique):
    """A shop that is down leaves the entry pending; the last allowed delivery parks it."""
    raw, consumer = _setup(redis, unique, max_deliveries=3)
    body = _fields(b'{"id": 1, "fail": "unavailable"}')
    with pytest.raises(ServiceUnavailable):
        await consumer.consume(body, entry_id="1-0", deliveries=2)
    assert await redis.xlen(raw.dead_letters) == 0
    await consumer.consume(body, entry_id="1-0", deliveries=3)
    [(_, letter)] = await redis.xrange(raw.dead_letters)
    assert letter[b"reason"].decode().startswith("gave up after 3 deliveries")
    assert letter[b"reason_code"] == b"retries_exhausted"
    # Parked once: a repeat of the last delivery (a crash before the ack) parks nothing more.
    await consumer.consume(body, entry_id="1-0", deliveries=3)
    assert await redis.xlen(raw.dead_letters) == 1
