"""With tracing on, one trace spans the consumed entry, its Sitoo call and its result publish."""

from __future__ import annotations

import redis.asyncio as aioredis
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind

from service.sandbox import RunningSandbox
from service.settings import Settings
from service.tracing import build_tracer_provider
from tests.integration.observability.conftest import (
    order_fields,
    results_of,
    running_service,
    service_settings,
)


async def test_consume_sitoo_call_and_publish_share_one_trace(
    sandbox: RunningSandbox, redis_url: str, redis: aioredis.Redis, unique: str
) -> None:
    """The Sitoo POST and the result XADD are descendants of the consume span."""
    settings = service_settings(sandbox, redis_url, unique)
    exporter = InMemorySpanExporter()
    async with running_service(settings, span_exporter=exporter):
        await redis.xadd(settings.streams.orders, order_fields("W-TRACED"))
        await results_of(redis, settings.streams.results, count=1)
    spans = exporter.get_finished_spans()
    by_id = {span.context.span_id: span for span in spans}

    def ancestors(span_id: int) -> list[int]:
        chain = []
        parent = by_id[span_id].parent
        while parent is not None and parent.span_id in by_id:
            chain.append(parent.span_id)
            parent = by_id[parent.span_id].parent
        return chain

    consume = [
        s for s in spans if s.kind is SpanKind.CONSUMER and settings.streams.orders in s.name
    ]
    assert consume, [s.name for s in spans]
    root = consume[0]
    sitoo_posts = [
        s
        for s in spans
        if s.kind is SpanKind.CLIENT
        and s.attributes is not None
        and s.attributes.get("http.request.method", s.attributes.get("http.method")) == "POST"
    ]
    traced_posts = [s for s in sitoo_posts if root.context.span_id in ancestors(s.context.span_id)]
    assert traced_posts, [s.name for s in spans]
    post_end = min(s.end_time or 0 for s in traced_posts)
    # The result is written by a script (append + emit-once marker), after the Sitoo call.
    publishes = [
        s
        for s in spans
        if s.name in {"XADD", "EVALSHA", "EVAL"} and (s.start_time or 0) >= post_end
    ]
    assert any(root.context.span_id in ancestors(s.context.span_id) for s in publishes)
    assert {s.resource.attributes["service.name"] for s in spans} == {"sitoo-sync"}


def test_tracing_is_off_by_default() -> None:
    """No provider, and so no exporter and no instrumentation, unless enabled."""
    assert build_tracer_provider(Settings().tracing) is None
