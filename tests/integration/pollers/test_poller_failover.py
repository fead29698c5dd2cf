"""Killing the leading replica: another takes over after the lease; nothing lost or doubled."""

from __future__ import annotations

import asyncio
import signal
import sys
from pathlib import Path

import pytest

from service.pollers.runner import Heartbeats
from service.pollers.wiring import build_pollers, runner_for
from service.records.keys import DeploymentKeys
from service.sandbox import SaleLine

ROOT = Path(__file__).resolve().parents[3]
LEASE_TTL_S = 1.5


async def _until(check, *, timeout_s: float = 60.0) -> None:
    """Wait for ``check``; generous, because a loaded machine starts the leader slowly."""
    deadline = asyncio.get_running_loop().time() + timeout_s
    while asyncio.get_running_loop().time() < deadline:
        if await check():
            return
        await asyncio.sleep(0.05)
    raise AssertionError("condition not reached")


async def _recorded(rig) -> list[int]:
    return [e["data"]["order_id"] for e in await rig.outbound() if e["type"] == "order.recorded"]


@pytest.mark.timeout(180)
async def test_a_killed_leader_is_replaced_without_loss_or_duplicates(rig, redis_url):
    """SIGKILL the leading process; a second replica leads next and every sale appears once."""
    prefix = rig.settings.redis.key_prefix
    keys = DeploymentKeys(prefix)
    lease_key, cursor_key = keys.lease("orders"), keys.cursor("orders")
    leader = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "tests.integration.pollers.leader_process",
        redis_url,
        rig.base_url,
        prefix,
        cwd=ROOT,
        stdout=asyncio.subprocess.DEVNULL,
    )
    stop = asyncio.Event()
    follower_task = None
    try:
        # The leader's first cycle takes what exists as history and saves its cursor; a sale
        # made before that cycle (a slow start on a loaded machine) would never be news.
        await _until(lambda: rig.redis.exists(cursor_key))
        assert (await rig.redis.hget(lease_key, "token")).startswith(b"1:")
        store = next(s.storeid for s in await rig.client.list_stores())
        first = rig.sandbox.staff.pos_sale(store, [SaleLine("SKU-0001")], receipt_id="A-1")
        await _until(lambda: _first_seen(rig, first.orderid))

        leader.send_signal(signal.SIGKILL)
        await leader.wait()
        assert 0 < await rig.redis.pttl(lease_key) <= LEASE_TTL_S * 1000
        second = rig.sandbox.staff.pos_sale(store, [SaleLine("SKU-0002")], receipt_id="A-2")

        settings = rig.settings.model_copy(
            update={
                "pollers": rig.settings.pollers.model_copy(
                    update={"lease_ttl_s": LEASE_TTL_S, "orders_interval_s": 0.1}
                )
            }
        )
        (orders,) = (
            p for p in build_pollers(rig.redis, rig.client, settings) if p.name == "orders"
        )
        beats = Heartbeats()
        follower = runner_for(orders, rig.redis, settings, beats)
        follower_task = asyncio.create_task(follower.run(stop))
        await _until(lambda: _first_seen(rig, second.orderid))
    finally:
        stop.set()
        if follower_task is not None:
            await follower_task
        if leader.returncode is None:
            leader.kill()
            await leader.wait()
    assert leader.returncode == -signal.SIGKILL
    assert beats.of("orders").fence == 2
    assert await _recorded(rig) == [first.orderid, second.orderid]
    assert not await rig.redis.exists(lease_key), "a stopped leader hands the lease back"


async def _first_seen(rig, orderid: int) -> bool:
    return orderid in await _recorded(rig)
