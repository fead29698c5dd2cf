"""The sandbox over real uvicorn: normal answers, real dropped connections and real stalls."""

from __future__ import annotations

import asyncio
import base64

import httpx
import pytest

from service.sandbox import FaultConfig, SandboxConfig, serve_sandbox

ORDERS = "/sites/1/orders.json"


async def test_real_server_answers_and_counts() -> None:
    """A GET over TCP works, and a wrong password is 401."""
    async with serve_sandbox(SandboxConfig()) as running:
        assert running.base_url == f"http://127.0.0.1:{running.port}/v2/accounts/90001"
        async with httpx.AsyncClient(base_url=running.base_url, auth=("sandbox", "sandbox")) as c:
            assert (await c.get("/sites/1/warehouses.json")).json()["totalcount"] == 4
        async with httpx.AsyncClient(base_url=running.base_url, auth=("sandbox", "x")) as c:
            assert (await c.get("/sites.json")).status_code == 401
        assert running.sandbox.counters.total == 2


async def test_drop_really_drops_the_connection() -> None:
    """The client gets a protocol/read error while the ledger shows the order was created."""
    faults = FaultConfig(apply_then_fail_rate=1, apply_then_fail_mode="drop", writes_only=True)
    async with serve_sandbox(SandboxConfig(faults=faults)) as running:
        async with httpx.AsyncClient(base_url=running.base_url, auth=("sandbox", "sandbox")) as c:
            with pytest.raises((httpx.RemoteProtocolError, httpx.ReadError)):
                await c.post(ORDERS, json={"ordertypeid": 10, "externalid": "DROP-1"})
            assert (await c.get(ORDERS, params={"externalid": "DROP-1"})).json()["totalcount"] == 1
        assert [e.key for e in running.sandbox.ledger_entries()] == ["DROP-1"]


async def test_stall_times_out_a_short_read_timeout() -> None:
    """A stall past the read timeout is a ReadTimeout; the write was applied."""
    faults = FaultConfig(
        apply_then_fail_rate=1, apply_then_fail_mode="stall", stall_s=2, writes_only=True
    )
    async with serve_sandbox(SandboxConfig(faults=faults)) as running:
        timeout = httpx.Timeout(5.0, read=0.2)
        async with httpx.AsyncClient(
            base_url=running.base_url, auth=("sandbox", "sandbox"), timeout=timeout
        ) as c:
            with pytest.raises(httpx.ReadTimeout):
                await c.post(ORDERS, json={"ordertypeid": 10, "externalid": "STALL-1"})
        assert [e.key for e in running.sandbox.ledger_entries()] == ["STALL-1"]
        assert running.sandbox.counters.snapshot()["faults"] == {"stall": 1}


async def test_a_caller_gone_mid_upload_is_not_a_violation() -> None:
    """A client whose timeout fired while sending leaves a truncated body: not judged, not run.

    The chaos run's client abandons uploads when a fault stalls it; counting those as requests
    outside the description made the verdict fail on requests the client never finished.
    """
    async with serve_sandbox(SandboxConfig()) as running:
        _reader, writer = await asyncio.open_connection("127.0.0.1", running.port)
        credentials = base64.b64encode(b"sandbox:sandbox").decode()
        head = (
            "POST /v2/accounts/90001/sites/1/warehousetransactions.json HTTP/1.1\r\n"
            f"Host: 127.0.0.1\r\nAuthorization: Basic {credentials}\r\n"
            "Content-Type: application/json\r\nContent-Length: 400\r\n\r\n"
        )
        writer.write(head.encode() + b'[{"warehouseid": 1')
        await writer.drain()
        writer.close()
        await writer.wait_closed()
        for _ in range(100):
            if running.sandbox.counters.total:
                break
            await asyncio.sleep(0.02)
        outcomes = running.sandbox.counters.by_endpoint
        assert [dict(counts) for counts in outcomes.values()] == [{"client_gone": 1}]
        assert running.sandbox.violations.count == 0
        assert running.sandbox.ledger_entries() == []
