"""OpenTelemetry tracing: one provider per process, spans from consume through Sitoo to publish."""

from __future__ import annotations

from typing import TYPE_CHECKING

from faststream.redis.opentelemetry import RedisTelemetryMiddleware
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.instrumentation.httpx import HTTPXClientInstrumentor
from opentelemetry.instrumentation.redis import RedisInstrumentor
from opentelemetry.sdk.resources import SERVICE_NAME, SERVICE_VERSION, Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, SpanExporter
from opentelemetry.sdk.trace.sampling import ParentBased, TraceIdRatioBased

from service import __version__

if TYPE_CHECKING:
    import httpx
    import redis.asyncio as aioredis

    from service.settings import TracingSettings


def build_tracer_provider(
    settings: TracingSettings, *, exporter: SpanExporter | None = None
) -> TracerProvider | None:
    """A provider exporting over OTLP/HTTP, or None when tracing is off.

    The provider is kept local (not installed globally) so two apps in one process, as in
    the tests, never share spans.
    """
    if not settings.enabled and exporter is None:
        return None
    provider = TracerProvider(
        resource=Resource.create(
            {SERVICE_NAME: settings.service_name, SERVICE_VERSION: __version__}
        ),
        # Parent-based: a trace the webshop started keeps its own sampling decision.
        sampler=ParentBased(TraceIdRatioBased(settings.sample_ratio)),
    )
    if exporter is None:
        endpoint = str(settings.otlp_endpoint) if settings.otlp_endpoint else None
        exporter = OTLPSpanExporter(endpoint=endpoint)
    provider.add_span_processor(BatchSpanProcessor(exporter))
    return provider


def consume_middleware(provider: TracerProvider) -> RedisTelemetryMiddleware:
    """The broker middleware that opens a span per consumed message."""
    return RedisTelemetryMiddleware(tracer_provider=provider)


def instrument_clients(
    provider: TracerProvider, *, http: httpx.AsyncClient, redis: aioredis.Redis
) -> None:
    """Child spans for every Sitoo request and every Redis command the handlers make."""
    HTTPXClientInstrumentor.instrument_client(http, tracer_provider=provider)
    RedisInstrumentor.instrument_client(redis, tracer_provider=provider)
