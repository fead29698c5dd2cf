"""The sandbox and the embedded Redis survive a restart together, or are reset together."""

from __future__ import annotations

import asyncio
import json
import os
import signal
from pathlib import Path
from typing import Any

import httpx
import redis.asyncio as aioredis

from service.operator.producers import example_event
from tests.integration.devstack.devrun import DevRun, dev_run, port_open

FAST_POLLING = {
    "SITOO_SYNC_POLLERS__ORDERS_INTERVAL_S": "0.3",
    "SITOO_SYNC_POLLERS__ORDERS_START_ID": "1",
}
WAIT_S = 30.0


async def _place_order(run: DevRun, webshop_order_id: str) -> int:
    """XADD an order.placed as a webshop would; the Sitoo order id from its result."""
    event = example_event("order-placed")
    event["event_id"] = f"shop-order-{webshop_order_id}"
    event["occurred_at"] = "2026-03-01T12:00:00Z"
    event["data"]["order_id"] = webshop_order_id
    redis = aioredis.Redis.from_url(run.redis_url)
    try:
        await redis.xadd("webshop.orders", {"event": json.dumps(event)})
        result = await _wait_for(
            redis,
            "sitoo-sync.results",
            lambda e: e["data"].get("inbound_event_id") == event["event_id"],
        )
    finally:
        await redis.aclose()
    assert result["type"] == "order.placed.succeeded", result
    return int(result["data"]["sitoo"]["orderid"])


async def _wait_for(redis: aioredis.Redis, stream: str, wanted: Any) -> dict[str, Any]:
    async with asyncio.timeout(WAIT_S):
        while True:
            for _id, fields in await redis.xrange(stream):
                event = json.loads(fields[b"event"])
                if wanted(event):
                    return dict(event)
            await asyncio.sleep(0.2)


async def _sandbox_orders(run: DevRun) -> list[dict[str, Any]]:
    async with httpx.AsyncClient() as http:
        answer = await http.get(f"{run.sandbox_url}/_sandbox/state/orders")
    answer.raise_for_status()
    return list(answer.json())


async def test_a_restart_keeps_both_and_pickup_events_go_on(tmp_path: Path) -> None:
    """After a restart the sandbox's ids go on from where Redis's cursors are: no event is lost.

    A sandbox that started afresh under a Redis that kept its cursors would hand out order ids
    the order poller considers already seen, and the new order's pickup would never be told.
    """
    async with dev_run(tmp_path, **FAST_POLLING) as first:
        before = await _place_order(first, "300001")
    async with dev_run(tmp_path, log_name="second.log", **FAST_POLLING) as second:
        assert "dev state restored" in second.text
        assert before in [order["orderid"] for order in await _sandbox_orders(second)]
        after = await _place_order(second, "300002")
        assert after > before
        async with httpx.AsyncClient() as http:
            ready = await http.post(
                f"{second.sandbox_url}/_sandbox/actions/ready-for-pickup", json={"orderid": after}
            )
        assert ready.status_code == 200, ready.text
        redis = aioredis.Redis.from_url(second.redis_url)
        try:
            event = await _wait_for(
                redis,
                "sitoo.events",
                lambda e: e["type"] == "order.pickup_ready" and e["data"]["order_id"] == after,
            )
        finally:
            await redis.aclose()
        assert event["data"]["webshop_order_id"] == "300002"


async def test_reset_throws_both_away(tmp_path: Path) -> None:
    """`run --reset`: a fresh sandbox and an empty Redis, said in the banner."""
    async with dev_run(tmp_path) as first:
        await _place_order(first, "300003")
    async with dev_run(tmp_path, "--reset", log_name="second.log") as second:
        assert "dev state reset (--reset was given)" in second.text
        assert await _sandbox_orders(second) == []
        redis = aioredis.Redis.from_url(second.redis_url)
        try:
            # The service creates its consumer groups at start; the streams are empty.
            assert await redis.xlen("webshop.orders") == 0
            assert await redis.exists("sitoo-sync.results") == 0
        finally:
            await redis.aclose()


async def test_a_killed_run_takes_its_redis_along_and_the_next_run_resets_both(
    tmp_path: Path,
) -> None:
    """SIGKILL leaves no Redis behind, and no half-kept state: the next start resets both."""
    async with dev_run(tmp_path) as first:
        await _place_order(first, "300004")
        first.process.send_signal(signal.SIGKILL)
        await first.process.wait()
        async with asyncio.timeout(10):
            while port_open(first.redis_port):
                await asyncio.sleep(0.1)
    async with dev_run(tmp_path, log_name="second.log") as second:
        assert "dev state reset (the last run did not stop cleanly" in second.text
        assert await _sandbox_orders(second) == []


async def test_ctrl_c_in_a_terminal_stops_cleanly_and_keeps_the_state(tmp_path: Path) -> None:
    """SIGINT to the whole process group: the service drains before its Redis stops."""
    async with dev_run(tmp_path) as first:
        placed = await _place_order(first, "300005")
        os.killpg(first.process.pid, signal.SIGINT)
        assert await asyncio.wait_for(first.process.wait(), timeout=40) == -signal.SIGINT
        assert "Application shutdown complete." in first.text
        assert "ConnectionError" not in first.text, first.text
        assert not port_open(first.redis_port)
    async with dev_run(tmp_path, log_name="second.log") as second:
        assert "dev state restored" in second.text
        assert placed in [order["orderid"] for order in await _sandbox_orders(second)]
