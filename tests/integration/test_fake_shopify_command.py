"""`sitoo-sync fake-shopify` serves the fake alone, with its token, seed and fault options."""

from __future__ import annotations

import asyncio
import os
import socket
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx

TOKEN = "shpat_cli_token"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@asynccontextmanager
async def _fake(*options: str) -> AsyncIterator[httpx.AsyncClient]:
    port = _free_port()
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "service",
        "fake-shopify",
        "--port",
        str(port),
        "--access-token",
        TOKEN,
        *options,
        env={"PATH": os.environ.get("PATH", "")},
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.DEVNULL,
    )
    try:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=10) as client:
            for _ in range(300):
                try:
                    await client.get("/_fake/clock")
                    break
                except httpx.TransportError:
                    await asyncio.sleep(0.1)
            yield client
    finally:
        process.terminate()
        await process.wait()


async def test_serves_the_admin_api_with_its_token() -> None:
    """The token is required; demo data is there."""
    query = {"query": "{ locations(first: 5) { nodes { name } } }"}
    async with _fake("--seed", "demo") as client:
        refused = await client.post("/admin/api/2026-04/graphql.json", json=query)
        assert refused.status_code == 401
        answer = await client.post(
            "/admin/api/2026-04/graphql.json", json=query, headers={"X-Shopify-Access-Token": TOKEN}
        )
        assert len(answer.json()["data"]["locations"]["nodes"]) == 3


async def test_fault_options_take_effect() -> None:
    """--throttled-rate 1 throttles every query."""
    async with _fake("--throttled-rate", "1") as client:
        answer = await client.post(
            "/admin/api/2026-04/graphql.json",
            json={"query": "{ shop { name } }"},
            headers={"X-Shopify-Access-Token": TOKEN},
        )
        assert answer.json()["errors"][0]["extensions"]["code"] == "THROTTLED"


def test_a_bad_option_is_one_line_and_exit_2() -> None:
    """An invalid fault mode names the option."""
    import subprocess  # noqa: PLC0415

    done = subprocess.run(
        [sys.executable, "-m", "service", "fake-shopify", "--apply-then-fail-mode", "boom"],
        capture_output=True,
        text=True,
        check=False,
        env={"PATH": os.environ.get("PATH", "")},
    )
    assert done.returncode == 2
    assert done.stderr.strip().startswith("invalid option --apply-then-fail-mode")
