"""Shopify web-hook intake rate: signed deliveries stored in Redis before each 200.

Run: ``.venv/bin/python -m tests.benchmarks.bench_shopify_intake [--deliveries 3000]
[--concurrency 32] [--redis redis://127.0.0.1:6379/0]``

The service's own route (``POST /webhooks/shopify`` from the Shopify wiring) is served by
uvicorn in this process; plain keep-alive connections in the same process post signed order
bodies of about 1 KB (every tenth one a retry of an earlier delivery), ``--concurrency`` at a time.
Each answer is a 200 only after the body is appended to the raw stream. Keys and the stream
are under a fresh prefix and deleted afterwards.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import socket
import statistics
import sys
import time
import uuid

import redis.asyncio as aioredis
import uvicorn
from pydantic import SecretStr
from starlette.applications import Starlette

from service.adapters.common.intake import hmac_sha256_base64
from service.adapters.shopify.wiring import shopify_routes
from service.settings import RedisSettings, Settings
from service.settings_shopify import ShopifySettings

SECRET = "bench-secret"


def _body(n: int) -> bytes:
    lines = [
        {
            "id": n * 10 + i,
            "sku": f"SKU-{i:04d}",
            "quantity": 1,
            "price": "199.00",
            "title": "x" * 60,
        }
        for i in range(8)
    ]
    return json.dumps({"id": 5_000_000 + n, "name": f"#{n}", "line_items": lines}).encode()


def _requests(deliveries: int) -> list[tuple[bytes, dict[str, str]]]:
    """Signed deliveries; every tenth repeats the web-hook id of an earlier one (a retry)."""
    requests = []
    for n in range(deliveries):
        original = n - 5 if n % 10 == 9 else n  # every tenth: a retry of an earlier delivery
        body = _body(original)
        requests.append(
            (
                body,
                {
                    "X-Shopify-Hmac-Sha256": hmac_sha256_base64(SECRET, body),
                    "X-Shopify-Topic": "orders/create",
                    "X-Shopify-Webhook-Id": f"w-{original}",
                    "Content-Type": "application/json",
                },
            )
        )
    return requests


async def _post_all(
    port: int, path: str, requests: list[tuple[bytes, dict[str, str]]], concurrency: int
) -> tuple[list[float], dict[int, int], float]:
    """Post every request over ``concurrency`` connections; latencies, statuses, seconds."""
    latencies: list[float] = []
    statuses: dict[int, int] = {}
    queue: asyncio.Queue[tuple[bytes, dict[str, str]]] = asyncio.Queue()
    for item in requests:
        queue.put_nowait(item)

    async def worker() -> None:
        # A keep-alive connection writing each request in one piece, as a sender should:
        # a request split in two writes waits on delayed ACKs and measures the client.
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        try:
            while not queue.empty():
                body, headers = queue.get_nowait()
                head = "".join(f"{k}: {v}\r\n" for k, v in headers.items())
                request = (
                    f"POST {path} HTTP/1.1\r\nHost: bench\r\n{head}"
                    f"Content-Length: {len(body)}\r\n\r\n"
                ).encode() + body
                started = time.perf_counter()
                writer.write(request)
                status_line = await reader.readline()
                length = 0
                while (line := await reader.readline()) not in (b"\r\n", b""):
                    name, _, value = line.decode().partition(":")
                    if name.lower() == "content-length":
                        length = int(value)
                await reader.readexactly(length)
                latencies.append(time.perf_counter() - started)
                status = int(status_line.split()[1])
                statuses[status] = statuses.get(status, 0) + 1
        finally:
            writer.close()

    began = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    seconds = time.perf_counter() - began
    return latencies, statuses, seconds


async def main(deliveries: int, concurrency: int, redis_url: str) -> None:
    prefix = f"bench-{uuid.uuid4().hex[:8]}"
    settings = Settings(
        redis=RedisSettings(url=SecretStr(redis_url), key_prefix=prefix),
        shopify=ShopifySettings(
            admin_url="http://127.0.0.1:9",  # type: ignore[arg-type] - the intake never calls it
            access_token=SecretStr("shpat_bench"),
            webhook_secret=SecretStr(SECRET),
            webhook_stream=f"{prefix}.shopify.webhooks",
        ),
    )
    redis = aioredis.Redis.from_url(redis_url)
    [(path, route)] = shopify_routes(settings, lambda: redis)
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    server = uvicorn.Server(
        uvicorn.Config(
            Starlette(routes=route.routes), log_config=None, access_log=False, lifespan="off"
        )
    )
    serving = asyncio.create_task(server.serve(sockets=[sock]))
    while not server.started:
        await asyncio.sleep(0.01)
    requests = _requests(deliveries)
    latencies, statuses, seconds = await _post_all(port, path, requests, concurrency)
    stored = await redis.xlen(settings.shopify.webhook_stream)
    server.should_exit = True
    await serving
    sock.close()
    async for key in redis.scan_iter(match=f"{prefix}*", count=1000):
        await redis.delete(key)
    await redis.aclose()
    latencies.sort()
    p50 = statistics.median(latencies) * 1000
    p99 = latencies[int(len(latencies) * 0.99) - 1] * 1000
    sys.stdout.write(
        f"Shopify web-hook intake: {deliveries} deliveries ({len(requests[0][0])} B bodies), "
        f"concurrency {concurrency}\n"
        f"  {deliveries / seconds:.0f} deliveries/s, p50 {p50:.1f} ms, p99 {p99:.1f} ms, "
        f"statuses {statuses}, stored {stored} (repeats dropped: {deliveries - stored})\n"
    )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--deliveries", type=int, default=3000)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--redis", default="redis://127.0.0.1:6379/0")
    arguments = parser.parse_args()
    asyncio.run(main(arguments.deliveries, arguments.concurrency, arguments.redis))
