"""The httpx client for the Admin API, and how its exceptions map onto the error tree."""

from __future__ import annotations

import httpx

from service import __version__
from service.adapters.shopify.errors import (
    ConnectFailed,
    ReadInterrupted,
    ResponseLost,
    ShopifyError,
)
from service.settings_shopify import ShopifySettings

USER_AGENT = f"sitoo-sync/{__version__}"
_NOT_SENT = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout)


def build_http_client(
    settings: ShopifySettings, transport: httpx.AsyncBaseTransport | None = None
) -> httpx.AsyncClient:
    """The process-wide Shopify HTTP client (the token is added per request, never here)."""
    return httpx.AsyncClient(
        timeout=httpx.Timeout(
            connect=settings.connect_timeout_s,
            read=settings.read_timeout_s,
            write=settings.read_timeout_s,
            pool=settings.connect_timeout_s,
        ),
        limits=httpx.Limits(max_connections=8, max_keepalive_connections=8, keepalive_expiry=30.0),
        headers={
            "User-Agent": USER_AGENT,
            "Accept": "application/json",
            "Content-Type": "application/json",
        },
        transport=transport,
        follow_redirects=False,
    )


def error_from_transport(exc: httpx.TransportError, *, mutation: bool, what: str) -> ShopifyError:
    """Classify an httpx failure: never sent, lost after a mutation, or a query to repeat."""
    kind = type(exc).__name__
    if isinstance(exc, _NOT_SENT):
        return ConnectFailed(f"{what}: {kind}, request not sent")
    if mutation:
        return ResponseLost(f"{what}: {kind} after the request was sent")
    return ReadInterrupted(f"{what}: {kind}")
