"""/metrics after a scripted run: good orders, a bad entry, 429s from Sitoo, leading pollers."""

from __future__ import annotations

import asyncio
from collections import defaultdict

import httpx
import redis.asyncio as aioredis
from prometheus_client.parser import text_string_to_metric_families

from service import __version__
from service.sandbox import RunningSandbox
from service.sandbox.config import FaultConfig
from service.settings import ConsumerSettings, PollerSettings, Settings
from tests.integration.observability.conftest import (
    API_ID,
    order_fields,
    results_of,
    running_service,
    service_settings,
    wait_for_status,
)

Samples = dict[str, list[tuple[dict[str, str], float]]]
ORDERS_ENDPOINT = "sites/{id}/orders.json"


async def scrape(http: httpx.AsyncClient) -> Samples:
    """Every sample of /metrics by sample name."""
    answer = await http.get("/metrics")
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("text/plain")
    samples: Samples = defaultdict(list)
    for family in text_string_to_metric_families(answer.text):
        for sample in family.samples:
            samples[sample.name].append((sample.labels, sample.value))
    return samples


def matching(samples: Samples, name: str, **labels: str) -> list[float]:
    """The values of the samples of ``name`` whose labels include ``labels``."""
    return [v for found, v in samples.get(name, []) if labels.items() <= found.items()]


def value(samples: Samples, name: str, **labels: str) -> float:
    """The sum of those samples; there must be at least one."""
    found = matching(samples, name, **labels)
    assert found, f"no sample {name}{labels}; have {samples.get(name)}"
    return sum(found)


async def settled_scrape(http: httpx.AsyncClient, orders: str) -> Samples:
    """A scrape with no Sitoo request in flight and every order's handler time observed.

    A poller's request may be in flight at any moment, and a handler's duration is observed
    just after its result is written: scrape until both have settled.
    """
    async with asyncio.timeout(20):
        while True:
            samples = await scrape(http)
            handled = value(samples, "sitoo_sync_handler_duration_seconds_count", stream=orders)
            if value(samples, "sitoo_sync_sitoo_requests_in_flight") == 0 and handled >= 5:
                return samples
            await asyncio.sleep(0.02)


async def test_metrics_after_a_scripted_run_have_the_right_names_and_labels(
    sandbox: RunningSandbox, redis_url: str, redis: aioredis.Redis, unique: str
) -> None:
    """Consumed/settled by stream, type and outcome; Sitoo requests and 429s; pollers; depths."""
    pollers = PollerSettings(
        enabled=True,
        stock_interval_s=0.5,
        orders_interval_s=0.5,
        giftcards_interval_s=0.5,
        lease_ttl_s=3.0,
    )
    settings = service_settings(sandbox, redis_url, unique, pollers=pollers)
    orders = settings.streams.orders
    async with running_service(settings) as (_, http):
        await wait_for_status(http, "/readyz", 200)

        # Sitoo throttles the first order: every try gets a 429, so it is left for a retry.
        sandbox.sandbox.set_faults(FaultConfig(extra_429_rate=1.0, path_contains="orders"))
        await redis.xadd(orders, order_fields("W-THROTTLED"))
        async with asyncio.timeout(20):
            while not matching(await scrape(http), "sitoo_sync_events_settled_total"):
                await asyncio.sleep(0.05)
        sandbox.sandbox.clear_faults()
        for order_id in ("W-1", "W-2"):
            await redis.xadd(orders, order_fields(order_id))
        await redis.xadd(orders, {"event": b"{not json"})
        results = await results_of(redis, settings.streams.results, count=4)
        assert sorted(r["data"]["status"] for r in results) == [
            "failed",
            "succeeded",
            "succeeded",
            "succeeded",
        ]
        last_success = "sitoo_sync_poller_last_success_timestamp_seconds"
        async with asyncio.timeout(20):  # every poller has led and finished a cycle
            while len(matching(await scrape(http), last_success)) < 3:
                await asyncio.sleep(0.05)
        samples = await settled_scrape(http, orders)

    placed = {"stream": orders, "type": "order.placed"}
    assert value(samples, "sitoo_sync_events_consumed_total", **placed) >= 4  # one redelivery
    assert value(samples, "sitoo_sync_events_consumed_total", stream=orders, type="unknown") == 1
    settled = "sitoo_sync_events_settled_total"
    assert value(samples, settled, **placed, outcome="succeeded") == 3
    assert value(samples, settled, **placed, outcome="retried") >= 1
    assert value(samples, settled, stream=orders, type="unknown", outcome="dead_lettered") == 1
    assert value(samples, "sitoo_sync_handler_duration_seconds_count", stream=orders) >= 5
    histogram = "sitoo_sync_handler_duration_seconds"
    assert value(samples, f"{histogram}_bucket", stream=orders, le="+Inf") >= 5

    requests = "sitoo_sync_sitoo_requests_total"
    posts = {"method": "POST", "endpoint": ORDERS_ENDPOINT}
    assert value(samples, requests, **posts, outcome="succeeded", status_code="200") == 3
    assert value(samples, requests, **posts, outcome="rate_limited", status_code="429") >= 1
    duration = "sitoo_sync_sitoo_request_duration_seconds_count"
    assert value(samples, duration, **posts) == value(samples, requests, **posts)
    assert value(samples, "sitoo_sync_sitoo_rate_limited_total", lane="bulk") >= 1
    assert value(samples, "sitoo_sync_sitoo_limiter_wait_seconds_count", lane="bulk") >= 4
    # The pollers keep polling during the scrape: at most the one request the limiter allows.
    assert 0 <= value(samples, "sitoo_sync_sitoo_requests_in_flight") <= 1
    assert value(samples, "sitoo_sync_sitoo_credential_refused", api_id=API_ID) == 0

    for poller in ("stock", "orders", "giftcards"):
        assert value(samples, "sitoo_sync_poller_leading", poller=poller) == 1
        cycles = "sitoo_sync_poller_cycles_total"
        assert value(samples, cycles, poller=poller, outcome="succeeded") >= 1
        assert value(samples, "sitoo_sync_poller_interval_seconds", poller=poller) == 0.5
        assert value(samples, "sitoo_sync_poller_lag_seconds", poller=poller) >= 0
        assert value(samples, "sitoo_sync_poller_last_success_timestamp_seconds", poller=poller) > 0

    _assert_stream_gauges(samples, settings)
    _assert_replica_gauges(samples)


def _assert_stream_gauges(samples: Samples, settings: Settings) -> None:
    """Lengths, pending, lag and dead letters of the streams, read from Redis at scrape time."""
    orders = settings.streams.orders
    assert value(samples, "sitoo_sync_stream_entries", stream=orders) == 4
    assert value(samples, "sitoo_sync_stream_pending_entries", stream=orders) == 0
    assert value(samples, "sitoo_sync_stream_unread_entries", stream=orders) == 0
    assert value(samples, "sitoo_sync_stream_oldest_pending_age_seconds", stream=orders) == 0
    assert value(samples, "sitoo_sync_dead_letter_entries", stream=orders) == 1
    assert value(samples, "sitoo_sync_dead_letter_entries", stream=settings.streams.stock) == 0
    webhooks = settings.streams.sitoo_webhooks
    assert value(samples, "sitoo_sync_dead_letter_entries", stream=webhooks) == 0
    assert value(samples, "sitoo_sync_stream_entries", stream=settings.streams.results) == 4
    assert value(samples, "sitoo_sync_stream_depth_up") == 1
    assert value(samples, "faststream_received_messages_total") >= 5


def _assert_replica_gauges(samples: Samples) -> None:
    """Readiness, build info, runtime metrics; no outcome label holds an HTTP code."""
    assert value(samples, "sitoo_sync_ready") == 1
    for check in ("redis", "subscribers"):
        assert value(samples, "sitoo_sync_readiness_check", check=check) == 1
    assert value(samples, "sitoo_sync_build_info", version=__version__) == 1
    assert value(samples, "process_resident_memory_bytes") > 0
    assert value(samples, "python_info") == 1
    outcomes = {
        labels["outcome"]
        for series in samples.values()
        for labels, _ in series
        if "outcome" in labels
    }
    assert outcomes
    assert not [outcome for outcome in outcomes if outcome.isdigit()]


async def test_unread_entries_show_the_backlog_of_a_stream_nobody_reads(
    sandbox: RunningSandbox, redis_url: str, redis: aioredis.Redis, unique: str
) -> None:
    """A replica that reads only orders: the stock stream's entries stay unread, and say so."""
    settings = service_settings(
        sandbox, redis_url, unique, consumers=ConsumerSettings(channels=["orders"])
    )
    async with running_service(settings) as (_, http):
        await wait_for_status(http, "/readyz", 200)
        for _ in range(3):
            await redis.xadd(settings.streams.stock, {"event": b"{}"})
        samples = await scrape(http)
    stock, orders = settings.streams.stock, settings.streams.orders
    assert value(samples, "sitoo_sync_stream_unread_entries", stream=stock) == 3
    assert value(samples, "sitoo_sync_stream_pending_entries", stream=stock) == 0
    assert value(samples, "sitoo_sync_stream_unread_entries", stream=orders) == 0
