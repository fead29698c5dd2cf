"""``POST /sitoo/events``: Sitoo's Events SPI batches, stored in a Redis stream before the 200.

Sitoo discards a batch on any answer but 200, 429, 503 and 504, retries for about a day
and stops sending anything else until the current batch is accepted. So the endpoint
answers 200 only after every event of the batch is appended (or known from before), 503
whenever Redis cannot take it (Sitoo retries), and 401 for a caller without our Basic
credentials. Any other body that authenticates is answered 200 and kept: a batch that
cannot be used (too large, nested too deeply, not UTF-8, not JSON, naming a key twice,
the wrong shape, breaking the input rule of :mod:`service.contracts.sanity`) goes to the
web-hook stream's dead letters with the reason (the service's one format, the body as
``original:body``; an identical body is kept once). ``sitoo-sync dlq replay`` receives
such a body again (:func:`received_again`): the events it holds are stored as new
web-hook events, or the dead letter stays when it still cannot be used. Repeating a
bad body cannot make it well-formed, a 4xx would make Sitoo drop it anyway, and a 5xx
would hold back every later batch while Sitoo retries it. Nesting and size are bounded
before the body is parsed; nothing else may answer 5xx.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import hashlib
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import structlog
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from starlette.applications import Starlette
from starlette.requests import ClientDisconnect, Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from service.contracts.envelope import EVENT_FIELD
from service.contracts.sanity import InsaneInput, load_json
from service.deadletters import (
    DeadLetter,
    DeadLetterStore,
    NotReplayable,
    Resend,
)
from service.inbox.transport import EntryToPark
from service.records.connection import REDIS_FAILURES
from service.records.keys import DeploymentKeys
from service.records.streams import StreamNames, stream_names

if TYPE_CHECKING:
    import redis.asyncio as aioredis

    from service.settings import Settings

log = structlog.get_logger(__name__)
MAX_EVENTS = 10  # Sitoo sends at most ten events per batch
MAX_BODY_BYTES = 256 * 1024
DAY_MS = 86_400_000
BODY_FIELD = b"body"  # a dead letter of the intake keeps the body received under this name

# KEYS[1] the stream, KEYS[2..] one de-duplication key per event; ARGV[1] retention in
# ms, ARGV[2..] the events' JSON. Append first, remember second, in one script: a crash
# cannot leave an event remembered but not stored, and a replay is dropped here.
_APPEND_NEW = f"""
local appended = 0
for i = 2, #KEYS do
  if redis.call('EXISTS', KEYS[i]) == 0 then
    redis.call('XADD', KEYS[1], '*', '{EVENT_FIELD}', ARGV[i])
    redis.call('SET', KEYS[i], '1', 'PX', ARGV[1])
    appended = appended + 1
  end
end
return appended
"""


class SitooEvent(BaseModel):
    """One event of an Events SPI batch (the fields every event type has)."""

    model_config = ConfigDict(extra="allow", frozen=True)

    event_id: str = Field(min_length=1, max_length=200, pattern=r"^[\x21-\x7e]+$")
    event_type: str = Field(min_length=1, max_length=100)
    event_date: int | None = None
    account_id: int | str | None = None
    data: dict[str, Any] = Field(default_factory=dict)


class MalformedBatchError(Exception):
    """The body is not a JSON array of 1 to 10 well-formed events."""


def parse_batch(body: bytes, *, cut: bool = False) -> list[SitooEvent]:
    """The events of a batch; raises MalformedBatchError with a short reason.

    ``cut``: the body went on past what was read (see :func:`read_body`).
    """
    if cut or len(body) > MAX_BODY_BYTES:
        raise MalformedBatchError(f"body exceeds {MAX_BODY_BYTES} bytes")
    try:
        # Sitoo's numbers are passed on as they came: floats, not exact decimals.
        document = load_json(body, exact_numbers=False)
    except InsaneInput as exc:
        raise MalformedBatchError(f"body: {exc}") from None
    if not isinstance(document, list):
        raise MalformedBatchError("body is not a JSON array")
    if not 1 <= len(document) <= MAX_EVENTS:
        raise MalformedBatchError(f"batch has {len(document)} events, expected 1 to {MAX_EVENTS}")
    try:
        return [SitooEvent.model_validate(item) for item in document]
    except ValidationError as exc:
        first = exc.errors(include_url=False, include_input=False)[0]
        where = ".".join(str(part) for part in first["loc"])
        raise MalformedBatchError(f"invalid event: {where}: {first['msg']}") from None


async def read_body(request: Request, limit: int = MAX_BODY_BYTES) -> tuple[bytes, bool]:
    """The body, read up to ``limit`` bytes; True when there was more (left unread)."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        return b"", True
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        chunks.append(chunk)
        size += len(chunk)
        if size > limit:
            return b"".join(chunks)[:limit], True
    return b"".join(chunks), False


@dataclass(frozen=True, slots=True)
class IntakeConfig:
    """What the endpoint needs from the settings."""

    username: str
    password: str = field(repr=False)
    stream: str
    names: StreamNames
    keys: DeploymentKeys
    dedupe_ms: int
    deadline_s: float
    retention_s: float

    @classmethod
    def from_settings(cls, settings: Settings) -> IntakeConfig | None:
        """None when no web-hook password is configured (the endpoint is then not served)."""
        http = settings.http
        if http.webhook_password is None:
            return None
        keys = DeploymentKeys.from_settings(settings)
        streams = stream_names(settings)
        return cls(
            username=http.webhook_username,
            password=http.webhook_password.get_secret_value(),
            stream=streams.sitoo_webhooks,
            names=streams,
            keys=keys,
            dedupe_ms=dedupe_ms(settings),
            deadline_s=http.webhook_deadline_s,
            retention_s=settings.idempotency.retention_days * 86_400,
        )

    def dead_letters(self, client: aioredis.Redis) -> DeadLetterStore:
        """Where a body that cannot be used is parked: the web-hook stream's dead letters."""
        return DeadLetterStore(
            client,
            streams=[self.stream],
            names=self.names,
            keys=self.keys,
            retention_s=self.retention_s,
        )


def dedupe_ms(settings: Settings) -> int:
    """How long a stored Sitoo event id is remembered (a resend within it is dropped)."""
    return max(1, round(settings.http.webhook_dedupe_days * DAY_MS))


def _authorised(request: Request, config: IntakeConfig) -> bool:
    kind, _, encoded = request.headers.get("authorization", "").partition(" ")
    if kind.lower() != "basic":
        return False
    try:
        username, sep, password = base64.b64decode(encoded, validate=True).decode().partition(":")
    except (binascii.Error, UnicodeDecodeError):
        return False
    # Compare both in constant time and always both, so timing says nothing about which failed.
    user_ok = secrets.compare_digest(username.encode(), config.username.encode())
    password_ok = secrets.compare_digest(password.encode(), config.password.encode())
    return bool(sep) and user_ok and password_ok


def _answer(status: int, outcome: str, **details: object) -> Response:
    return JSONResponse({"outcome": outcome, **details}, status_code=status)


class EventIntake:
    """The endpoint's logic, bound to a Redis client obtained when a request arrives."""

    def __init__(self, config: IntakeConfig, redis: Callable[[], aioredis.Redis | None]) -> None:
        self.config = config
        self._redis = redis

    async def store(self, client: aioredis.Redis, events: list[SitooEvent]) -> int:
        """Append the events not seen before; returns how many were new."""
        config = self.config
        return await store_events(
            client, events, stream=config.stream, keys=config.keys, dedupe_ms=config.dedupe_ms
        )

    async def dead_letter(
        self, client: aioredis.Redis, body: bytes, reason: str, *, whole: bool = True
    ) -> None:
        """Keep a malformed body with the reason, so nothing Sitoo sent is lost (once)."""
        kept = body[:MAX_BODY_BYTES]
        # Named by its content: the same body again (a resend) is kept once. A body cut at the
        # limit is not known whole, and two different ones would share a name: each is its own.
        name = hashlib.sha256(kept).hexdigest()[:32] if whole else "cut-" + secrets.token_hex(16)
        await self.config.dead_letters(client).park(
            EntryToPark(
                stream=self.config.stream,
                entry_id="body-" + name,
                fields={BODY_FIELD: kept},
                reason_code="invalid",
                reason=reason,
                deliveries=1,
            )
        )

    async def handle(self, request: Request) -> Response:
        """Authenticate, store, answer; bounded by the deadline."""
        if not _authorised(request, self.config):
            return Response(status_code=401, headers={"WWW-Authenticate": 'Basic realm="sitoo"'})
        client = self._redis()
        if client is None:
            return _answer(503, "not_ready")
        try:
            async with asyncio.timeout(self.config.deadline_s):
                body, cut = await read_body(request)
                return await self._accept(client, body, cut=cut)
        except ClientDisconnect:
            return _answer(400, "incomplete_body")  # nobody is left to read the answer
        except REDIS_FAILURES as exc:
            log.warning("webhook.unavailable", error=type(exc).__name__)
            return _answer(503, "unavailable")

    async def _accept(self, client: aioredis.Redis, body: bytes, *, cut: bool) -> Response:
        try:
            events = parse_batch(body, cut=cut)
            appended = await self.store(client, events)
        except MalformedBatchError as exc:
            return await self._kept(client, body, str(exc), whole=not cut)
        except REDIS_FAILURES:
            raise
        except Exception as exc:  # a body must never earn a 5xx: keep it instead
            log.exception("webhook.unexpected", error=type(exc).__name__)
            reason = f"could not be handled ({type(exc).__name__})"
            return await self._kept(client, body, reason, whole=not cut)
        log.info("webhook.stored", events=len(events), new=appended)
        return _answer(200, "stored", events=len(events), new=appended)

    async def _kept(
        self, client: aioredis.Redis, body: bytes, reason: str, *, whole: bool
    ) -> Response:
        await self.dead_letter(client, body, reason, whole=whole)
        log.warning("webhook.dead_lettered", reason=reason)
        return _answer(200, "dead_lettered", reason=reason)


async def store_events(
    client: aioredis.Redis,
    events: list[SitooEvent],
    *,
    stream: str,
    keys: DeploymentKeys,
    dedupe_ms: int,
) -> int:
    """Append the events not seen before to the web-hook stream; how many were new."""
    script = client.register_script(_APPEND_NEW)
    return int(
        await script(
            keys=[stream] + [keys.sitoo_event(e.event_id) for e in events],
            args=[dedupe_ms] + [e.model_dump_json() for e in events],
        )
    )


def received_again(client: aioredis.Redis, settings: Settings) -> Resend:
    """Replay of the intake's dead letters: the kept body received again.

    A body is not a stream entry, so it cannot go back on a stream as it was: its events
    are stored as new web-hook events (those stored before are skipped, as for Sitoo's own
    resends). A letter of the web-hook consumer (an entry) is left to the default replay.
    """

    async def resend(letter: DeadLetter) -> str | None:
        body = letter.original.get(BODY_FIELD)
        if body is None:
            return None
        try:
            events = parse_batch(body)
        except MalformedBatchError as exc:
            raise NotReplayable(f"the body still cannot be used: {exc}") from None
        new = await store_events(
            client,
            events,
            stream=stream_names(settings).sitoo_webhooks,
            keys=DeploymentKeys.from_settings(settings),
            dedupe_ms=dedupe_ms(settings),
        )
        return f"{new} of {len(events)} events stored"

    return resend


def webhook_app(settings: Settings, redis: Callable[[], aioredis.Redis | None]) -> Starlette | None:
    """The Starlette app serving the web-hook path; None when no password is configured."""
    config = IntakeConfig.from_settings(settings)
    if config is None:
        return None
    intake = EventIntake(config, redis)
    return Starlette(routes=[Route(settings.http.webhook_path, intake.handle, methods=["POST"])])


def webhook_routes(
    settings: Settings, redis: Callable[[], aioredis.Redis | None]
) -> list[tuple[str, Starlette]]:
    """``asgi_routes`` entries for AsgiFastStream; empty when web hooks are not configured."""
    app = webhook_app(settings, redis)
    if app is None:
        log.info("webhook.disabled", reason="SITOO_SYNC_HTTP__WEBHOOK_PASSWORD is not set")
        return []
    return [(settings.http.webhook_path, app)]
