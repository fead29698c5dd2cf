"""WooCommerce's web hooks on the shared intake: signing, the creation ping, translation.

Signing (FACTS.md §2.3): ``X-WC-Webhook-Signature`` is base64 HMAC-SHA256 of the exact body
bytes with the hook's secret. No delivery id is used for de-duplication: WooCommerce's
``X-WC-Webhook-Delivery-ID`` is a hash of the hook id and the current second, so two
different deliveries can share it (FACTS.md §2.2). Repeats are harmless anyway: the body is
the order's current state, its events' ids derive from the order and the state, and the
appender appends each id once. A refund arrives as an ``order.updated`` listing it; its
details are read from the REST API on the way (see :mod:`.order_translation`).

The ping (FACTS.md §2.4): creating a hook sends ``webhook_id=<id>`` form-encoded, unsigned,
without any X-WC header, and WooCommerce keeps the hook's delivery pending unless the answer
is exactly 200. It is answered 200 and stored nowhere; anything else unsigned is 401.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from pydantic import SecretStr
from starlette.applications import Starlette
from starlette.requests import ClientDisconnect, Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from service.adapters.common.intake import IntakeConfig, WebshopIntake, signature_matches
from service.adapters.common.translating import RawDelivery, Translated, Untranslatable
from service.adapters.woocommerce.order_translation import OrderTranslator
from service.webhooks.intake import read_body

if TYPE_CHECKING:
    import redis.asyncio as aioredis

WEBSHOP = "woocommerce"
SIGNATURE_HEADER = "x-wc-webhook-signature"
TOPIC_HEADER = "x-wc-webhook-topic"
_KEPT = (
    TOPIC_HEADER,
    "x-wc-webhook-source",
    "x-wc-webhook-resource",
    "x-wc-webhook-event",
    "x-wc-webhook-id",
    "x-wc-webhook-delivery-id",
)
_PING = re.compile(rb"webhook_id=[0-9]{1,20}")
_PING_LIMIT = 64


@dataclass(frozen=True, slots=True)
class WooCommerceWebhooks:
    """WooCommerce's signing, as the shared intake's :class:`WebhookSource`."""

    secrets: tuple[SecretStr, ...]
    webshop: str = WEBSHOP

    def authentic(self, headers: Mapping[str, str], body: bytes) -> bool:
        """The signature matches the exact body under one of the secrets."""
        return signature_matches(headers.get(SIGNATURE_HEADER, ""), body, self.secrets)

    def topic(self, headers: Mapping[str, str]) -> str:
        """``order.updated`` and the like."""
        return headers.get(TOPIC_HEADER, "").strip()

    def delivery_ids(self, headers: Mapping[str, str]) -> Sequence[str]:
        """None: WooCommerce's delivery id is not unique (see the module's note)."""
        del headers
        return ()

    def kept_headers(self, headers: Mapping[str, str]) -> dict[str, str]:
        """The identifying headers; never the signature."""
        return {name: headers[name] for name in _KEPT if name in headers}


def _looks_like_ping(request: Request) -> bool:
    return not any(name.startswith("x-wc-webhook-") for name in request.headers)


class WooCommerceEndpoint:
    """``POST /webhooks/woocommerce``: the ping answered, every other delivery to the intake."""

    def __init__(self, intake: WebshopIntake) -> None:
        self.intake = intake

    async def handle(self, request: Request) -> Response:
        """A ping is 200 and kept nowhere; the rest is the shared intake's (401 unsigned)."""
        if not _looks_like_ping(request):
            return await self.intake.handle(request)
        try:
            body, cut = await read_body(request, _PING_LIMIT)
        except ClientDisconnect:
            return JSONResponse({"outcome": "incomplete_body"}, status_code=400)
        if not cut and _PING.fullmatch(body.strip()):
            return JSONResponse({"outcome": "ping"}, status_code=200)
        return JSONResponse({"outcome": "unauthenticated"}, status_code=401)


def woocommerce_webhook_route(
    path: str,
    secrets: tuple[SecretStr, ...],
    config: IntakeConfig,
    redis: Callable[[], aioredis.Redis | None],
) -> tuple[str, Starlette]:
    """The ``asgi_routes`` entry for WooCommerce's web hooks."""
    endpoint = WooCommerceEndpoint(WebshopIntake(WooCommerceWebhooks(secrets), config, redis))
    return path, Starlette(routes=[Route(path, endpoint.handle, methods=["POST"])])


@dataclass(frozen=True, slots=True)
class WooCommerceTranslator:
    """Stored deliveries to canonical events: order topics translate, the rest say why not."""

    orders: OrderTranslator

    async def translate(self, delivery: RawDelivery) -> Translated | Untranslatable:
        """The events of one delivery (the body is the resource as it was when sent)."""
        topic = delivery.topic
        if not topic.startswith("order."):
            return Translated(note=f"topic {topic[:60]!r} is not used")
        try:
            raw = json.loads(delivery.body)
        except (ValueError, UnicodeDecodeError):
            return Untranslatable(f"{topic}: the body is not JSON")
        # order.deleted's body is only {"id": N}: a trashed order is not a cancellation (it
        # can be restored), so it translates to nothing, as the translation of any order
        # without a status does.
        return await self.orders.of(raw)
