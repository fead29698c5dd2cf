"""The replica's Prometheus registry: consumer, Sitoo, poller and credential metrics."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import TYPE_CHECKING

from prometheus_client import CollectorRegistry, Counter, Histogram
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from service.contracts.registry import EVENT_KINDS
from service.contracts.results import UNKNOWN_TYPE
from service.observability.credentials import CredentialCollector, CredentialHealth
from service.pollers.runner import Heartbeats
from service.sitoo.metrics import SitooMetrics

if TYPE_CHECKING:
    from service.consumers.delivery import Settlement

# Handler time is dominated by Sitoo round trips (tens of ms to seconds) plus retries.
_HANDLER_BUCKETS = (0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120)


def type_label(event_type: str | None) -> str:
    """The event type as a label value: a known type or "unknown", so producers add no series."""
    return event_type if event_type in EVENT_KINDS else UNKNOWN_TYPE


class ConsumerMetrics:
    """Counts deliveries and how each ended, per stream and type; times each handler call.

    This is the :class:`~service.consumers.delivery.DeliveryObserver` the consumers call.
    """

    def __init__(self, registry: CollectorRegistry) -> None:
        self.consumed_total = Counter(
            "sitoo_sync_events_consumed",
            "Deliveries of inbound entries to this replica (redeliveries included).",
            ["stream", "type"],
            registry=registry,
        )
        self.settled_total = Counter(
            "sitoo_sync_events_settled",
            "How deliveries ended: succeeded, declined, retried (left pending) or dead_lettered.",
            ["stream", "type", "outcome"],
            registry=registry,
        )
        self.handler_seconds = Histogram(
            "sitoo_sync_handler_duration_seconds",
            "Time to settle one delivery (a whole batch on batched streams such as stock).",
            ["stream"],
            buckets=_HANDLER_BUCKETS,
            registry=registry,
        )

    def consumed(self, stream: str, event_type: str | None) -> None:
        """An entry was delivered (again) to this replica."""
        self.consumed_total.labels(stream, type_label(event_type)).inc()

    def settled(self, stream: str, event_type: str | None, settlement: Settlement) -> None:
        """A delivery ended: succeeded, declined, retried or dead-lettered."""
        self.settled_total.labels(stream, type_label(event_type), settlement).inc()

    def handled(self, stream: str, seconds: float) -> None:
        """One handler call took ``seconds``."""
        self.handler_seconds.labels(stream).observe(seconds)


class PollerCollector(Collector):
    """Reads the pollers' heartbeats at scrape time: leadership, last success, lag, cycles."""

    def __init__(self, heartbeats: Heartbeats) -> None:
        self._heartbeats = heartbeats

    def collect(self) -> Iterator[Metric]:
        """One sample per poller this replica has run."""
        labels = ["poller"]
        leading = GaugeMetricFamily(
            "sitoo_sync_poller_leading",
            "1 while this replica holds the poller's lease.",
            labels=labels,
        )
        last_success = GaugeMetricFamily(
            "sitoo_sync_poller_last_success_timestamp_seconds",
            "Unix time of the poller's last successful cycle in this replica.",
            labels=labels,
        )
        lag = GaugeMetricFamily(
            "sitoo_sync_poller_lag_seconds",
            "Seconds since the leading poller's last successful cycle (since it took the lease "
            "when none succeeded yet); only reported by the leader.",
            labels=labels,
        )
        cycles = CounterMetricFamily(
            "sitoo_sync_poller_cycles", "Successful poll cycles in this replica.", labels=labels
        )
        failures = CounterMetricFamily(
            "sitoo_sync_poller_failures", "Failed poll cycles in this replica.", labels=labels
        )
        now_mono, now_wall = time.monotonic(), time.time()
        for name, status in sorted(self._heartbeats.statuses.items()):
            leading.add_metric([name], 1.0 if status.leading else 0.0)
            cycles.add_metric([name], float(status.cycles))
            failures.add_metric([name], float(status.failures))
            if status.last_success_at is not None:
                last_success.add_metric([name], now_wall - (now_mono - status.last_success_at))
            reference = status.last_success_at or status.leading_since
            if status.leading and reference is not None:
                lag.add_metric([name], now_mono - reference)
        yield from (leading, last_success, lag, cycles, failures)


class ServiceMetrics:
    """Every instrument of one replica, in one registry owned by the composition root.

    No global default registry: several apps in one test process do not collide.
    """

    def __init__(self, *, heartbeats: Heartbeats, credentials: CredentialHealth) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        self.consumers = ConsumerMetrics(self.registry)
        self.sitoo = SitooMetrics(self.registry)
        self.registry.register(PollerCollector(heartbeats))
        self.registry.register(CredentialCollector(credentials))
