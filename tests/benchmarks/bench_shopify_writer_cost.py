"""Shopify API cost per Sitoo stock change through the adapter's writer, against one call each.

Run: ``.venv/bin/python -m tests.benchmarks.bench_shopify_writer_cost [--skus 100]
[--versions 3] [--redis redis://127.0.0.1:6379/0]``

The fake Shopify runs over real HTTP in this process (Standard bucket, 2026-04). ``--skus``
SKUs at one Sitoo-mastered location each get ``--versions`` successive ``stock.changed``
events (as a busy store produces between two reads). The writer reads them in one batch:
newest version per SKU, levels already right skipped, one ``inventorySetQuantities`` for the
rest. The baseline applies every event as it comes: a variant look-up and one mutation each.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
import uuid

import redis.asyncio as aioredis
from pydantic import SecretStr

from service.adapters.common.outbound import OutboundReading, OutboundWriter
from service.adapters.shopify import ShopifyClient, build_http_client
from service.adapters.shopify.models import QuantityChange
from service.adapters.shopify.writer import ShopifyWriter
from service.fakes.shopify import FakeShopifyConfig, serve_fake_shopify
from service.records.keys import DeploymentKeys
from service.settings_shopify import ShopifySettings

LOCATION = 70000000001


def _event(sku: str, available: int, version: int) -> dict[str, object]:
    return {
        "event_id": f"bench-{sku}-{version}",
        "type": "stock.changed",
        "schema_version": 1,
        "occurred_at": "2026-03-01T12:00:00Z",
        "source": "sitoo",
        "data": {
            "sku": sku,
            "warehouse_id": 1,
            "store_id": 1,
            "store_externalid": "STORE-1",
            "total": str(available),
            "reserved": "0",
            "available": str(available),
            "version": version,
            "modified_at": None,
            "at": "2026-03-01T12:00:00Z",
        },
    }


async def main(skus: int, versions: int, redis_url: str) -> None:
    prefix = f"bench-{uuid.uuid4().hex[:8]}"
    redis = aioredis.Redis.from_url(redis_url)
    async with serve_fake_shopify(FakeShopifyConfig(), send_webhooks=False) as running:
        settings = ShopifySettings(
            admin_url=running.url,  # type: ignore[arg-type]
            access_token=SecretStr("shpat_fake_access_token"),
            webhook_secret=SecretStr("bench"),
            locations={  # type: ignore[dict-item]
                str(LOCATION): {"store_id": 1, "warehouse_id": 1, "stock_master": "sitoo"}
            },
        )
        names = [f"SKU-{n:04d}" for n in range(1, skus + 1)]
        events = [_event(sku, 40 + v, v) for v in range(1, versions + 1) for sku in names]
        async with build_http_client(settings) as http:
            client = ShopifyClient(http=http, settings=settings)
            reading = OutboundReading(
                stream=f"{prefix}.outbound",
                group="bench",
                consumer="c",
                dead_letters=f"{prefix}.dlq",
                batch=10_000,
                block_ms=10,
                reclaim_idle_ms=60_000,
                max_deliveries=3,
            )
            writer = OutboundWriter(
                redis, reading, ShopifyWriter(client, settings, redis, keys=DeploymentKeys(prefix))
            )
            await writer.ensure_group()
            for event in events:
                await redis.xadd(reading.stream, {"event": json.dumps(event)})
            started = time.perf_counter()
            await writer.step()
            batched_s = time.perf_counter() - started
            batched_points = client.engine.spent
            batched_mutations = len(running.shop.ledger_entries(kind="inventory.set"))

            await asyncio.sleep(10)  # let the bucket refill
            before = client.engine.spent
            started = time.perf_counter()
            for event in events:  # the baseline: each event on its own
                data = event["data"]
                assert isinstance(data, dict)
                [variant] = (await client.variants_by_sku([data["sku"]]))[data["sku"]]
                change = QuantityChange(
                    variant.inventory_item_id,
                    f"gid://shopify/Location/{LOCATION}",
                    int(data["available"]) + 100,
                    None,
                )
                await client.set_inventory_quantities([change], idempotency_key=event["event_id"])
            naive_s = time.perf_counter() - started
            naive_points = client.engine.spent - before
        naive_mutations = len(running.shop.ledger_entries(kind="inventory.set")) - batched_mutations
    async for key in redis.scan_iter(match=f"{prefix}*", count=1000):
        await redis.delete(key)
    await redis.aclose()
    changes = len(events)
    sys.stdout.write(
        f"Sitoo stock changes to Shopify: {changes} events ({skus} SKUs x {versions} versions)\n"
        f"  writer : {batched_mutations} mutations, {batched_points:.0f} points, "
        f"{batched_points / changes:.2f} points/change, {batched_s:.1f} s\n"
        f"  naive  : {naive_mutations} mutations, {naive_points:.0f} points, "
        f"{naive_points / changes:.2f} points/change, {naive_s:.1f} s\n"
        f"  ratio naive/writer: {naive_points / batched_points:.1f}x\n"
    )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--skus", type=int, default=100)
    parser.add_argument("--versions", type=int, default=3)
    parser.add_argument("--redis", default="redis://127.0.0.1:6379/0")
    arguments = parser.parse_args()
    asyncio.run(main(arguments.skus, arguments.versions, arguments.redis))
