"""`sitoo-sync resync` publishes through the pollers' path: same ids, nothing twice, bulk lane."""

from __future__ import annotations

import json
import re

import pytest
import redis.asyncio as aioredis

from service.records.keys import DeploymentKeys
from service.sandbox import SaleLine, SandboxConfig, serve_sandbox
from service.sandbox.seed import DEMO_GIFTCARD
from tests.integration.operator.conftest import Names, invoke, point_at_sitoo

pytestmark = pytest.mark.usefixtures("operator_env")
_SUMMARY = re.compile(r"read (\d+), published (\d+), unchanged (\d+)")


def _counts(output: str) -> tuple[int, int, int]:
    match = _SUMMARY.search(output)
    assert match is not None, output
    read, published, unchanged = (int(group) for group in match.groups())
    return read, published, unchanged


async def _types(redis: aioredis.Redis, stream: str) -> list[str]:
    return [json.loads(fields[b"event"])["type"] for _, fields in await redis.xrange(stream)]


async def test_stock_backfill_publishes_each_level_once(
    redis: aioredis.Redis, names: Names, monkeypatch: pytest.MonkeyPatch
) -> None:
    """First run publishes every level, the second nothing, a changed level exactly once."""
    async with serve_sandbox(SandboxConfig(), port=0) as running:
        point_at_sitoo(monkeypatch, running.base_url)
        first = await invoke("resync", "stock")
        second = await invoke("resync", "stock")
        running.sandbox.set_stock(1, "SKU-0001", "99")
        third = await invoke("resync", "stock", "--since", "1h")
    assert first.exit_code == 0, first.output
    read, published, unchanged = _counts(first.stdout)
    assert (read, published, unchanged) == (400, 400, 0)  # 100 SKUs in 4 warehouses
    assert _counts(second.stdout) == (400, 0, 400)
    assert third.exit_code == 0, third.output
    third_read, third_published, _ = _counts(third.stdout)
    assert third_published == 1
    assert third_read >= 1
    events = await _types(redis, names.outbound)
    assert events == ["stock.changed"] * 401


async def test_orders_backfill_records_foreign_orders_once(
    redis: aioredis.Redis, names: Names, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A till sale made in Sitoo becomes order.recorded; a second run adds nothing."""
    async with serve_sandbox(SandboxConfig(), port=0) as running:
        point_at_sitoo(monkeypatch, running.base_url)
        order = running.sandbox.staff.pos_sale(1, [SaleLine("SKU-0002", 1)], receipt_id="R-1")
        first = await invoke("resync", "orders", "--since", str(order.orderid))
        second = await invoke("resync", "orders", "--since", str(order.orderid))
    assert first.exit_code == 0, first.output
    assert _counts(first.stdout) == (1, 1, 0)
    assert _counts(second.stdout) == (1, 0, 1)
    assert await _types(redis, names.outbound) == ["order.recorded"]


async def test_giftcard_backfill_reads_tracked_cards(
    redis: aioredis.Redis, names: Names, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every tracked card is re-read; its balance is published once, then unchanged."""
    await redis.sadd(
        DeploymentKeys(names.prefix).tracked_giftcards, DEMO_GIFTCARD, "95999999999999999999"
    )
    async with serve_sandbox(SandboxConfig(), port=0) as running:
        point_at_sitoo(monkeypatch, running.base_url)
        first = await invoke("resync", "giftcards")
        second = await invoke("resync", "giftcards")
    assert first.exit_code == 0, first.output
    assert "read 2, published 1, unchanged 0, skipped 1" in first.stdout  # one unknown card
    assert "read 2, published 0, unchanged 1, skipped 1" in second.stdout
    entries = await redis.xrange(names.outbound)
    assert len(entries) == 1
    event = json.loads(entries[0][1][b"event"])
    assert event["type"] == "giftcard.balance_changed"
    assert event["data"]["cardnumber"] == DEMO_GIFTCARD


async def test_bad_since_and_missing_sitoo_are_refused() -> None:
    """An unreadable --since and an unconfigured Sitoo both stop with exit status 2."""
    assert (await invoke("resync", "stock", "--since", "yesterday")).exit_code == 2
    result = await invoke("resync", "orders")
    assert result.exit_code == 2
    assert "SITOO_SYNC_SITOO__BASE_URL" in result.output
