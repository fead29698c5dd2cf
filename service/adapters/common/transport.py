"""The one httpx.AsyncClient per webshop, and how its exceptions map onto the error tree."""

from __future__ import annotations

import httpx

from service import __version__
from service.adapters.common.errors import (
    ConnectFailed,
    ReadInterrupted,
    ResponseLost,
    WebshopError,
)

USER_AGENT = f"sitoo-sync/{__version__}"
# Failures that happen before a single byte of the request reaches the shop.
_NOT_SENT = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout)


def build_webshop_http_client(
    *,
    connect_timeout_s: float,
    read_timeout_s: float,
    transport: httpx.AsyncBaseTransport | None = None,
    base_url: str = "",
    max_connections: int = 8,
) -> httpx.AsyncClient:
    """A client with the project's timeouts and headers; credentials are added per request."""
    return httpx.AsyncClient(
        base_url=base_url,
        timeout=httpx.Timeout(
            connect=connect_timeout_s,
            read=read_timeout_s,
            write=read_timeout_s,
            pool=connect_timeout_s,
        ),
        limits=httpx.Limits(
            max_connections=max_connections,
            max_keepalive_connections=max_connections,
            keepalive_expiry=30.0,
        ),
        headers={
            "User-Agent": USER_AGENT,
            "Accept": "application/json",
            "Content-Type": "application/json",
        },
        transport=transport,
        follow_redirects=False,
    )


def error_from_transport(exc: httpx.TransportError, *, write: bool, what: str) -> WebshopError:
    """Classify an httpx failure: never sent, lost after a write, or a read to repeat."""
    kind = type(exc).__name__
    if isinstance(exc, _NOT_SENT):
        return ConnectFailed(f"{what}: {kind}, request not sent")
    if write:
        return ResponseLost(f"{what}: {kind} after the request was sent")
    return ReadInterrupted(f"{what}: {kind}")
