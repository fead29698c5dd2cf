"""Requests per second of the sandbox, in-process and over real uvicorn, without faults.

GETs of lists and single objects, and two writes whose bodies the strict sandbox checks
against Sitoo's description: a gift card issued with a load, and an order with three lines.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import json
import os
import socket
import sys
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

import httpx

from service.sandbox import SandboxConfig, create_sandbox_app, sandbox_transport, serve_sandbox
from service.sandbox.openapi import request_rules
from service.sandbox.seed import DEMO_GIFTCARD

AUTH = ("sandbox", "sandbox")
WARM_UP = 50  # requests sent before each measurement


Send = Callable[[int], Awaitable[httpx.Response]]


async def _measure(send: Send, seconds: float) -> tuple[float, float]:
    """Sequential requests (one in flight per user) for `seconds`: per wall and per CPU second.

    The second figure counts the CPU time of this process (client and in-process sandbox),
    so it hardly moves when other work shares the machine; the first one does.
    """
    for warm_up in range(-WARM_UP, 0):
        (await send(warm_up)).raise_for_status()
    done = 0
    started, cpu_started = time.perf_counter(), time.process_time()
    while time.perf_counter() - started < seconds:
        response = await send(done)
        response.raise_for_status()
        done += 1
    wall, cpu = time.perf_counter() - started, time.process_time() - cpu_started
    return done / wall, done / max(cpu, 1e-9)


def _order(number: int) -> dict[str, object]:
    lines = [
        {"productname": f"Product {n}", "sku": f"SKU-000{n}", "quantity": n, "vatvalue": 25}
        for n in (1, 2, 3)
    ]
    return {
        "externalid": f"bench-{os.getpid()}-{number + WARM_UP}",
        "ordertypeid": 10,
        "email": "bench@example.com",
        "currencycode": "SEK",
        "orderitems": lines,
        "payments": [{"name": "Card", "moneyamount": "100.00"}],
        "additionaldata": {"source": "bench"},
    }


def _card(number: int) -> dict[str, object]:
    return {
        "type": "giftcard",
        "currencycode": "SEK",
        "cardnumber": f"97{os.getpid():08d}{number + WARM_UP:010d}",
        "transactions": [{"moneyamount": "100.00", "merchant_reference": "bench"}],
    }


def _requests(client: httpx.AsyncClient, paths: dict[str, str]) -> dict[str, Send]:
    sends: dict[str, Send] = {
        name: (lambda _n, path=path: client.get(path)) for name, path in paths.items()
    }
    sends["POST gift card"] = lambda n: client.post("/sites/1/giftcards.json", json=_card(n))
    sends["POST order"] = lambda n: client.post("/sites/1/orders.json", json=_order(n))
    return sends


async def _report(
    where: str, client: httpx.AsyncClient, paths: dict[str, str], seconds: float
) -> None:
    for name, send in _requests(client, paths).items():
        wall, cpu = await _measure(send, seconds)
        sys.stdout.write(f"{where} {name:24s} {wall:8.0f} req/s {cpu:8.0f} req/CPU-s\n")


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
        await _report("in-process ", client, paths, seconds)
    async with serve_sandbox(config) as running:
        running.sandbox.add_products(items, warehouseids=[web])
        async with httpx.AsyncClient(base_url=running.base_url, auth=AUTH) as client:
            await _report("uvicorn    ", client, paths, seconds)


def screening_cost(rounds: int) -> None:
    """CPU microseconds the strict sandbox spends checking one request of each shape."""
    rules = request_rules()
    shapes = {
        "GET sites": ("GET", "/sites.json", b"", b""),
        "GET orders list": ("GET", "/sites/{siteid}/orders.json", b"num=10&sort=orderid", b""),
        "POST gift card": ("POST", "/sites/{siteid}/giftcards.json", b"", _card(0)),
        "POST order": ("POST", "/sites/{siteid}/orders.json", b"", _order(0)),
    }
    for name, (method, template, query, body) in shapes.items():
        check = rules.for_route(method, template)
        assert check is not None
        raw = json.dumps(body).encode() if body else b""
        started = time.process_time()
        for _ in range(rounds):
            check.check({}, query, raw)
        spent = (time.process_time() - started) / rounds
        sys.stdout.write(f"screening   {name:24s} {spent * 1e6:8.1f} µs CPU per request\n")


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
            started, cpu_started = time.perf_counter(), _cpu_seconds(server.pid)
            counts = await asyncio.gather(
                *(_raw_get_loop(port, path, started + seconds) for _ in range(connections))
            )
            rate = sum(counts) / (time.perf_counter() - started)
            cpu = _cpu_seconds(server.pid) - cpu_started
            per_cpu = f"{sum(counts) / cpu:8.0f} req/CPU-s" if cpu > 0 else "     (no CPU figure)"
            sys.stdout.write(
                f"own process {name:24s} {rate:8.0f} req/s {per_cpu} ({connections} connections)\n"
            )
    finally:
        server.terminate()
        await server.wait()


def _cpu_seconds(pid: int) -> float:
    """CPU time (user + system) a process has used so far (Linux /proc), 0 elsewhere."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


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
    screening_cost(20_000)
    asyncio.run(main(arguments.seconds, arguments.items))
    asyncio.run(server_process(arguments.seconds, arguments.connections))
