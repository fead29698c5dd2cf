"""Outbound publishing with de-duplication, against a real Redis."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from redis.exceptions import ResponseError

from service.contracts.outbound import OrderPickedUp, derive_event_id, outbound_envelope
from service.records.keys import DeploymentKeys
from service.records.publishing import OutboundPublisher, StateChange

AT = datetime(2026, 3, 1, 12, tzinfo=UTC)


def _envelope(order_id: int = 7):
    payload = OrderPickedUp(
        order_id=order_id, externalid="W-1", webshop_order_id="1", warehouse_id=2, at=AT
    )
    return outbound_envelope(derive_event_id("order.picked_up", order_id), payload, occurred_at=AT)


def _publisher(redis, unique: str) -> OutboundPublisher:
    return OutboundPublisher(
        redis, stream=f"{unique}.out", keys=DeploymentKeys(unique), marker_ttl_s=60
    )


async def test_publish_once_appends_a_plain_entry_only_once(redis, unique):
    """The same event id is appended once, as one field `event` holding the envelope."""
    publisher = _publisher(redis, unique)
    envelope = _envelope()
    assert await publisher.publish_once(envelope)
    assert not await publisher.publish_once(envelope)
    entries = await redis.xrange(publisher.stream)
    assert len(entries) == 1
    fields = entries[0][1]
    assert list(fields) == [b"event"]
    document = json.loads(fields[b"event"])
    assert document["event_id"] == envelope.event_id
    assert document["type"] == "order.picked_up"
    assert document["source"] == "sitoo"
    assert document["data"]["order_id"] == 7


async def test_a_failed_append_leaves_no_marker(redis, unique):
    """When the append fails, the event is not remembered and is published on the next try."""
    publisher = _publisher(redis, unique)
    await redis.set(publisher.stream, "not a stream")
    with pytest.raises(ResponseError):
        await publisher.publish_once(_envelope())
    assert not await redis.exists(publisher.marker_key(_envelope().event_id))
    await redis.delete(publisher.stream)
    assert await publisher.publish_once(_envelope())
    assert await redis.xlen(publisher.stream) == 1


async def test_publish_changes_refuses_a_field_that_moved(redis, unique):
    """A change is published only if its field still holds the state the caller read."""
    publisher = _publisher(redis, unique)
    first = StateChange(field="SKU-1", expected=None, new="1|5", envelope=_envelope(1))
    assert await publisher.publish_changes("stock:2", [first]) == [True]
    stale = StateChange(field="SKU-1", expected=None, new="1|6", envelope=_envelope(2))
    fresh = StateChange(field="SKU-2", expected=None, new="1|1", envelope=_envelope(3))
    assert await publisher.publish_changes("stock:2", [stale, fresh]) == [False, True]
    assert await publisher.last_states("stock:2", ["SKU-1", "SKU-2", "SKU-3"]) == [
        "1|5",
        "1|1",
        None,
    ]
    assert await redis.xlen(publisher.stream) == 2
