"""`sitoo-sync fake-woocommerce` serves the fake alone, with its key, seed and fault options."""

from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx

KEY = "ck_cli_key"
SECRET = "cs_cli_secret"


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
        "fake-woocommerce",
        "--port",
        str(port),
        "--consumer-key",
        KEY,
        "--consumer-secret",
        SECRET,
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


async def test_serves_the_rest_api_with_its_key() -> None:
    """The key is required; the demo catalogue is there."""
    async with _fake("--seed", "demo") as client:
        refused = await client.get("/wp-json/wc/v3/products")
        assert refused.status_code == 401
        answer = await client.get(
            "/wp-json/wc/v3/products", params={"sku": "SKU-0001"}, auth=(KEY, SECRET)
        )
        assert answer.json()[0]["sku"] == "SKU-0001"


async def test_https_only_and_fault_options_take_effect() -> None:
    """--https-only makes plain-http keys anonymous; --extra-429-rate 1 limits everything."""
    async with _fake("--https-only") as client:
        plain = await client.get("/wp-json/wc/v3/products", auth=(KEY, SECRET))
        assert plain.json()["code"] == "woocommerce_rest_cannot_view"
    async with _fake("--extra-429-rate", "1") as client:
        limited = await client.get("/wp-json/wc/v3/products", auth=(KEY, SECRET))
        assert limited.status_code == 429


def test_a_bad_option_is_one_line_and_exit_2() -> None:
    """An invalid fault mode names the option."""
    done = subprocess.run(
        [sys.executable, "-m", "service", "fake-woocommerce", "--apply-then-fail-mode", "boom"],
        capture_output=True,
        text=True,
        check=False,
        env={"PATH": os.environ.get("PATH", "")},
    )
    assert done.returncode == 2
    assert done.stderr.strip().startswith("invalid option --apply-then-fail-mode")
