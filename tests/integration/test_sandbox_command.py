"""`sitoo-sync sandbox` serves the sandbox over HTTP with the limits and faults it is given."""

from __future__ import annotations

import asyncio
import os
import socket
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx

AUTH = ("shop", "shop-password")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@asynccontextmanager
async def _sandbox(*options: str) -> AsyncIterator[httpx.AsyncClient]:
    port = _free_port()
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "service",
        "sandbox",
        "--port",
        str(port),
        "--api-id",
        AUTH[0],
        "--api-password",
        AUTH[1],
        *options,
        env={"PATH": os.environ.get("PATH", "")},
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}/v2/accounts/90001"
    try:
        async with httpx.AsyncClient(base_url=base, auth=AUTH, timeout=10) as client:
            for _ in range(300):
                try:
                    await client.get("/sites.json")
                    break
                except httpx.TransportError:
                    await asyncio.sleep(0.1)
            yield client
    finally:
        process.terminate()
        await process.wait()


async def test_serves_demo_data_with_auth_and_the_one_in_flight_limit() -> None:
    """Basic auth is required, demo data is there and a second concurrent request gets 429."""
    async with _sandbox("--seed", "demo", "--latency-ms", "300") as client:
        assert (await client.get("/sites.json", auth=("shop", "wrong"))).status_code == 401
        stores = await client.get("/sites/1/stores.json")
        assert stores.status_code == 200
        assert stores.json()["totalcount"] == 3
        first, second = await asyncio.gather(
            client.get("/sites/1/stores.json"), client.get("/sites/1/stores.json")
        )
        statuses = sorted([first.status_code, second.status_code])
        assert statuses == [200, 429]
        refused = first if first.status_code == 429 else second
        assert refused.json() == {"statuscode": 429, "errortext": "Too many connections"}


async def test_fault_options_take_effect() -> None:
    """--error-before-rate 1 turns every call into a 5xx that applied nothing."""
    async with _sandbox("--error-before-rate", "1", "--fault-seed", "7") as client:
        response = await client.get("/sites.json")
        assert response.status_code in {500, 503}
        assert set(response.json()) == {"statuscode", "errortext"}


async def test_strict_by_default_and_lenient_on_request() -> None:
    """Strict refuses a list where Sitoo takes one transaction; --lenient serves and records it."""
    path = "/sites/1/giftcards/95000000000000000001/transactions.json"
    body = [{"moneyamount": "-1.00"}]
    async with _sandbox() as client:
        refused = await client.post(path, json=body)
        assert refused.status_code == 400
        assert refused.json() == {
            "statuscode": 400,
            "errortext": "Invalid request body: expected an object, got an array.",
        }
        root = str(client.base_url).split("/v2/")[0]
        recorded = (await client.get(f"{root}/_sandbox/violations")).json()
        assert recorded["count"] == 1
        assert recorded["recent"][0]["refused"] is True
    async with _sandbox("--lenient") as client:
        served = await client.post(path, json=body)
        assert served.status_code == 200
        root = str(client.base_url).split("/v2/")[0]
        recorded = (await client.get(f"{root}/_sandbox/violations")).json()
        assert recorded["by_operation"] == {"addGiftCardTransaction": 1}
        assert recorded["recent"][0]["refused"] is False
