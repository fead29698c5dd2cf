"""Gift-card redeem round trip (request stream -> reply list), alone and under saturating bulk load.

Run: ``.venv/bin/python -m tests.benchmarks.bench_giftcard_latency [--redeems 200]``

Round trip = XADD of the request to BLPOP of its reply, as a checkout sees it. The bulk
load is a continuous stock burst, so Sitoo's one request in flight is often taken by bulk
work; the interactive lane keeps the redeem's wait to the one request in flight, an API
user reserved for interactive calls (the second pass) removes even that, and replicas
split by channel (the third) keep stock batches off the redeem's event loop.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import sys
import time

from tests.chaos.stack import Stack, envelope, percentile, running_stack, xadd_all

CARD = "95000000000000000001"  # demo card with 500.00: enough for 2 x 200 redeems of 1.00
LATENCY_MS = 20.0


async def _redeems(stack: Stack, count: int, tag: str) -> list[float]:
    timings: list[float] = []
    for n in range(count):
        event_id = f"lat-{tag}-{n}"
        reply = f"bench-reply:{event_id}"
        body = envelope(
            event_id, "giftcard.redeem", {"card_number": CARD, "amount": "1.00", "currency": "SEK"}
        )
        started = time.perf_counter()
        await stack.redis.xadd("webshop.giftcard-requests", {"event": body, "reply_to": reply})
        answer = await stack.redis.blpop([reply], timeout=30)
        if answer is None:
            raise RuntimeError(f"no reply to {event_id}")
        timings.append((time.perf_counter() - started) * 1000)
        await asyncio.sleep(0.02)
    return timings


async def _bulk(stack: Stack, stop: asyncio.Event) -> int:
    rng = random.Random(2)
    sent = 0
    while not stop.is_set():
        bodies = [
            envelope(
                f"bulk-{sent + n}",
                "stock.adjusted",
                {
                    "warehouse_id": rng.randint(1, 3),
                    "items": [{"sku": f"SKU-{rng.randint(1, 100):04d}", "delta": "1"}],
                },
            )
            for n in range(500)
        ]
        await xadd_all(stack.redis, "webshop.stock", bodies)
        sent += len(bodies)
        await asyncio.sleep(0.5)
    return sent


def _line(name: str, timings: list[float]) -> str:
    return (
        f"  {name}: p50 {percentile(timings, 0.5):.1f} ms, p99 {percentile(timings, 0.99):.1f} ms,"
        f" max {max(timings):.1f} ms (n={len(timings)})"
    )


CHECKOUT_AND_STOCK = (("giftcard_requests", "giftcards", "orders"), ("stock",))


async def _measure(
    count: int, *, till_api_user: bool, split: bool
) -> tuple[list[float], list[float], int]:
    """Unloaded, then loaded, on one stack: the two timings and the stock events sent."""
    async with running_stack(
        latency_ms=LATENCY_MS,
        replicas=2,
        till_api_user=till_api_user,
        channels=CHECKOUT_AND_STOCK if split else None,
    ) as stack:
        await _redeems(stack, 10, "warmup")
        alone = await _redeems(stack, count, "alone")
        stop = asyncio.Event()
        bulk = asyncio.create_task(_bulk(stack, stop))
        await asyncio.sleep(2.0)  # let the backlog build
        loaded = await _redeems(stack, count, "loaded")
        stop.set()
        sent = await bulk
    return alone, loaded, sent


async def main(count: int) -> None:
    """One API user for everything; plus one reserved for checkouts; plus replicas by role."""
    sys.stdout.write(
        f"gift-card redeem round trip, sandbox latency {LATENCY_MS:.0f} ms, "
        "1 request in flight per API user, 2 replicas\n"
    )
    for title, till, split in (
        ("one API user for everything", False, False),
        ("plus one API user reserved for interactive calls", True, False),
        ("reserved API user, one replica for checkouts and one for stock", True, True),
    ):
        alone, loaded, sent = await _measure(count, till_api_user=till, split=split)
        ratio = percentile(loaded, 0.99) / percentile(alone, 0.99)
        sys.stdout.write(
            f"{title}:\n{_line('alone', alone)}\n{_line('under bulk load', loaded)}\n"
            f"  bulk load: {sent} stock events sent during the loaded phase\n"
            f"  loaded p99 / unloaded p99 = {ratio:.2f} "
            f"(aim <= 2: {'met' if ratio <= 2 else 'MISSED'})\n"
        )
        sys.stdout.flush()


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--redeems", type=int, default=200)
    asyncio.run(main(parser.parse_args().redeems))
