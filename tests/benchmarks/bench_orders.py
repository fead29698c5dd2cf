"""Orders: throughput against Sitoo's one-request-in-flight budget, and the service's overhead.

Run: ``.venv/bin/python -m tests.benchmarks.bench_orders [--orders 300] [--cluster]``
(``--cluster``: on a local three-master Redis Cluster instead of one Redis)

Utilisation = Sitoo requests x the sandbox's own round trip (measured with bare httpx in
the same run) / elapsed time: the share of the wall clock the single slot was busy.
Overhead per event = end-to-end time of one order alone (XADD to its result) minus its
Sitoo requests x the bare round trip, with the sandbox at 0 ms latency.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import statistics
import sys
import time

import httpx

from tests.chaos.stack import (
    Stack,
    envelope,
    percentile,
    running_stack,
    sandbox_requests,
    wait_results,
    xadd_all,
)

LATENCY_MS = 20.0


def _order(tag: str, number: int, rng: random.Random) -> bytes:
    lines: list[dict[str, str | int]] = [
        {
            "sku": f"SKU-{i:04d}",
            "name": "P",
            "quantity": 1,
            "unit_price": f"{rng.randint(50, 500)}.00",
            "vat_rate": "25",
        }
        for i in rng.sample(range(1, 101), rng.randint(1, 3))
    ]
    total = sum(int(str(line["unit_price"]).split(".", maxsplit=1)[0]) for line in lines)
    fulfilment = (
        {"kind": "pickup", "store_externalid": f"STORE-{rng.randint(1, 3)}"}
        if number % 2
        else {
            "kind": "delivery",
            "address": {
                "name": "A",
                "street": "S 1",
                "postal_code": "11122",
                "city": "C",
                "country": "SE",
            },
        }
    )
    data = {
        "order_id": f"{tag}-{number}",
        "currency": "SEK",
        "fulfilment": fulfilment,
        "lines": lines,
        "payments": [{"method": "Card", "amount": f"{total}.00", "state": "captured"}],
        "total": f"{total}.00",
    }
    return envelope(f"{tag}-order-{number}", "order.placed", data)


async def _bare_round_trip_ms(stack: Stack, calls: int = 50) -> float:
    auth = (stack.sandbox.api_id, stack.sandbox.api_password)
    async with httpx.AsyncClient(base_url=stack.sandbox.base_url, auth=auth) as client:
        timings = []
        for _ in range(calls):
            began = time.perf_counter()
            (
                await client.get("/sites/1/orders.json", params={"externalid": "none"})
            ).raise_for_status()
            timings.append((time.perf_counter() - began) * 1000)
    return statistics.median(timings)


async def throughput(count: int, claim_replicas: int = 0, cluster: bool = False) -> str:
    """Many orders at once against a 20 ms sandbox."""
    rng = random.Random(4)
    async with running_stack(
        latency_ms=LATENCY_MS, replicas=2, claim_replicas=claim_replicas, cluster=cluster
    ) as stack:
        rtt = await _bare_round_trip_ms(stack)
        await stack.admin.clear_requests()
        began = time.monotonic()
        orders = [_order("tp", n, rng) for n in range(count)]
        await xadd_all(stack.redis, stack.stream("webshop.orders"), orders)
        elapsed = await wait_results(stack.redis, count, stream=stack.results) - began
        requests, too_many = await sandbox_requests(stack.admin)
    busy = requests * rtt / 1000
    return (
        f"orders: {count} orders, 2 replicas, sandbox latency {LATENCY_MS:.0f} ms, "
        "1 request in flight\n"
        f"  {elapsed:.1f} s, {count / elapsed:.1f} orders/s, {requests} Sitoo requests "
        f"({requests / count:.1f} per order), bare round trip {rtt:.1f} ms\n"
        f"  utilisation of the one-in-flight budget: {100 * busy / elapsed:.0f} % (aim >= 90 %), "
        f"429 answers: {too_many} (aim 0)\n"
    )


async def overhead(count: int, claim_replicas: int = 0, cluster: bool = False) -> str:
    """One order at a time against a 0 ms sandbox: what the service adds per event."""
    rng = random.Random(5)
    async with running_stack(replicas=1, claim_replicas=claim_replicas, cluster=cluster) as stack:
        orders, results = stack.stream("webshop.orders"), stack.results
        rtt = await _bare_round_trip_ms(stack)
        for n in range(5):  # warm the directory cache and connections
            await xadd_all(stack.redis, orders, [_order("warm", n, rng)])
            await wait_results(stack.redis, n + 1, stream=results)
        own: list[float] = []
        for n in range(count):
            await stack.admin.clear_requests()
            began = time.perf_counter()
            await xadd_all(stack.redis, orders, [_order("oh", n, rng)])
            await wait_results(stack.redis, n + 6, stream=results)
            elapsed_ms = (time.perf_counter() - began) * 1000
            requests, _ = await sandbox_requests(stack.admin)
            own.append(elapsed_ms - requests * rtt)
    return (
        f"  service overhead per order (alone, 0 ms sandbox, bare round trip {rtt:.2f} ms): "
        f"p50 {percentile(own, 0.5):.1f} ms, p99 {percentile(own, 0.99):.1f} ms "
        f"(aim p99 <= 15 ms: {'met' if percentile(own, 0.99) <= 15 else 'MISSED'})\n"
    )


async def main(count: int, claim_replicas: int = 0, cluster: bool = False) -> None:
    """Both measurements."""
    on = ", on a three-master Redis Cluster" if cluster else ""
    sys.stdout.write(f"orders, CLAIM_REPLICAS {claim_replicas}{on}\n")
    sys.stdout.write(await throughput(count, claim_replicas, cluster))
    sys.stdout.write(await overhead(min(count, 200), claim_replicas, cluster))


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--orders", type=int, default=300)
    parser.add_argument(
        "--claim-replicas", type=int, default=0, help="Redis replicas each claim waits for"
    )
    parser.add_argument(
        "--cluster", action="store_true", help="run on a local three-master Redis Cluster"
    )
    arguments = parser.parse_args()
    asyncio.run(main(arguments.orders, arguments.claim_replicas, arguments.cluster))
