"""Prometheus instruments for Sitoo traffic: requests, limiter waits, in-flight, reconciliations."""

from __future__ import annotations

import re

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

_ID_SEGMENT = re.compile(r"/\d+(?=[/.])")
_CAMEL_BOUNDARY = re.compile(r"(?<!^)(?=[A-Z])")
# Sitoo round trips: tens of milliseconds for a read, seconds for a batch of 1,000 writes.
_REQUEST_BUCKETS = (0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 20, 60)


def endpoint_template(path: str) -> str:
    """``sites/1/orders/42.json`` → ``sites/{id}/orders/{id}.json`` (bounded label values)."""
    return _ID_SEGMENT.sub("/{id}", "/" + path.lstrip("/")).lstrip("/")


def request_outcome(status: int | None, error: type[BaseException] | None = None) -> str:
    """How a request ended, as a state: the ``outcome`` label beside ``status_code``.

    ``succeeded`` (2xx, 3xx), ``unauthorized`` (401, 403: the API user was refused),
    ``rate_limited`` (429), ``client_error`` (another 4xx), ``server_error`` (5xx); without
    an answer, the transport error's kind in snake case (``connect_failed``,
    ``response_lost``, ``read_interrupted``) or ``cancelled``.
    """
    if status is None:
        if error is None:
            return "cancelled"
        return _CAMEL_BOUNDARY.sub("_", error.__name__).lower()
    if status < 400:  # noqa: PLR2004 - HTTP status classes
        return "succeeded"
    if status in {401, 403}:
        return "unauthorized"
    if status == 429:  # noqa: PLR2004
        return "rate_limited"
    return "client_error" if status < 500 else "server_error"  # noqa: PLR2004


class SitooMetrics:
    """The client's instruments, registered in the registry the composition root owns."""

    def __init__(self, registry: CollectorRegistry) -> None:
        self.requests = Counter(
            "sitoo_sync_sitoo_requests",
            "Sitoo requests by method, endpoint, outcome (a state) and HTTP status code "
            "(empty when no answer came).",
            ["method", "endpoint", "outcome", "status_code"],
            registry=registry,
        )
        self.request_seconds = Histogram(
            "sitoo_sync_sitoo_request_duration_seconds",
            "Time from sending a Sitoo request to its answer or failure (limiter wait excluded).",
            ["method", "endpoint"],
            buckets=_REQUEST_BUCKETS,
            registry=registry,
        )
        self.rate_limited = Counter(
            "sitoo_sync_sitoo_rate_limited",
            "Sitoo answers 429 (too many requests), by the lane of the refused call.",
            ["lane"],
            registry=registry,
        )
        self.limiter_wait = Histogram(
            "sitoo_sync_sitoo_limiter_wait_seconds",
            "Time spent waiting for a slot of the shared Sitoo budget.",
            ["lane"],
            buckets=(0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30),
            registry=registry,
        )
        self.in_flight = Gauge(
            "sitoo_sync_sitoo_requests_in_flight",
            "Sitoo requests this process has in flight.",
            registry=registry,
        )
        self.reconciliations = Counter(
            "sitoo_sync_sitoo_reconciliations",
            "Look-ups of writes whose outcome was unknown: outcome found (the write had been "
            "applied) or not_found.",
            ["outcome"],
            registry=registry,
        )
        self.claims_unacknowledged = Counter(
            "sitoo_sync_claims_unacknowledged",
            "Write claims too few replicas acknowledged in time (REDIS__CLAIM_REPLICAS): "
            "their writes were not sent and wait for a retry.",
            registry=registry,
        )

    def answered(
        self, method: str, path: str, status: int | None, error: type[BaseException] | None
    ) -> None:
        """Count one request by how it ended."""
        self.requests.labels(
            method,
            endpoint_template(path),
            request_outcome(status, error),
            "" if status is None else str(status),
        ).inc()

    def reconciled(self, *, found: bool) -> None:
        """A write whose outcome was unknown was looked up."""
        self.reconciliations.labels("found" if found else "not_found").inc()
