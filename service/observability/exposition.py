"""The /metrics endpoint: refreshes the Redis-backed gauges, then renders the registry."""

from __future__ import annotations

from faststream.asgi import AsgiResponse, get
from faststream.asgi.handlers import GetHandler
from faststream.asgi.types import Scope
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest

from service.observability.depth import StreamDepth


def metrics_endpoint(registry: CollectorRegistry, depth: StreamDepth) -> GetHandler:
    """/metrics in the Prometheus text format."""

    @get(include_in_schema=False)
    async def metrics(scope: Scope) -> AsgiResponse:  # noqa: ARG001 - ASGI signature
        await depth.refresh()
        return AsgiResponse(
            generate_latest(registry), 200, headers={"content-type": CONTENT_TYPE_LATEST}
        )

    return metrics
