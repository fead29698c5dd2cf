"""Shopify API cost per synced stock change: batched inventorySetQuantities vs one per change.

Run: ``.venv/bin/python -m tests.benchmarks.bench_shopify_stock_cost [--changes 500] [--naive 300]``

The fake Shopify runs over real HTTP in this process with a Standard plan bucket (1000
points, 100 points/s). Each change is a compare-and-set: read the current quantity, then
set the new one with changeFromQuantity and an @idempotent key (2026-04). The batched path
reads 200 levels per query and writes 250 quantities per mutation; the naive baseline
reads and writes one change per call. Both run in the same process, one after the other.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from dataclasses import dataclass

from pydantic import SecretStr

from service.adapters.shopify import ShopifyClient, build_http_client
from service.adapters.shopify.models import QuantityChange
from service.fakes.shopify import FakeShopifyConfig, RunningFakeShopify, serve_fake_shopify
from service.settings_shopify import ShopifySettings

LOCATION = "gid://shopify/Location/70000000001"


@dataclass
class Figures:
    """What one path cost."""

    label: str
    changes: int
    requests: int
    points: float
    throttled: int
    waited_s: float
    seconds: float

    def line(self) -> str:
        per = self.points / self.changes
        return (
            f"{self.label:<34} {self.changes:>6} changes  {self.requests:>5} requests  "
            f"{self.points:>8.0f} points  {per:>6.2f} points/change  "
            f"{self.throttled:>3} THROTTLED  waited {self.waited_s:>5.1f} s  "
            f"{self.changes / self.seconds:>8.1f} changes/s"
        )


def _items(running: RunningFakeShopify, count: int) -> list[str]:
    shop = running.shop
    items = []
    for n in range(count):
        variant = shop.catalog.add_variant(f"BENCH-{n:05d}")
        shop.catalog.stock(variant.inventory_item, 70000000001).available = 10
        items.append(f"gid://shopify/InventoryItem/{variant.inventory_item}")
    return items


async def _run(
    label: str, running: RunningFakeShopify, items: list[str], *, batched: bool, round_: int
) -> Figures:
    settings = ShopifySettings(
        admin_url=running.url,  # type: ignore[arg-type]
        access_token=SecretStr("shpat_fake_access_token"),
        webhook_secret=SecretStr("bench"),
    )
    running.shop.requests = {}
    async with build_http_client(settings) as http:
        client = ShopifyClient(http=http, settings=settings)
        started = time.perf_counter()
        if batched:
            levels = await client.inventory_levels(LOCATION, items)
            changes = [
                QuantityChange(i, LOCATION, 20 + round_, levels[i]["available"]) for i in items
            ]  # type: ignore[index]
            await client.set_inventory_quantities(changes, idempotency_key=f"{label}-{round_}")
        else:
            for n, item in enumerate(items):
                level = (await client.inventory_levels(LOCATION, [item]))[item]
                change = QuantityChange(item, LOCATION, 20 + round_, level["available"])  # type: ignore[index]
                await client.set_inventory_quantities(
                    [change], idempotency_key=f"{label}-{round_}-{n}"
                )
        seconds = time.perf_counter() - started
        requests = sum(running.shop.requests.values())
        return Figures(
            label,
            len(items),
            requests,
            client.engine.spent,
            running.shop.requests.get("THROTTLED", 0),
            client.engine.budget.waited_s,
            seconds,
        )


def _say(line: str) -> None:
    sys.stdout.write(line + "\n")


async def main(changes: int, naive: int) -> None:
    """Both paths against one fake; the bucket is refilled between them."""
    async with serve_fake_shopify(FakeShopifyConfig(seed="empty"), send_webhooks=False) as running:
        running.shop.catalog.add_location("Store Stockholm")
        items = _items(running, max(changes, naive))
        batched = await _run(
            "batched (200 reads, 250 writes/call)", running, items[:changes], batched=True, round_=1
        )
        batched_writes = len(running.shop.ledger_entries(kind="inventory.set"))
        await asyncio.sleep(10)  # let the bucket refill
        baseline = await _run(
            "naive (one read + one write/change)", running, items[:naive], batched=False, round_=2
        )
        naive_writes = len(running.shop.ledger_entries(kind="inventory.set")) - batched_writes
    _say("Shopify API cost per synced stock change (fake Shopify, Standard bucket 1000 @ 100/s)")
    _say(batched.line())
    _say(baseline.line())
    # A mutation costs 10 points whatever it carries, so the writes alone compare as:
    _say(
        f"writes only: batched {batched_writes} mutations = {10 * batched_writes / changes:.2f} "
        f"points/change; naive {naive_writes} mutations = {10 * naive_writes / naive:.2f} "
        "points/change"
    )
    ratio = (baseline.points / baseline.changes) / (batched.points / batched.changes)
    _say(f"cost ratio naive/batched: {ratio:.1f}x")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--changes", type=int, default=500, help="changes on the batched path")
    parser.add_argument("--naive", type=int, default=300, help="changes on the naive path")
    arguments = parser.parse_args()
    asyncio.run(main(arguments.changes, arguments.naive))
