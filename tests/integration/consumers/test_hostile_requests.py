"""Hostile gift-card requests against the running service, as a webshop's checkout sees them."""

from __future__ import annotations

import asyncio
import json
from decimal import Decimal

import pytest
import redis.asyncio as aioredis

from service.sandbox import RunningSandbox
from service.settings import Settings
from tests.integration.consumers.conftest import Publish, envelope, results_by_inbound, settled

CARD = "95000000000000000001"  # demo seed: 500.00 SEK


def balance(sandbox: RunningSandbox) -> Decimal:
    """The demo card's balance."""
    return Decimal(sandbox.sandbox.giftcard_state(CARD)["giftcard"]["moneyamount"])


@pytest.mark.usefixtures("service")
async def test_a_reply_to_naming_an_inbound_stream_is_ended_on_its_first_delivery(
    settings: Settings, sandbox: RunningSandbox, redis: aioredis.Redis, publish: Publish
) -> None:
    """The finding: result applied, then WRONGTYPE on every delivery, never acked. Now:
    refused before the redeem, dead-lettered once, acked, and never delivered again."""
    document = envelope(
        "giftcard.redeem", {"card_number": CARD, "amount": "5.00", "currency": "SEK"}
    )
    stream = settings.streams.giftcard_requests
    await publish(stream, document, reply_to=settings.streams.orders)
    results = await results_by_inbound(redis, settings.streams.results, count=1)
    await settled(redis, stream)
    await asyncio.sleep(3 * settings.streams.reclaim_idle_ms / 1000)  # a reclaim would show
    assert results[document["event_id"]]["data"]["reason_code"] == "invalid"
    assert await redis.xlen(settings.streams.results) == 1
    [(_, letter)] = await redis.xrange(stream + settings.streams.dead_letter_suffix)
    assert letter[b"deliveries"] == b"1"
    assert balance(sandbox) == Decimal("500.00")
    assert await redis.type(settings.streams.orders) == b"stream"


@pytest.mark.usefixtures("service")
async def test_a_checkout_blocking_on_an_invalid_request_hears_declined(
    settings: Settings, redis: aioredis.Redis, publish: Publish, unique: str
) -> None:
    """BLPOP returns "declined / invalid_request" with the reason, not a timeout."""
    reply_to = f"checkout-{unique}:reply"
    document = envelope(
        "giftcard.redeem", {"card_number": "not-a-card", "amount": "5.00", "currency": "SEK"}
    )
    await publish(settings.streams.giftcard_requests, document, reply_to=reply_to)
    popped = await redis.blpop([reply_to], timeout=10)
    assert popped is not None
    reply = json.loads(popped[1])
    assert (reply["status"], reply["reason_code"]) == ("declined", "invalid_request")
    assert "data.card_number" in reply["reason"]
    await settled(redis, settings.streams.giftcard_requests)
    assert await redis.llen(reply_to) == 0  # exactly one reply


def _reply_targets(settings: Settings) -> dict[str, str | None]:
    streams = settings.streams
    prefix = settings.redis.key_prefix
    return {
        "absent": None,
        "empty": "",
        "the key prefix itself": prefix,
        "a lease key": f"{prefix}:lease:orders",
        "the results stream's dead letters": streams.results + streams.dead_letter_suffix,
        "the outbound stream": streams.outbound,
        "the web-hook dead letters": streams.sitoo_webhooks + streams.dead_letter_suffix,
    }


@pytest.mark.parametrize("target", list(_reply_targets(Settings())))
@pytest.mark.usefixtures("service")
async def test_a_request_without_a_usable_reply_target_is_refused_before_any_effect(
    settings: Settings,
    sandbox: RunningSandbox,
    redis: aioredis.Redis,
    publish: Publish,
    target: str,
) -> None:
    """No reply_to, an empty one or one of the service's keys: one dead letter saying why,
    one failed result, no redeem, and the named key untouched."""
    reply_to = _reply_targets(settings)[target]
    document = envelope(
        "giftcard.redeem", {"card_number": CARD, "amount": "5.00", "currency": "SEK"}
    )
    stream = settings.streams.giftcard_requests
    before = None if not reply_to else await redis.type(reply_to)
    fields = {} if reply_to is None else {"reply_to": reply_to}
    await publish(stream, document, **fields)
    results = await results_by_inbound(redis, settings.streams.results, count=1)
    await settled(redis, stream)
    data = results[document["event_id"]]["data"]
    assert data["reason_code"] == "invalid"
    assert "reply_to" in data["reason"]
    [(_, letter)] = await redis.xrange(stream + settings.streams.dead_letter_suffix)
    assert letter[b"reason_code"] == b"invalid"
    assert balance(sandbox) == Decimal("500.00")
    if reply_to:
        assert await redis.type(reply_to) == before
