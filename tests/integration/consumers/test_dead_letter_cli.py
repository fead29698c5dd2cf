"""`sitoo-sync dlq`: list, show, replay through the idempotent path, and purge."""

from __future__ import annotations

import asyncio
import json

import pytest
import redis.asyncio as aioredis
from typer.testing import CliRunner, Result

from service.cli import cli
from service.sandbox import RunningSandbox
from service.settings import Settings
from tests.integration.consumers.conftest import Publish, envelope, read_results


def environment(settings: Settings) -> dict[str, str]:
    """The variables that point the CLI at this test's Redis keys and streams."""
    assert settings.redis.url is not None
    streams = settings.streams
    return {
        "SITOO_SYNC_REDIS__URL": settings.redis.url.get_secret_value(),
        "SITOO_SYNC_REDIS__KEY_PREFIX": settings.redis.key_prefix,
        "SITOO_SYNC_STREAMS__ORDERS": streams.orders,
        "SITOO_SYNC_STREAMS__GIFTCARDS": streams.giftcards,
        "SITOO_SYNC_STREAMS__GIFTCARD_REQUESTS": streams.giftcard_requests,
        "SITOO_SYNC_STREAMS__STOCK": streams.stock,
    }


async def dlq(settings: Settings, *args: str) -> Result:
    """Run `sitoo-sync dlq ...` in a thread (it runs its own event loop)."""
    runner = CliRunner()
    return await asyncio.to_thread(runner.invoke, cli, ["dlq", *args], env=environment(settings))


@pytest.mark.timeout(60)
@pytest.mark.usefixtures("service")
async def test_replay_after_the_cause_is_fixed(
    settings: Settings,
    sandbox: RunningSandbox,
    redis: aioredis.Redis,
    publish: Publish,
) -> None:
    """An event parked for an unknown SKU succeeds when replayed once the product exists."""
    warehouse = next(
        w.warehouseid
        for w in sandbox.sandbox.catalog.warehouses.values()
        if w.externalid == "WH-STORE-1"
    )
    document = envelope(
        "stock.adjusted", {"warehouse_id": warehouse, "items": [{"sku": "NEW-1", "delta": "4"}]}
    )
    await publish(settings.streams.stock, document)
    await publish(settings.streams.orders, b"garbage")
    results = await read_results(redis, settings.streams.results, count=2)
    assert {r["data"]["reason_code"] for r in results} == {"unknown_sku", "invalid"}

    listed = await dlq(settings, "list", "--reason", "unknown SKU", "--json")
    assert listed.exit_code == 0, listed.output
    [letter] = [json.loads(line) for line in listed.output.splitlines()]
    assert letter["event_id"] == document["event_id"]
    assert letter["stream"] == settings.streams.stock
    assert letter["deliveries"] == 1
    shown = await dlq(settings, "show", letter["id"])
    assert json.loads(shown.output)["original"]["event"] == json.dumps(document)

    sandbox.sandbox.add_product("NEW-1")
    sandbox.sandbox.set_stock(warehouse, "NEW-1", "0")
    replayed = await dlq(settings, "replay", "--type", "stock.adjusted")
    assert "1 replayed" in replayed.output, replayed.output
    results = await read_results(redis, settings.streams.results, count=3)
    assert results[-1]["type"] == "stock.adjusted.succeeded"
    assert results[-1]["data"]["inbound_event_id"] == document["event_id"]

    remaining = await dlq(settings, "list")
    assert len(remaining.output.splitlines()) == 1  # the garbage entry on the orders stream
    refused = await dlq(settings, "purge", "--stream", settings.streams.orders)
    assert refused.exit_code == 2
    purged = await dlq(settings, "purge", "--stream", settings.streams.orders, "--yes")
    assert "1 purged" in purged.output
    assert (await dlq(settings, "list")).output == ""
