"""``POST /webhooks/<webshop>``: a webshop's web hooks, stored in a Redis stream before the 200.

The same endpoint serves every webshop; what differs is a :class:`WebhookSource` (how a
delivery is signed, which headers name its topic and identify it). The order is fixed:

1. the signature is checked over the raw body, in constant time, before anything else:
   a failure is 401 and nothing is stored;
2. the delivery (raw body, topic, the headers worth keeping) is appended to the webshop's
   raw stream and its delivery ids remembered, in one Lua script; a delivery id seen before
   appends nothing (the platform's retries and duplicates);
3. only then the answer is 200. Translation happens afterwards, in
   :mod:`service.adapters.common.translating`.

503 while Redis cannot take the delivery (the platform retries); 413 for a body over the
limit (its signature cannot be checked without reading all of it); 400 when the caller
hangs up mid-body. No other 5xx: the body is not parsed here, so no body can cause one.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import json
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

import structlog
from pydantic import SecretStr
from starlette.applications import Starlette
from starlette.requests import ClientDisconnect, Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from service.records.connection import REDIS_FAILURES
from service.webhooks.intake import read_body

if TYPE_CHECKING:
    import redis.asyncio as aioredis

    from service.records.keys import DeploymentKeys

log = structlog.get_logger(__name__)
DEFAULT_MAX_BODY_BYTES = 2 * 1024 * 1024
BODY_FIELD, TOPIC_FIELD, HEADERS_FIELD, RECEIVED_FIELD = "body", "topic", "headers", "received_at"
DELIVERY_FIELD = "delivery"  # the delivery's first id (how its dead letter is named)
# A body that is not UTF-8 is stored base64-encoded under this field instead: the stream's
# reader decodes every field as text, and one undecodable entry would be redelivered forever.
BODY_BASE64_FIELD = "body_base64"

# KEYS[1] the raw stream, KEYS[2..] the delivery's de-duplication keys; ARGV[1] how long
# they are kept (ms), ARGV[2..7] topic, body, headers, received_at, the body's field name,
# the delivery id.
# Appending and remembering are one script: a crash cannot leave a delivery remembered but
# not stored.
_APPEND_ONCE = f"""
local seen = 0
for i = 2, #KEYS do
  if redis.call('EXISTS', KEYS[i]) == 1 then seen = 1 end
end
for i = 2, #KEYS do
  redis.call('SET', KEYS[i], '1', 'PX', ARGV[1], 'NX')
end
if seen == 1 then return false end
return redis.call('XADD', KEYS[1], '*', '{TOPIC_FIELD}', ARGV[2], ARGV[6], ARGV[3],
  '{HEADERS_FIELD}', ARGV[4], '{RECEIVED_FIELD}', ARGV[5], '{DELIVERY_FIELD}', ARGV[7])
"""


async def append_delivery(
    client: aioredis.Redis,
    *,
    stream: str,
    dedupe_keys: Sequence[str],
    dedupe_ms: int,
    delivery_id: str,
    topic: str,
    body: bytes,
    headers: Mapping[str, str],
    received_ms: int,
) -> str | None:
    """Append a delivery unless one of its de-duplication keys is set; the entry id or None.

    The web-hook endpoint stores what the platform sends; a reconciliation poller stores
    what it found the same way, so one consumer translates both.
    """
    try:
        body.decode("utf-8")
        field, stored = BODY_FIELD, body
    except UnicodeDecodeError:
        field, stored = BODY_BASE64_FIELD, base64.b64encode(body)
    script = client.register_script(_APPEND_ONCE)
    entry = await script(
        keys=[stream, *dedupe_keys],
        args=[
            dedupe_ms,
            topic,
            stored,
            json.dumps(dict(headers), sort_keys=True),
            str(received_ms),
            field,
            delivery_id,
        ],
    )
    if entry is None:
        return None
    return entry.decode() if isinstance(entry, bytes) else str(entry)


class WebhookSource(Protocol):
    """What the endpoint needs to know about one webshop's web hooks."""

    @property
    def webshop(self) -> str:
        """Short lower-case name: ``shopify``, ``woocommerce``."""
        ...

    def authentic(self, headers: Mapping[str, str], body: bytes) -> bool:
        """True when the delivery is signed by the webshop (compare in constant time)."""
        ...

    def topic(self, headers: Mapping[str, str]) -> str:
        """The delivery's topic (empty when the headers do not say)."""
        ...

    def delivery_ids(self, headers: Mapping[str, str]) -> Sequence[str]:
        """Ids that, seen again, mark a repeat of this delivery (none: never de-duplicated)."""
        ...

    def kept_headers(self, headers: Mapping[str, str]) -> dict[str, str]:
        """The headers stored with the body (never the signature)."""
        ...


def hmac_sha256_base64(secret: str, body: bytes) -> str:
    """Base64 of the HMAC-SHA256 of ``body`` (how Shopify and WooCommerce sign web hooks)."""
    digest = hmac.new(secret.encode(), body, hashlib.sha256).digest()
    return base64.b64encode(digest).decode()


def signature_matches(signature: str, body: bytes, secrets: Sequence[SecretStr]) -> bool:
    """Whether ``signature`` is the base64 HMAC-SHA256 of ``body`` under any of ``secrets``.

    Several secrets: during a rotation deliveries may be signed with the old one for a while.
    Every secret is tried, so the time taken does not depend on which one matched.
    """
    given = signature.strip().encode()
    matched = False
    for secret in secrets:
        expected = hmac_sha256_base64(secret.get_secret_value(), body).encode()
        matched = hmac.compare_digest(given, expected) or matched
    return matched and bool(given)


@dataclass(frozen=True, slots=True)
class IntakeConfig:
    """Where a webshop's deliveries go and how long their ids are remembered."""

    stream: str
    keys: DeploymentKeys
    dedupe_ms: int
    deadline_s: float
    max_body_bytes: int = DEFAULT_MAX_BODY_BYTES


def _answer(status: int, outcome: str) -> Response:
    return JSONResponse({"outcome": outcome}, status_code=status)


class WebshopIntake:
    """The endpoint's logic for one webshop, bound to a Redis client found per request."""

    def __init__(
        self,
        source: WebhookSource,
        config: IntakeConfig,
        redis: Callable[[], aioredis.Redis | None],
        *,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.source = source
        self.config = config
        self._redis = redis
        self._clock = clock

    async def store(
        self, client: aioredis.Redis, headers: Mapping[str, str], body: bytes
    ) -> str | None:
        """Append the delivery unless one of its ids was stored before; the entry id or None."""
        webshop = self.source.webshop
        ids = list(self.source.delivery_ids(headers))
        return await append_delivery(
            client,
            stream=self.config.stream,
            dedupe_keys=[self.config.keys.webshop_delivery(webshop, i) for i in ids],
            dedupe_ms=self.config.dedupe_ms,
            delivery_id=ids[0] if ids else "",
            topic=self.source.topic(headers),
            body=body,
            headers=self.source.kept_headers(headers),
            received_ms=int(self._clock() * 1000),
        )

    async def handle(self, request: Request) -> Response:
        """Read, authenticate, store, answer; bounded by the deadline."""
        try:
            async with asyncio.timeout(self.config.deadline_s):
                return await self._receive(request)
        except ClientDisconnect:
            return _answer(400, "incomplete_body")  # nobody is left to read the answer
        except REDIS_FAILURES as exc:
            log.warning(
                "webshop_webhook.unavailable", webshop=self.source.webshop, error=type(exc).__name__
            )
            return _answer(503, "unavailable")

    async def _receive(self, request: Request) -> Response:
        body, cut = await read_body(request, self.config.max_body_bytes)
        if cut:
            return _answer(413, "body_too_large")
        headers = {k.lower(): v for k, v in request.headers.items()}
        if not self.source.authentic(headers, body):
            log.warning("webshop_webhook.unauthenticated", webshop=self.source.webshop)
            return _answer(401, "unauthenticated")
        client = self._redis()
        if client is None:
            return _answer(503, "not_ready")
        entry = await self.store(client, headers, body)
        topic = self.source.topic(headers)
        if entry is None:
            log.info("webshop_webhook.repeat", webshop=self.source.webshop, topic=topic)
            return _answer(200, "repeat")
        log.info("webshop_webhook.stored", webshop=self.source.webshop, topic=topic, entry=entry)
        return _answer(200, "stored")


def webshop_webhook_route(
    path: str,
    source: WebhookSource,
    config: IntakeConfig,
    redis: Callable[[], aioredis.Redis | None],
) -> tuple[str, Starlette]:
    """An ``asgi_routes`` entry serving ``POST path`` for one webshop."""
    intake = WebshopIntake(source, config, redis)
    return path, Starlette(routes=[Route(path, intake.handle, methods=["POST"])])
