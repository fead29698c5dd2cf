"""Counts and times the web hook's answers, by wrapping its ASGI app (the handler stays as is)."""

from __future__ import annotations

import time

from prometheus_client import CollectorRegistry, Counter, Histogram
from starlette.types import ASGIApp, Message, Receive, Scope, Send

# Sitoo re-queues a batch not answered within 15 s; the endpoint answers within 10 s.
_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 15)


def webhook_outcome(status: int) -> str:
    """The ``outcome`` state of an answer beside its ``status_code``.

    ``accepted`` (2xx: stored, or kept as a dead letter), ``unauthorized`` (401),
    ``unavailable`` (503: Redis could not take it; Sitoo retries), ``rejected`` (another
    4xx, e.g. a wrong method), ``failed`` (any other 5xx: a bug, Sitoo holds back later
    web hooks while it retries).
    """
    if 200 <= status < 300:  # noqa: PLR2004 - HTTP status classes
        return "accepted"
    if status == 401:  # noqa: PLR2004
        return "unauthorized"
    if status == 503:  # noqa: PLR2004
        return "unavailable"
    return "rejected" if status < 500 else "failed"  # noqa: PLR2004


class WebhookMetrics:
    """``sitoo_sync_webhook_requests_total`` and the answer time of the web-hook endpoint."""

    def __init__(self, registry: CollectorRegistry) -> None:
        self.requests = Counter(
            "sitoo_sync_webhook_requests",
            "Requests to the Sitoo web-hook endpoint by outcome (a state) and HTTP status code.",
            ["outcome", "status_code"],
            registry=registry,
        )
        self.seconds = Histogram(
            "sitoo_sync_webhook_request_duration_seconds",
            "Time to answer a web-hook request.",
            buckets=_BUCKETS,
            registry=registry,
        )

    def answered(self, status: int, seconds: float) -> None:
        """Count one answer."""
        self.requests.labels(webhook_outcome(status), str(status)).inc()
        self.seconds.observe(seconds)

    def observe(self, app: ASGIApp) -> ASGIApp:
        """``app`` with every answer counted; an exception before the answer counts as a 500."""

        async def observed(scope: Scope, receive: Receive, send: Send) -> None:
            if scope["type"] != "http":
                await app(scope, receive, send)
                return
            started = time.perf_counter()
            status = 500

            async def sending(message: Message) -> None:
                nonlocal status
                if message["type"] == "http.response.start":
                    status = int(message["status"])
                await send(message)

            try:
                await app(scope, receive, sending)
            except Exception:
                self.answered(status, time.perf_counter() - started)
                raise
            # A request cancelled by its client's disconnect got no answer and is not counted.
            self.answered(status, time.perf_counter() - started)

        return observed
