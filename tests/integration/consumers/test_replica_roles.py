"""Replicas with their own roles: consumed channels, and an API user only checkouts use."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator

import pytest
import redis.asyncio as aioredis
from pydantic import SecretStr

from service.sandbox import RunningSandbox, SandboxConfig, serve_sandbox
from service.settings import Settings, SitooCredential
from tests.integration.consumers.conftest import (
    API_ID,
    API_PASSWORD,
    Publish,
    envelope,
    pending,
    results_by_inbound,
    running_service,
)

TILL_ID = "till"
TILL_PASSWORD = "till-password"
CARD = "95000000000000000001"  # demo card without a PIN


@pytest.fixture
async def sandbox() -> AsyncIterator[RunningSandbox]:
    """A demo sandbox that knows the shared API user and the till's."""
    config = SandboxConfig(
        credentials={API_ID: SecretStr(API_PASSWORD), TILL_ID: SecretStr(TILL_PASSWORD)},
        seed="demo",
    )
    async with serve_sandbox(config, port=0) as running:
        yield running


def _with(settings: Settings, **consumers: object) -> Settings:
    return settings.model_copy(
        update={"consumers": settings.consumers.model_copy(update=consumers)}
    )


def _stock_event() -> dict[str, object]:
    return envelope(
        "stock.adjusted",
        {"warehouse_id": 1, "items": [{"sku": "SKU-0001", "delta": "2"}]},
    )


def _redeem_event() -> dict[str, object]:
    return envelope("giftcard.redeem", {"card_number": CARD, "amount": "5.00", "currency": "SEK"})


async def test_a_stock_only_replica_leaves_gift_cards_to_a_checkout_replica(
    settings: Settings, redis: aioredis.Redis, publish: Publish
) -> None:
    """Each replica reads only its channels; together they settle everything."""
    streams = settings.streams
    stock_event, redeem_event = _stock_event(), _redeem_event()
    await publish(streams.stock, stock_event)
    await publish(streams.giftcards, redeem_event)
    async with running_service(_with(settings, channels=["stock"])):
        results = await results_by_inbound(redis, streams.results, count=1)
        assert set(results) == {stock_event["event_id"]}
        await asyncio.sleep(0.5)
        assert await redis.xlen(streams.results) == 1  # the redeem was left alone
    checkout_only = _with(settings, channels=["giftcards", "giftcard_requests", "orders"])
    checkout_only = checkout_only.model_copy(
        update={
            "streams": settings.streams.model_copy(
                update={"consumer": settings.streams.consumer + "-checkout"}
            )
        }
    )
    async with running_service(checkout_only):
        results = await results_by_inbound(redis, streams.results, count=2)
    assert results[redeem_event["event_id"]]["data"]["status"] == "succeeded"
    assert await pending(redis, streams.giftcards) == 0


async def test_checkouts_use_the_reserved_api_user_and_bulk_work_never_does(
    settings: Settings, sandbox: RunningSandbox, redis: aioredis.Redis, publish: Publish
) -> None:
    """A redeem goes out as the till's API user; stock and look-ups as the shared one."""
    till = SitooCredential(api_id=TILL_ID, api_password=SecretStr(TILL_PASSWORD))
    configured = settings.model_copy(
        update={"sitoo": settings.sitoo.model_copy(update={"interactive_credentials": [till]})}
    )
    streams = settings.streams
    stock_events = [_stock_event() for _ in range(3)]
    for event in stock_events:
        await publish(streams.stock, event)
    redeem_event = _redeem_event()
    await publish(streams.giftcard_requests, redeem_event, reply_to=redis_key(settings))
    async with running_service(configured):
        results = await results_by_inbound(redis, streams.results, count=4)
        reply = await redis.blpop([redis_key(settings)], timeout=10)
    assert reply is not None
    assert json.loads(reply[1])["status"] == "approved"
    assert all(r["data"]["status"] == "succeeded" for r in results.values())
    by_user = sandbox.sandbox.counters.snapshot()["by_user"]
    redeems = sandbox.sandbox.counters.count(
        "POST",
        "/v2/accounts/{accountid}/sites/{siteid}/giftcards/{cardnumber}/transactions.json",
        200,
    )
    assert redeems == 1
    assert by_user[TILL_ID] == 1
    assert by_user[API_ID] >= 2  # the stock transaction and the product look-up


def redis_key(settings: Settings) -> str:
    """A reply list of this test's own (outside the service's key prefix, as required)."""
    return f"till-test-reply:{settings.redis.key_prefix}"


async def test_a_replica_reading_no_channel_still_runs(
    settings: Settings, redis: aioredis.Redis, publish: Publish
) -> None:
    """`[]`: a replica for pollers and web hooks only starts, and leaves every event alone."""
    await publish(settings.streams.stock, _stock_event())
    async with running_service(_with(settings, channels=[])):
        await asyncio.sleep(0.5)
        [group] = await redis.xinfo_groups(settings.streams.stock)
        # The group exists (created at start, so entries wait for a reader) but nobody reads.
        assert (group["consumers"], group["last-delivered-id"]) == (0, b"0-0")
    assert await redis.xlen(settings.streams.results) == 0
