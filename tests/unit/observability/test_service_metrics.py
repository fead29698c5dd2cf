"""Consumer and poller metrics: bounded label values, one registry per app, heartbeat readings."""

from __future__ import annotations

import time

from service.observability.credentials import CredentialHealth
from service.observability.metrics import ServiceMetrics, type_label
from service.pollers.runner import Heartbeats


def _metrics(heartbeats: Heartbeats | None = None) -> ServiceMetrics:
    return ServiceMetrics(heartbeats=heartbeats or Heartbeats(), credentials=CredentialHealth([]))


def test_event_types_outside_the_contract_share_one_label_value() -> None:
    """A producer's made-up type cannot add series: it is counted as "unknown"."""
    assert type_label("order.placed") == "order.placed"
    assert type_label("order.placed-but-typo") == "unknown"
    assert type_label(None) == "unknown"


def test_deliveries_are_counted_by_stream_type_and_outcome() -> None:
    """consumed, settled{outcome} and the handler histogram move with each call."""
    metrics = _metrics()
    observer = metrics.consumers
    observer.consumed("webshop.orders", "order.placed")
    observer.consumed("webshop.orders", "order.placed")
    observer.settled("webshop.orders", "order.placed", "retried")
    observer.settled("webshop.orders", "order.placed", "succeeded")
    observer.settled("webshop.orders", "nonsense", "dead_lettered")
    observer.handled("webshop.orders", 0.2)
    sample = metrics.registry.get_sample_value
    placed = {"stream": "webshop.orders", "type": "order.placed"}
    assert sample("sitoo_sync_events_consumed_total", placed) == 2
    assert sample("sitoo_sync_events_settled_total", {**placed, "outcome": "retried"}) == 1
    assert sample("sitoo_sync_events_settled_total", {**placed, "outcome": "succeeded"}) == 1
    unknown = {"stream": "webshop.orders", "type": "unknown", "outcome": "dead_lettered"}
    assert sample("sitoo_sync_events_settled_total", unknown) == 1
    stream = {"stream": "webshop.orders"}
    assert sample("sitoo_sync_handler_duration_seconds_count", stream) == 1
    assert sample("sitoo_sync_handler_duration_seconds_bucket", {**stream, "le": "0.1"}) == 0
    assert sample("sitoo_sync_handler_duration_seconds_bucket", {**stream, "le": "0.25"}) == 1


def test_two_apps_in_one_process_keep_separate_registries() -> None:
    """Building the metrics twice neither collides nor shares counts."""
    first, second = _metrics(), _metrics()
    first.consumers.consumed("s", "order.placed")
    labels = {"stream": "s", "type": "order.placed"}
    assert first.registry.get_sample_value("sitoo_sync_events_consumed_total", labels) == 1
    assert second.registry.get_sample_value("sitoo_sync_events_consumed_total", labels) is None


def test_poller_gauges_follow_the_heartbeats() -> None:
    """Leader, cycles, failures, last success (Unix time) and lag since the last good cycle."""
    heartbeats = Heartbeats()
    metrics = _metrics(heartbeats)
    now = time.monotonic()
    leading = heartbeats.of("stock")
    leading.leading, leading.cycles, leading.failures = True, 7, 2
    leading.last_success_at = now - 12.0
    heartbeats.of("orders")  # known but not leading here, never succeeded
    sample = metrics.registry.get_sample_value
    assert sample("sitoo_sync_poller_leading", {"poller": "stock"}) == 1
    assert sample("sitoo_sync_poller_leading", {"poller": "orders"}) == 0
    succeeded = {"poller": "stock", "outcome": "succeeded"}
    assert sample("sitoo_sync_poller_cycles_total", succeeded) == 7
    assert sample("sitoo_sync_poller_cycles_total", {**succeeded, "outcome": "failed"}) == 2
    lag = sample("sitoo_sync_poller_lag_seconds", {"poller": "stock"})
    assert lag is not None
    assert 12.0 <= lag < 60.0
    last = sample("sitoo_sync_poller_last_success_timestamp_seconds", {"poller": "stock"})
    assert last is not None
    assert abs((time.time() - last) - lag) < 5.0
    assert sample("sitoo_sync_poller_lag_seconds", {"poller": "orders"}) is None
    assert sample("sitoo_sync_poller_last_success_timestamp_seconds", {"poller": "orders"}) is None
