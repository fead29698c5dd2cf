"""Requests per second of the sandbox, in-process and over real uvicorn, without faults."""

from __future__ import annotations

import argparse
import asyncio
import sys
import time

import httpx

from service.sandbox import SandboxConfig, create_sandbox_app, sandbox_transport, serve_sandbox

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


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=float, default=2.0)
    parser.add_argument("--items", type=int, default=100_000)
    arguments = parser.parse_args()
    asyncio.run(main(arguments.seconds, arguments.items))
