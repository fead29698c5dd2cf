"""The replica's Prometheus registry: consumer, Sitoo, poller, web-hook and runtime metrics."""

from __future__ import annotations

import platform
import time
from collections.abc import Iterator, Mapping
from importlib.metadata import version
from typing import TYPE_CHECKING

from prometheus_client import (
    CollectorRegistry,
    Counter,
    Gauge,
    GCCollector,
    Histogram,
    Info,
    PlatformCollector,
    ProcessCollector,
)
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from service import __version__
from service.contracts.registry import known_type
from service.observability.credentials import CredentialCollector, CredentialHealth
from service.observability.webhook import WebhookMetrics
from service.pollers.runner import Heartbeats
from service.sitoo.metrics import SitooMetrics

if TYPE_CHECKING:
    from service.health import Verdict
    from service.inbox.delivery import Settlement

# Handler time is dominated by Sitoo round trips (tens of ms to seconds) plus retries.
_HANDLER_BUCKETS = (0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120)


def type_label(event_type: str | None) -> str:
    """The event type as a label value: a known type or "unknown", so producers add no series."""
    return known_type(event_type)


class ConsumerMetrics:
    """Counts deliveries and how each ended, per stream and type; times each handler call.

    This is the :class:`~service.inbox.delivery.DeliveryObserver` the consumers call.
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

        self.consumers_removed = Counter(
            "sitoo_sync_group_consumers_removed",
            "Consumers of gone replicas removed from the consumer group (idle, nothing pending).",
            ["stream"],
            registry=registry,
        )

    def removed_consumers(self, stream: str, count: int) -> None:
        """``count`` idle consumers were removed from the group of ``stream``."""
        self.consumers_removed.labels(stream).inc(count)

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

    def __init__(self, heartbeats: Heartbeats, intervals: Mapping[str, float]) -> None:
        self._heartbeats = heartbeats
        self._intervals = dict(intervals)

    def collect(self) -> Iterator[Metric]:
        """One sample per poller this replica has run (the interval for every configured one)."""
        labels = ["poller"]
        leading = GaugeMetricFamily(
            "sitoo_sync_poller_leading",
            "1 while this replica holds the poller's lease.",
            labels=labels,
        )
        interval = GaugeMetricFamily(
            "sitoo_sync_poller_interval_seconds",
            "The poller's configured period; /readyz calls a leader stale after three of them.",
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
            "sitoo_sync_poller_cycles",
            "Poll cycles in this replica by outcome: succeeded or failed.",
            labels=[*labels, "outcome"],
        )
        for name, seconds in sorted(self._intervals.items()):
            interval.add_metric([name], seconds)
        now_mono, now_wall = time.monotonic(), time.time()
        for name, status in sorted(self._heartbeats.statuses.items()):
            leading.add_metric([name], 1.0 if status.leading else 0.0)
            cycles.add_metric([name, "succeeded"], float(status.cycles))
            cycles.add_metric([name, "failed"], float(status.failures))
            if status.last_success_at is not None:
                last_success.add_metric([name], now_wall - (now_mono - status.last_success_at))
            reference = status.last_success_at or status.leading_since
            if status.leading and reference is not None:
                lag.add_metric([name], now_mono - reference)
        yield from (leading, interval, last_success, lag, cycles)


class ReadinessMetrics:
    """/readyz's verdict as gauges, refreshed at each scrape, so alerts need no probe access."""

    def __init__(self, registry: CollectorRegistry) -> None:
        self.ready = Gauge(
            "sitoo_sync_ready",
            "1 while every readiness check passes (what /readyz answers with 200).",
            registry=registry,
        )
        self.checks = Gauge(
            "sitoo_sync_readiness_check",
            "1 while the named readiness check (redis, subscribers) passes.",
            ["check"],
            registry=registry,
        )

    def record(self, verdict: Verdict) -> None:
        """Export one verdict."""
        self.ready.set(1 if verdict.ready else 0)
        for name, passed in verdict.checks.items():
            self.checks.labels(name).set(1 if passed else 0)


class WooCommerceMetrics:
    """The WooCommerce adapter: the disabled-web-hook alert and the writes it made."""

    def __init__(self, registry: CollectorRegistry) -> None:
        self.webhooks_disabled = Gauge(
            "sitoo_sync_woocommerce_webhooks_disabled",
            "WooCommerce web hooks the store disabled after failed deliveries, as the "
            "reconciliation poller last saw (alert when above 0: re-enable them).",
            registry=registry,
        )
        self.writes = Counter(
            "sitoo_sync_woocommerce_writes",
            "Changes written to WooCommerce, by kind (stock, pickup_ready, pickup_picked-up) "
            "and outcome (set, not_managed, parent_manages, unknown_sku, rejected, done).",
            ["kind", "outcome"],
            registry=registry,
        )


def _build_labels() -> dict[str, str]:
    return {
        "version": __version__,
        "python": platform.python_version(),
        "faststream": version("faststream"),
    }


class ServiceMetrics:
    """Every instrument of one replica, in one registry owned by the composition root.

    No global default registry: several apps in one test process do not collide. Process
    and Python runtime metrics (``process_*``, ``python_*``) keep their standard names.
    """

    def __init__(
        self,
        *,
        heartbeats: Heartbeats,
        credentials: CredentialHealth,
        poller_intervals: Mapping[str, float] | None = None,
    ) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        self.consumers = ConsumerMetrics(self.registry)
        self.sitoo = SitooMetrics(self.registry)
        self.webhook = WebhookMetrics(self.registry)
        self.readiness = ReadinessMetrics(self.registry)
        self.woocommerce = WooCommerceMetrics(self.registry)
        self.http_refused = Counter(
            "sitoo_sync_http_requests_refused",
            "Requests cut off by the HTTP limits, by listener (main, ops) and reason "
            "(header_too_large, header_timeout, body_timeout, too_many_connections).",
            ["listener", "reason"],
            registry=self.registry,
        )
        self.registry.register(PollerCollector(heartbeats, poller_intervals or {}))
        self.registry.register(CredentialCollector(credentials))
        Info("sitoo_sync_build", "The running version of sitoo-sync.", registry=self.registry).info(
            _build_labels()
        )
        ProcessCollector(registry=self.registry)
        PlatformCollector(registry=self.registry)
        GCCollector(registry=self.registry)

    def refused(self, listener: str, reason: str) -> None:
        """An HTTP listener cut a request off (see :mod:`service.http_guard`)."""
        self.http_refused.labels(listener, reason).inc()
