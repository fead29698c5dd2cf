"""The httpx client for the Admin API, and how its exceptions map onto the error tree."""

from __future__ import annotations

import httpx

from service.adapters.common.errors import WebshopError
from service.adapters.common.transport import USER_AGENT, build_webshop_http_client
from service.adapters.common.transport import error_from_transport as _classify
from service.settings_shopify import ShopifySettings

__all__ = ["USER_AGENT", "build_http_client", "error_from_transport"]


def build_http_client(
    settings: ShopifySettings, transport: httpx.AsyncBaseTransport | None = None
) -> httpx.AsyncClient:
    """The process-wide Shopify HTTP client (the token is added per request, never here)."""
    return build_webshop_http_client(
        connect_timeout_s=settings.connect_timeout_s,
        read_timeout_s=settings.read_timeout_s,
        transport=transport,
    )


def error_from_transport(exc: httpx.TransportError, *, mutation: bool, what: str) -> WebshopError:
    """Classify an httpx failure: never sent, lost after a mutation, or a query to repeat."""
    return _classify(exc, write=mutation, what=what)
