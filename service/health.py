"""Liveness and readiness endpoints served beside the consumers."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from dataclasses import dataclass, field

import redis.asyncio as aioredis
import structlog
from faststream.asgi import AsgiResponse, get
from faststream.asgi.handlers import GetHandler
from faststream.asgi.types import Scope
from faststream.redis import RedisBroker

from service.observability.credentials import CredentialHealth
from service.records.connection import REDIS_FAILURES

log = structlog.get_logger(__name__)
_JSON = {"content-type": "application/json"}
# A probe must answer well within its own timeout (3 s in the manifests) even when Redis hangs.
REDIS_PING_TIMEOUT_S = 1.0


def _respond(
    checks: dict[str, bool],
    details: dict[str, list[str]] | None = None,
    sitoo: dict[str, list[str]] | None = None,
) -> AsgiResponse:
    ok = all(checks.values())
    document: dict[str, object] = {"status": "ok" if ok else "unavailable", "checks": checks}
    if details:
        document["details"] = details
    if sitoo:
        document["sitoo"] = sitoo
    return AsgiResponse(json.dumps(document).encode(), 200 if ok else 503, headers=_JSON)


def _name(subscriber: object) -> str:
    """The subscriber's title (``<stream>:reader`` / ``<stream>:reclaimer``) for the report."""
    specification = getattr(subscriber, "specification", None)
    title = getattr(getattr(specification, "config", None), "title_", None)
    return str(title) if title else type(subscriber).__name__


def liveness() -> GetHandler:
    """/healthz: the process and its event loop answer."""

    @get(include_in_schema=False)
    async def healthz(scope: Scope) -> AsgiResponse:  # noqa: ARG001 - ASGI signature
        return _respond({"process": True})

    return healthz


async def redis_answers(client: aioredis.Redis | None) -> bool:
    """True when Redis answers PING within :data:`REDIS_PING_TIMEOUT_S`."""
    if client is None:
        return False
    try:
        async with asyncio.timeout(REDIS_PING_TIMEOUT_S):
            return bool(await client.ping())
    except REDIS_FAILURES:
        return False


@dataclass(frozen=True, slots=True)
class Verdict:
    """The readiness checks by name, what failed them, and Sitoo's state beside them."""

    checks: dict[str, bool]
    details: dict[str, list[str]]
    sitoo: dict[str, list[str]] = field(default_factory=dict)

    @property
    def ready(self) -> bool:
        """True when every check passed."""
        return all(self.checks.values())


@dataclass(frozen=True, slots=True)
class Readiness:
    """Ready when Redis answers and every subscriber runs: what this replica itself needs.

    Sitoo is not part of it. Every replica shares the same Sitoo, so an outage there (or
    credentials it refuses) would take every replica out of the load balancer at once,
    and with them the web hook that keeps Sitoo's events; work that needs Sitoo waits and
    retries on its own. What Sitoo is doing is still reported, under ``sitoo`` (refused
    credentials, pollers without a good cycle for three intervals), without changing the
    status; /metrics exports the same (and alerts on it). Nothing here calls Sitoo.
    """

    broker: RedisBroker
    resources_redis: Callable[[], aioredis.Redis | None]
    stale_pollers: Callable[[], list[str]]
    credentials: CredentialHealth

    async def evaluate(self) -> Verdict:
        """Run every check now."""
        # FastStream's own ping stays green when a subscriber died (e.g. NOGROUP),
        # so each subscriber's running flag is checked as well.
        subscribers = self.broker.subscribers
        stopped = [_name(sub) for sub in subscribers if not sub.running]
        checks = {
            "redis": await redis_answers(self.resources_redis()),
            "subscribers": bool(subscribers) and not stopped,
        }
        details = {"stopped_subscribers": stopped} if stopped else {}
        sitoo = {
            name: values
            for name, values in (
                ("refused_credentials", self.credentials.refused()),
                ("stale_pollers", self.stale_pollers()),
            )
            if values
        }
        return Verdict(checks, details, sitoo)


def readiness(check: Readiness) -> GetHandler:
    """/readyz: 200 when every check of :class:`Readiness` passes, 503 naming what failed."""

    @get(include_in_schema=False)
    async def readyz(scope: Scope) -> AsgiResponse:  # noqa: ARG001 - ASGI signature
        verdict = await check.evaluate()
        return _respond(verdict.checks, verdict.details, verdict.sitoo)

    return readyz


async def watch_subscribers(
    broker: RedisBroker,
    *,
    request_exit: Callable[[], None] | None,
    stopping: Callable[[], bool],
    every_s: float = 1.0,
) -> None:
    """Ask for the process to exit when a subscriber that was running stops for good.

    FastStream stops a stream subscriber on NOGROUP (its stream or group was deleted, or
    Redis came back without its data) and never restarts it; the process would keep running
    with /readyz red and nothing would restart it. Exiting lets the orchestrator
    (``restart: always``, a Deployment) start a fresh process that recreates the groups.
    """
    while True:
        await asyncio.sleep(every_s)
        if stopping():
            return
        # broker.running turns True once every subscriber has started, False once stopped.
        if not broker.running:
            continue
        dead = [_name(sub) for sub in broker.subscribers if not sub.running]
        if dead:
            log.critical(
                "subscriber.stopped_for_good",
                subscribers=dead,
                action="exiting so the process is restarted" if request_exit else "none",
            )
            if request_exit is not None:
                request_exit()
            return
