"""Prometheus instruments for Sitoo traffic: requests, limiter waits, in-flight, reconciliations."""

from __future__ import annotations

import re

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

_ID_SEGMENT = re.compile(r"/\d+(?=[/.])")


def endpoint_template(path: str) -> str:
    """``sites/1/orders/42.json`` → ``sites/{id}/orders/{id}.json`` (bounded label values)."""
    return _ID_SEGMENT.sub("/{id}", "/" + path.lstrip("/")).lstrip("/")


class SitooMetrics:
    """The client's instruments, registered in the registry the composition root owns."""

    def __init__(self, registry: CollectorRegistry) -> None:
        self.requests = Counter(
            "sitoo_requests",
            "Sitoo requests by method, endpoint and outcome (status code or error class).",
            ["method", "endpoint", "outcome"],
            registry=registry,
        )
        self.rate_limited = Counter(
            "sitoo_rate_limited",
            "Sitoo answers 429 (too many requests), by the lane of the refused call.",
            ["lane"],
            registry=registry,
        )
        self.limiter_wait = Histogram(
            "sitoo_limiter_wait_seconds",
            "Time spent waiting for a slot of the shared Sitoo budget.",
            ["lane"],
            buckets=(0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30),
            registry=registry,
        )
        self.in_flight = Gauge(
            "sitoo_requests_in_flight",
            "Sitoo requests this process has in flight.",
            registry=registry,
        )
        self.reconciliations = Counter(
            "sitoo_reconciliations",
            "Look-ups of writes whose outcome was unknown, by whether the write was found.",
            ["found"],
            registry=registry,
        )
