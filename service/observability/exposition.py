"""The /metrics endpoint: refreshes the gauges read at scrape time, then renders the registry."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence

from faststream.asgi import AsgiResponse, get
from faststream.asgi.handlers import GetHandler
from faststream.asgi.types import Scope
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest


def metrics_endpoint(
    registry: CollectorRegistry, refreshers: Sequence[Callable[[], Awaitable[None]]]
) -> GetHandler:
    """/metrics in the Prometheus text format.

    Each refresher reads what only an async call can (stream depths, readiness); they run
    together, each bounded by its own timeout.
    """

    @get(include_in_schema=False)
    async def metrics(scope: Scope) -> AsgiResponse:  # noqa: ARG001 - ASGI signature
        await asyncio.gather(*(refresh() for refresh in refreshers))
        return AsgiResponse(
            generate_latest(registry), 200, headers={"content-type": CONTENT_TYPE_LATEST}
        )

    return metrics
