"""Footprint: start-up time of a replica and its resident memory idle and under load.

Run: ``.venv/bin/python -m tests.benchmarks.bench_footprint``

Start-up = process spawn until /readyz answers 200 (Redis and the sandbox already up).
RSS is sampled from /proc every 100 ms while 2 replicas work through 5,000 stock events
and 200 orders.
"""

from __future__ import annotations

import asyncio
import random
import sys
import time

from tests.chaos.stack import envelope, percentile, rss_mb, running_stack, wait_results, xadd_all

STARTS = 3


def _order(number: int, rng: random.Random) -> bytes:
    price = rng.randint(50, 500)
    data = {
        "order_id": f"fp-{number}",
        "currency": "SEK",
        "fulfilment": {"kind": "pickup", "store_externalid": f"STORE-{rng.randint(1, 3)}"},
        "lines": [
            {
                "sku": f"SKU-{rng.randint(1, 100):04d}",
                "name": "P",
                "quantity": 1,
                "unit_price": f"{price}.00",
                "vat_rate": "25",
            }
        ],
        "payments": [{"method": "Card", "amount": f"{price}.00", "state": "captured"}],
        "total": f"{price}.00",
    }
    return envelope(f"fp-order-{number}", "order.placed", data)


async def main() -> None:
    """Start-up times first, then memory under load."""
    rng = random.Random(3)
    async with running_stack(replicas=2, start_replicas=False) as stack:
        startups: list[float] = []
        for replica in stack.replicas:
            for _ in range(STARTS):
                began = time.monotonic()
                await replica.start()
                startups.append(time.monotonic() - began)
                await replica.stop()
        await asyncio.gather(*(r.start() for r in stack.replicas))
        await asyncio.sleep(1.0)
        idle = [rss_mb(r.pid or 0) for r in stack.replicas]
        peaks = [0.0 for _ in stack.replicas]
        stock = [
            envelope(
                f"fp-stock-{n}",
                "stock.adjusted",
                {
                    "warehouse_id": rng.randint(1, 3),
                    "items": [{"sku": f"SKU-{rng.randint(1, 100):04d}", "delta": "1"}],
                },
            )
            for n in range(5000)
        ]
        orders = [_order(n, rng) for n in range(200)]
        done = asyncio.Event()

        async def sample() -> None:
            while not done.is_set():
                for index, replica in enumerate(stack.replicas):
                    peaks[index] = max(peaks[index], rss_mb(replica.pid or 0))
                await asyncio.sleep(0.1)

        sampler = asyncio.create_task(sample())
        await xadd_all(stack.redis, "webshop.orders", orders)
        await xadd_all(stack.redis, "webshop.stock", stock)
        await wait_results(stack.redis, len(stock) + len(orders))
        done.set()
        await sampler
    sys.stdout.write(
        f"footprint (2 replicas, pollers off)\n"
        f"  start-up to /readyz: p50 {percentile(startups, 0.5):.2f} s, "
        f"max {max(startups):.2f} s (n={len(startups)})\n"
        f"  RSS idle: {', '.join(f'{m:.0f} MiB' for m in idle)}\n"
        "  RSS peak under load (5,000 stock events + 200 orders): "
        f"{', '.join(f'{m:.0f} MiB' for m in peaks)} "
        f"(aim <= 200 MB: {'met' if max(peaks) <= 200 else 'MISSED'})\n"
    )


if __name__ == "__main__":
    asyncio.run(main())
