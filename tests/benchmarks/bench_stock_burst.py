"""Stock burst: 10,000 deltas over 1,000 SKUs and 2 warehouses, 20 ms Sitoo, one request in flight.

Run: ``.venv/bin/python -m tests.benchmarks.bench_stock_burst [--events 10000] [--naive 300]``
(``--cluster``: on a local three-master Redis Cluster instead of one Redis)

The service (one replica process) coalesces deltas into one warehouse-transaction request
per 1000 events of a batch, whatever their warehouses. The baseline is the naive
one-call-per-event mode, which the service has no switch for: this script calls the Sitoo
client directly, one request per event, on a sample of events, and extrapolates its rate.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import sys
import time
from decimal import Decimal

from pydantic import SecretStr

from service.app import build_sitoo_client
from service.settings import RedisSettings, Settings, SitooSettings
from service.sitoo import build_http_client
from service.sitoo.models import NewWarehouseTransaction, NewWarehouseTransactionItem
from tests.chaos.stack import envelope, running_stack, sandbox_requests, wait_results, xadd_all

SKUS = 1000
WAREHOUSES = (1, 2)
LATENCY_MS = 20.0


def _events(count: int, rng: random.Random) -> list[tuple[str, int, str, int]]:
    return [
        (
            f"burst-{n}",
            rng.choice(WAREHOUSES),
            f"BURST-{rng.randint(101, 100 + SKUS):06d}",
            rng.randint(1, 3),
        )
        for n in range(count)
    ]


async def main(
    events: int, naive: int, batch: int | None, claim_replicas: int = 0, cluster: bool = False
) -> None:
    """Measure the service, then the naive baseline, against the same sandbox settings."""
    rng = random.Random(1)
    planned = _events(events, rng)
    env = {} if batch is None else {"SITOO_SYNC_CONSUMERS__STOCK_BATCH_SIZE": str(batch)}
    async with running_stack(
        latency_ms=LATENCY_MS, extra_env=env, claim_replicas=claim_replicas, cluster=cluster
    ) as stack:
        await stack.admin.add_products(
            SKUS, prefix="BURST", warehouseids=list(WAREHOUSES), quantity="1000"
        )
        await stack.admin.clear_requests()
        bodies = [
            envelope(
                eid,
                "stock.adjusted",
                {"warehouse_id": wh, "items": [{"sku": sku, "delta": str(d)}]},
            )
            for eid, wh, sku, d in planned
        ]
        started = time.monotonic()
        await xadd_all(stack.redis, stack.stream("webshop.stock"), bodies)
        done = await wait_results(stack.redis, events, stream=stack.results)
        service_s = done - started
        requests, too_many = await sandbox_requests(stack.admin)

        # Baseline: one Sitoo call per event through the same client, same sandbox.
        settings = Settings(
            sitoo=SitooSettings(
                base_url=stack.sandbox.base_url,
                api_id=stack.sandbox.api_id,
                api_password=SecretStr(stack.sandbox.api_password),
            ),
            redis=RedisSettings(
                url=SecretStr(stack.redis_server.url), key_prefix="naive", cluster=cluster
            ),
        )
        await stack.admin.clear_requests()
        async with build_http_client(settings.sitoo) as http:
            client = build_sitoo_client(settings, stack.redis, http)
            naive_started = time.monotonic()
            for eid, wh, sku, delta in planned[:naive]:
                transaction = NewWarehouseTransaction(
                    warehouseid=wh,
                    transactiontype=10,
                    externalid=f"naive-{eid}",
                    items=[NewWarehouseTransactionItem(sku=sku, decimalquantity=Decimal(delta))],
                )
                await client.add_warehouse_transactions([transaction], op_key=f"naive-{eid}")
            naive_s = time.monotonic() - naive_started
        naive_requests, _ = await sandbox_requests(stack.admin)
    service_rate = events / service_s
    naive_rate = naive / naive_s
    sys.stdout.write(
        f"stock burst: {events} deltas, {SKUS} SKUs x {len(WAREHOUSES)} warehouses, "
        f"sandbox latency {LATENCY_MS:.0f} ms, 1 request in flight, "
        f"stock batch size {batch or 'default'}, CLAIM_REPLICAS {claim_replicas}"
        f"{', on a three-master Redis Cluster' if cluster else ''}\n"
        f"  service (1 replica): {service_s:.2f} s, {service_rate:,.0f} events/s, "
        f"{requests} Sitoo requests = {100 * requests / events:.2f} per 100 events, "
        f"429s: {too_many}\n"
        f"  naive one call per event ({naive} events): {naive_rate:,.1f} events/s, "
        f"{100 * naive_requests / naive:.1f} requests per 100 events\n"
        f"  ratio: {service_rate / naive_rate:,.0f}x the events/s, "
        f"{naive_requests / naive / max(requests / events, 1e-9):,.0f}x fewer requests per event\n"
        f"  aims: >= 5,000 events/s ({'met' if service_rate >= 5000 else 'MISSED'}), "
        f"<= 1 request per 100 events ({'met' if 100 * requests / events <= 1 else 'MISSED'})\n"
    )


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--events", type=int, default=10_000)
    parser.add_argument("--naive", type=int, default=300)
    parser.add_argument("--batch", type=int, help="SITOO_SYNC_CONSUMERS__STOCK_BATCH_SIZE")
    parser.add_argument(
        "--claim-replicas", type=int, default=0, help="Redis replicas each claim waits for"
    )
    parser.add_argument(
        "--cluster", action="store_true", help="run on a local three-master Redis Cluster"
    )
    arguments = parser.parse_args()
    asyncio.run(
        main(
            arguments.events,
            arguments.naive,
            arguments.batch,
            arguments.claim_replicas,
            arguments.cluster,
        )
    )
