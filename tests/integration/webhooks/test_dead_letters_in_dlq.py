"""Every stream's dead letters in one format: `sitoo-sync dlq` lists and replays them all.

A Sitoo web-hook body the intake could not use, an entry the web-hook consumer gave up on
and an outbound event a webshop writer could not apply are parked by their own code paths,
then listed, replayed and checked where the replay put them.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Sequence

import httpx
import pytest
import redis.asyncio as aioredis
from typer.testing import CliRunner, Result

from service.adapters.common.outbound import (
    Applied,
    OutboundEntry,
    OutboundReading,
    OutboundWriter,
)
from service.cli import cli
from service.http_settings import HttpSettings
from service.records.streams import outbound_group, stream_names
from service.settings import Settings
from service.webhooks import intake
from service.webhooks.consumer import SitooEventConsumer, SitooEventDeps
from service.webhooks.intake import webhook_app
from tests.integration.pollers.conftest import build_rig

AUTH = ("sitoo", "hook-secret")
pytestmark = pytest.mark.timeout(60)


def _environment(redis_url: str, unique: str) -> dict[str, str]:
    """Every stream of this test's deployment named apart from the other tests'."""
    env = {
        "SITOO_SYNC_REDIS__URL": redis_url,
        "SITOO_SYNC_REDIS__KEY_PREFIX": unique,
        "SITOO_SYNC_SHOPIFY__WEBHOOK_STREAM": f"{unique}.shopify",
        "SITOO_SYNC_WOOCOMMERCE__WEBHOOK_STREAM": f"{unique}.woocommerce",
    }
    for stream in ("orders", "giftcards", "giftcard_requests", "stock", "sitoo_webhooks"):
        env[f"SITOO_SYNC_STREAMS__{stream.upper()}"] = f"{unique}.{stream}"
    env["SITOO_SYNC_STREAMS__OUTBOUND"] = f"{unique}.outbound"
    env["SITOO_SYNC_STREAMS__RESULTS"] = f"{unique}.results"
    return env


async def _dlq(env: dict[str, str], *args: str) -> Result:
    """`sitoo-sync dlq ...`, in a thread (the command runs its own event loop)."""
    return await asyncio.to_thread(CliRunner().invoke, cli, ["dlq", *args], env=env)


class _RefusingShop:
    """A webshop that refuses every change for good (the writer's port, as a shop answers)."""

    async def apply(self, entries: Sequence[OutboundEntry]) -> Applied:
        return Applied(failed={e.entry_id: "the shop refused the change" for e in entries})


async def _fields(redis: aioredis.Redis, stream: str) -> list[dict[bytes, bytes]]:
    """The fields of every entry of ``stream``, oldest first."""
    entries: list[tuple[bytes, dict[bytes, bytes]]] = await redis.xrange(stream)  # type: ignore[assignment] # a bytes client
    return [fields for _, fields in entries]


def _sitoo_event(event_id: str) -> dict[str, object]:
    return {"event_id": event_id, "event_type": "order", "event_date": 0, "data": {"order_id": 1}}


async def _post(settings: Settings, redis: aioredis.Redis, body: bytes) -> httpx.Response:
    app = webhook_app(settings, lambda: redis)
    transport = httpx.ASGITransport(app=app)  # type: ignore[arg-type] # a Starlette app
    async with httpx.AsyncClient(transport=transport, base_url="http://hook") as client:
        return await client.post("/sitoo/events", content=body, auth=AUTH)


async def _writer_refusing_one(
    redis: aioredis.Redis, settings: Settings, unique: str
) -> tuple[OutboundWriter, str]:
    """A Shopify writer that has read one outbound event and dead-lettered it."""
    names = stream_names(settings)
    reading = OutboundReading(
        stream=names.outbound,
        group=outbound_group("shopify"),
        consumer="c1",
        dead_letters=names.webshop_writes_dead_letters("shopify"),
        batch=10,
        block_ms=10,
        reclaim_idle_ms=1000,
        max_deliveries=2,
    )
    writer = OutboundWriter(redis, reading, _RefusingShop())
    await writer.ensure_group()
    outbound_event = json.dumps(
        {
            "event_id": f"{unique}-level",
            "type": "order.pickup_ready",
            "schema_version": 1,
            "occurred_at": "2026-03-01T12:00:00Z",
            "source": "sitoo",
            "data": {"order_id": 5, "externalid": "W-1", "webshop_order_id": "W-1"},
        }
    )
    await redis.xadd(names.outbound, {"event": outbound_event})
    assert await writer.step() == 1
    assert (await redis.xpending(names.outbound, reading.group))["pending"] == 0
    return writer, outbound_event


async def test_dead_letters_of_every_stream_are_listed_and_replayed(
    redis: aioredis.Redis, redis_url: str, unique: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    env = _environment(redis_url, unique)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    settings = Settings(http=HttpSettings(webhook_password=AUTH[1]))
    names = stream_names(settings)

    # The intake: a body that is no batch, and a good one hit by an unforeseen failure.
    bad = await _post(settings, redis, b"not json")
    good_body = json.dumps([_sitoo_event(f"{unique}-1")]).encode()
    with monkeypatch.context() as broken:

        def failing(body: bytes, *, cut: bool = False) -> list[intake.SitooEvent]:
            raise ZeroDivisionError("a bug")

        broken.setattr(intake, "parse_batch", failing)
        unlucky = await _post(settings, redis, good_body)
    assert [bad.status_code, unlucky.status_code] == [200, 200]
    assert [bad.json()["outcome"], unlucky.json()["outcome"]] == ["dead_lettered"] * 2

    # The web-hook consumer: a stored entry that is no Sitoo event.
    async with build_rig(redis, unique) as rig:
        consumer = SitooEventConsumer(settings, lambda: SitooEventDeps(redis, rig.client))
        added = await redis.xadd(names.sitoo_webhooks, {"event": "garbage"})
        entry_id = added.decode() if isinstance(added, bytes) else added
        await consumer.consume({"event": "garbage"}, entry_id=entry_id, deliveries=1)
        await consumer.consume({"event": "garbage"}, entry_id=entry_id, deliveries=2)  # once

    writer, outbound_event = await _writer_refusing_one(redis, settings, unique)

    listed = await _dlq(env, "list", "--json")
    assert listed.exit_code == 0, listed.output
    letters = [json.loads(line) for line in listed.output.splitlines()]
    by_reason = {(letter["stream"], letter["reason_code"]): letter for letter in letters}
    assert len(letters) == 4, listed.output
    writer_letter = by_reason[names.outbound, "webshop_refused"]
    assert writer_letter["dead_letter_stream"] == f"{unique}.outbound.shopify.dlq"
    assert writer_letter["original"] == {"event": outbound_event}
    assert writer_letter["event_id"] == f"{unique}-level"
    assert writer_letter["type"] == "order.pickup_ready"
    body_letters = [
        letter
        for letter in letters
        if letter["original"].get("body") in {"not json", good_body.decode()}
    ]
    assert len(body_letters) == 2
    assert {letter["dead_letter_stream"] for letter in body_letters} == {
        f"{unique}.sitoo_webhooks.dlq"
    }
    [consumer_letter] = [
        letter
        for letter in letters
        if "event" in letter["original"] and letter["stream"] == names.sitoo_webhooks
    ]
    assert consumer_letter["entry_id"] == entry_id
    assert consumer_letter["reason_code"] == "invalid"

    replayed = await _dlq(env, "replay", *(letter["id"] for letter in letters))
    # The body that is still no batch stays parked; the others went back.
    assert replayed.exit_code == 1
    assert "3 replayed" in replayed.output, replayed.output
    assert "the body still cannot be used" in replayed.output
    [left] = [json.loads(line) for line in (await _dlq(env, "list", "--json")).output.splitlines()]
    assert left["original"] == {"body": "not json"}

    stored = await _fields(redis, names.sitoo_webhooks)
    events = [json.loads(fields[b"event"]) for fields in stored if fields[b"event"] != b"garbage"]
    assert [event["event_id"] for event in events] == [f"{unique}-1"]  # the body, received again
    assert [fields for fields in stored if fields[b"event"] == b"garbage"] == [
        {b"event": b"garbage"}
    ] * 2  # the first store, and the replay of the consumer's letter
    outbound = await _fields(redis, names.outbound)
    assert outbound == [{b"event": outbound_event.encode()}] * 2  # back where the writer reads
    assert await writer.step() == 1  # and the writer's group reads it again
