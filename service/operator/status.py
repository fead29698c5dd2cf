"""`sitoo-sync status`: streams, dead letters, pollers and the limiter, read straight from Redis."""

from __future__ import annotations

import json
import time
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING

from pydantic import JsonValue
from redis.exceptions import ResponseError

from service.adapters.woocommerce.wiring import raw_stream
from service.pollers.cursors import FencedCursors
from service.pollers.lease import Lease
from service.pollers.wiring import poller_intervals
from service.records.keys import DeploymentKeys
from service.records.streams import stream_names
from service.sitoo.limiter import RedisLimiter

if TYPE_CHECKING:
    import redis.asyncio as aioredis

    from service.settings import Settings


@dataclass(frozen=True, slots=True)
class StreamState:
    """One stream the service reads, as its consumer group sees it."""

    role: str
    stream: str
    length: int
    group_exists: bool
    pending: int | None  # delivered to a replica, not yet acknowledged
    oldest_pending_age_s: float | None  # since the oldest pending entry was appended
    unread: int | None  # not yet delivered to any replica (Redis' group lag)
    dead_letters: int


@dataclass(frozen=True, slots=True)
class OutputState:
    """A stream the service writes for the webshop."""

    role: str
    stream: str
    length: int


@dataclass(frozen=True, slots=True)
class PollerState:
    """One poller: who leads it, where its cursor stands, how its last cycles went."""

    name: str
    leader: str | None  # host/pid of the replica that took the lease, as it reported
    fence: int | None
    lease_left_s: float | None
    cursor: JsonValue
    last_success_at: float | None  # Unix seconds
    lag_s: float | None  # seconds since the last good cycle
    last_error: str | None
    last_error_at: float | None
    cycles: int | None
    failures: int | None
    alert: str | None = None  # a condition the poller saw that needs a person (hooks disabled)


@dataclass(frozen=True, slots=True)
class CredentialState:
    """Requests in flight for one Sitoo API user, across every replica."""

    api_id: str
    in_flight: int
    interactive_only: bool = False  # reserved for gift-card calls (INTERACTIVE_CREDENTIALS)


@dataclass(frozen=True, slots=True)
class LimiterState:
    """The shared Sitoo request budget."""

    credentials: list[CredentialState]
    waiting_interactive: int
    waiting_bulk: int


@dataclass(frozen=True, slots=True)
class ServiceStatus:
    """Everything `sitoo-sync status` shows."""

    group: str
    streams: list[StreamState]
    outputs: list[OutputState]
    pollers: list[PollerState]
    limiter: LimiterState

    def to_json(self) -> dict[str, object]:
        """A JSON-ready view."""
        return asdict(self)


def _text(value: object) -> str:
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)


def _number(fields: dict[str, str], name: str) -> float | None:
    raw = fields.get(name, "")
    try:
        return float(raw) if raw else None
    except ValueError:
        return None


async def _stream_state(
    redis: aioredis.Redis, role: str, stream: str, settings: Settings, now_ms: int
) -> StreamState:
    group = settings.streams.group
    length = int(await redis.xlen(stream))
    dead = int(await redis.xlen(stream_names(settings).dead_letters(stream)))
    try:
        groups = await redis.xinfo_groups(stream)
    except ResponseError:  # the stream does not exist yet
        groups = []
    info = next((g for g in groups if _text(g.get("name")) == group), None)
    if info is None:
        return StreamState(
            role,
            stream,
            length,
            group_exists=False,
            pending=None,
            oldest_pending_age_s=None,
            unread=None,
            dead_letters=dead,
        )
    summary = await redis.xpending(stream, group)
    pending = int(summary["pending"])
    oldest = summary.get("min")
    age = None
    if pending and oldest is not None:
        appended_ms = int(_text(oldest).split("-", 1)[0])
        age = max(0.0, (now_ms - appended_ms) / 1000)
    lag = info.get("lag")
    return StreamState(
        role,
        stream,
        length,
        group_exists=True,
        pending=pending,
        oldest_pending_age_s=age,
        unread=int(lag) if lag is not None else None,
        dead_letters=dead,
    )


async def _poller_state(
    redis: aioredis.Redis, name: str, settings: Settings, now_s: float
) -> PollerState:
    keys = DeploymentKeys.from_settings(settings)
    lease = Lease(redis, keys=keys, name=name, ttl_s=settings.pollers.lease_ttl_s)
    holder = await lease.holder()
    ttl_ms = int(await redis.pttl(lease.key)) if holder is not None else -2
    cursor = await FencedCursors(redis, keys=keys).get(name)
    raw = await redis.hgetall(keys.poller_status(name))
    fields = {_text(k): _text(v) for k, v in raw.items()}
    fence = int(holder.split(":", 1)[0]) if holder is not None else None
    # The status hash names the replica that last took the lease; trust it only while
    # it reports the fence the lease holds now.
    reported_fence = fields.get("fence")
    leader = fields.get("leader") if reported_fence == str(fence) else None
    success = _number(fields, "last_success_at")
    cycles, failures = _number(fields, "cycles"), _number(fields, "failures")
    return PollerState(
        name=name,
        leader=leader if fence is not None else None,
        fence=fence,
        lease_left_s=ttl_ms / 1000 if ttl_ms >= 0 else None,
        cursor=cursor,
        last_success_at=success,
        lag_s=max(0.0, now_s - success) if success is not None else None,
        last_error=fields.get("last_error") or None,
        last_error_at=_number(fields, "last_error_at"),
        cycles=int(cycles) if cycles is not None else None,
        failures=int(failures) if failures is not None else None,
        alert=fields.get("alert") or None,
    )


async def _limiter_state(redis: aioredis.Redis, settings: Settings) -> LimiterState:
    keys = DeploymentKeys.from_settings(settings)
    slots = keys.limiter("slots", "")
    names = [credential.api_id for credential in settings.sitoo.credentials()]
    # API users that are not configured here but hold slots (e.g. the sandbox user of a
    # local `run`) show up too.
    async for key in redis.scan_iter(match=f"{slots}*", count=200):
        name = _text(key).removeprefix(slots)
        if name not in names:
            names.append(name)
    counts: list[int] = []
    if names:
        limiter = RedisLimiter(redis, keys=keys, credentials=names)
        counts = await limiter.in_flight()
    reserved = {c.api_id for c in settings.sitoo.interactive_credentials}
    return LimiterState(
        credentials=[
            CredentialState(n, c, interactive_only=n in reserved)
            for n, c in zip(names, counts, strict=True)
        ],
        waiting_interactive=int(await redis.zcard(keys.limiter("wait_interactive"))),
        waiting_bulk=int(await redis.zcard(keys.limiter("wait_bulk"))),
    )


async def gather_status(redis: aioredis.Redis, settings: Settings) -> ServiceStatus:
    """Read the whole status; needs only Redis, not a running service."""
    streams = stream_names(settings)
    seconds, micros = await redis.time()
    now_ms = int(seconds) * 1000 + int(micros) // 1000
    watched = [
        ("orders", streams.orders),
        ("giftcards", streams.giftcards),
        ("giftcard requests", streams.giftcard_requests),
        ("stock", streams.stock),
        ("sitoo web hooks", streams.sitoo_webhooks),
    ]
    if settings.woocommerce.enabled:
        watched.append(("woocommerce web hooks", raw_stream(settings).stream))
    now_s = time.time()
    return ServiceStatus(
        group=settings.streams.group,
        streams=[await _stream_state(redis, r, s, settings, now_ms) for r, s in watched],
        outputs=[
            OutputState(role, stream, int(await redis.xlen(stream)))
            for role, stream in (("results", streams.results), ("outbound", streams.outbound))
        ],
        pollers=[
            await _poller_state(redis, name, settings, now_s) for name in poller_intervals(settings)
        ],
        limiter=await _limiter_state(redis, settings),
    )


def format_age(seconds: float | None) -> str:
    """``75`` → ``1m15s``; None → ``-``."""
    if seconds is None:
        return "-"
    whole = int(seconds)
    units = (("d", 86_400), ("h", 3600), ("m", 60))
    for index, (unit, size) in enumerate(units):
        if whole >= size:
            smaller, smaller_size = units[index + 1] if index + 1 < len(units) else ("s", 1)
            return f"{whole // size}{unit}{(whole % size) // smaller_size:02d}{smaller}"
    return f"{whole}s"


def _cell(value: object) -> str:
    return "-" if value is None else str(value)


def _table(header: list[str], rows: list[list[str]]) -> list[str]:
    widths = [max(len(row[i]) for row in [header, *rows]) for i in range(len(header))]
    return [
        "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip()
        for row in [header, *rows]
    ]


def _short(value: JsonValue, limit: int = 48) -> str:
    if value is None:
        return "-"
    text = json.dumps(value, separators=(",", ":"), sort_keys=True)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def render_status(status: ServiceStatus) -> str:
    """The human-readable tables."""
    lines = [f"streams (consumer group {status.group})"]
    lines += _table(
        ["", "stream", "length", "pending", "oldest pending", "unread", "dead letters"],
        [
            [
                s.role,
                s.stream,
                str(s.length),
                _cell(s.pending) if s.group_exists else "no group",
                format_age(s.oldest_pending_age_s),
                _cell(s.unread),
                str(s.dead_letters),
            ]
            for s in status.streams
        ],
    )
    lines += ["", "outputs"]
    lines += _table(
        ["", "stream", "length"], [[o.role, o.stream, str(o.length)] for o in status.outputs]
    )
    lines += ["", "pollers"]
    lines += _table(
        ["", "leader", "fence", "lease left", "cursor", "last success", "last error"],
        [
            [
                p.name,
                p.leader or ("unknown replica" if p.fence is not None else "none"),
                _cell(p.fence),
                format_age(p.lease_left_s),
                _short(p.cursor),
                f"{format_age(p.lag_s)} ago" if p.lag_s is not None else "never",
                (p.last_error or "-")[:60],
            ]
            for p in status.pollers
        ],
    )
    alerts = [f"ALERT {p.name}: {p.alert}" for p in status.pollers if p.alert]
    if alerts:
        lines += ["", *alerts]
    limiter = status.limiter
    lines += ["", "Sitoo limiter"]
    if limiter.credentials:
        rows = [
            [c.api_id, "interactive only" if c.interactive_only else "all", str(c.in_flight)]
            for c in limiter.credentials
        ]
        lines += _table(["API user", "serves", "in flight"], rows)
    else:
        lines.append("no API user configured or seen")
    lines.append(f"waiting: {limiter.waiting_interactive} interactive, {limiter.waiting_bulk} bulk")
    return "\n".join(lines)
