"""Requests per second of the sandbox, in-process and over real uvicorn, without faults."""

from __future__ import annotations

import argparse
import asyncio
import base64
import os
import socket
import sys
import time

import httpx

from service.sandbox import SandboxConfig, create_sandbox_app, sandbox_transport, serve_sandbox
from service.sandbox.seed import DEMO_GIFTCARD

AUTH = ("sandbox", "sandbox")


async def _measure(client: httpx.AsyncClient, path: str, seconds: float) -> float:
    """Sequential requests (the sandbox allows one in flight per user) for `seconds`."""
    done = 0
    started = time.perf_counter()
    while time.perf_counter() - started < seconds:
        response = await client.get(path)
        response.raise_for_status()
        done += 1
    return done / (time.perf_counter() - started)


async def main(seconds: float, items: int) -> None:
    """Print requests/s for a few GETs, in-process and over TCP."""
    config = SandboxConfig()
    app = create_sandbox_app(config)
    sandbox = app.state.sandbox
    web = next(w.warehouseid for w in sandbox.catalog.warehouses.values() if w.is_virtual)
    started = time.perf_counter()
    sandbox.add_products(items, warehouseids=[web])
    sys.stdout.write(
        f"added {items} products/items in {time.perf_counter() - started:.2f} s" + "\n"
    )
    paths = {
        "sites": "/sites.json",
        "orders list": "/sites/1/orders.json?num=10",
        "items by sku": f"/sites/1/warehouses/{web}/warehouseitems.json?sku=BULK-000101",
        "items modified window": (
            f"/sites/1/warehouses/{web}/warehouseitems.json?datelastmodifiedfrom=0&num=100"
        ),
    }
    async with httpx.AsyncClient(
        transport=sandbox_transport(app), base_url="http://s/v2/accounts/90001", auth=AUTH
    ) as client:
        for name, path in paths.items():
            rate = await _measure(client, path, seconds)
            sys.stdout.write(f"in-process  {name:24s} {rate:8.0f} req/s" + "\n")
    async with serve_sandbox(config) as running:
        running.sandbox.add_products(items, warehouseids=[web])
        async with httpx.AsyncClient(base_url=running.base_url, auth=AUTH) as client:
            for name, path in paths.items():
                rate = await _measure(client, path, seconds)
                sys.stdout.write(f"uvicorn     {name:24s} {rate:8.0f} req/s" + "\n")


def _pin_to(core: int, pid: int = 0) -> None:
    """Keep a process on one core so the figure is "requests/s on one core"."""
    if hasattr(os, "sched_setaffinity") and core < (os.cpu_count() or 1):
        os.sched_setaffinity(pid, {core})


async def _raw_get_loop(port: int, path: str, stop_at: float) -> int:
    """Keep-alive GETs over a bare socket: a load generator far cheaper than httpx."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    token = base64.b64encode(":".join(AUTH).encode()).decode()
    request = f"GET {path} HTTP/1.1\r\nHost: sandbox\r\nAuthorization: Basic {token}\r\n\r\n"
    done = 0
    try:
        while time.perf_counter() < stop_at:
            writer.write(request.encode())
            head = await reader.readuntil(b"\r\n\r\n")
            if not head.startswith(b"HTTP/1.1 200"):
                raise RuntimeError(head.split(b"\r\n", 1)[0].decode())
            length = next(
                int(line.split(b":", 1)[1])
                for line in head.split(b"\r\n")
                if line.lower().startswith(b"content-length:")
            )
            await reader.readexactly(length)
            done += 1
    finally:
        writer.close()
        await writer.wait_closed()
    return done


async def server_process(seconds: float, connections: int) -> None:
    """The sandbox as its own process on core 0, loaded from core 1 over several connections."""
    port = _free_port()
    command = [sys.executable, "-m", "service", "sandbox", "--port", str(port)]
    command += ["--max-in-flight", str(connections)]
    server = await asyncio.create_subprocess_exec(
        *command, stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL
    )
    _pin_to(0, server.pid)
    _pin_to(1)
    try:
        for _ in range(100):
            try:
                await _raw_get_loop(port, "/v2/accounts/90001/sites.json", 0)
                break
            except OSError:
                await asyncio.sleep(0.1)
        paths = {
            "sites": "/v2/accounts/90001/sites.json",
            "orders list": "/v2/accounts/90001/sites/1/orders.json?num=10",
            "gift card": f"/v2/accounts/90001/sites/1/giftcards/{DEMO_GIFTCARD}.json",
        }
        for name, path in paths.items():
            started = time.perf_counter()
            counts = await asyncio.gather(
                *(_raw_get_loop(port, path, started + seconds) for _ in range(connections))
            )
            rate = sum(counts) / (time.perf_counter() - started)
            sys.stdout.write(
                f"own process {name:24s} {rate:8.0f} req/s ({connections} connections)\n"
            )
    finally:
        server.terminate()
        await server.wait()


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=float, default=2.0)
    parser.add_argument("--items", type=int, default=100_000)
    parser.add_argument("--connections", type=int, default=8)
    arguments = parser.parse_args()
    asyncio.run(main(arguments.seconds, arguments.items))
    asyncio.run(server_process(arguments.seconds, arguments.connections))
