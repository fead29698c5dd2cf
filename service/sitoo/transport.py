"""The one httpx.AsyncClient per process, and how its exceptions map onto our error tree."""

from __future__ import annotations

import httpx

from service import __version__
from service.settings import SitooCredential, SitooSettings
from service.sitoo.errors import ConnectFailed, ReadInterrupted, ResponseLost, SitooError

USER_AGENT = f"sitoo-sync/{__version__}"
# Failures that happen before a single byte of the request reaches Sitoo.
_NOT_SENT = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout)


def build_http_client(
    settings: SitooSettings,
    transport: httpx.AsyncBaseTransport | None = None,
    *,
    base_url: str | None = None,
) -> httpx.AsyncClient:
    """The process-wide Sitoo HTTP client (credentials are chosen per request by the limiter).

    ``base_url`` overrides ``settings.base_url``; the composition root passes the
    sandbox's URL when no real Sitoo is configured.
    """
    url = base_url if base_url is not None else settings.base_url
    if url is None:
        raise ValueError("no Sitoo base URL: configure SITOO_SYNC_SITOO__BASE_URL")
    connections = max(4, 2 * settings.max_in_flight * max(1, len(settings.credentials())))
    return httpx.AsyncClient(
        base_url=str(url).rstrip("/") + "/",
        timeout=httpx.Timeout(
            connect=settings.connect_timeout_s,
            read=settings.read_timeout_s,
            write=settings.read_timeout_s,
            pool=settings.connect_timeout_s,
        ),
        limits=httpx.Limits(
            max_connections=connections,
            max_keepalive_connections=connections,
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


def basic_auth(credential: SitooCredential) -> httpx.BasicAuth:
    """HTTP Basic auth for one API user."""
    return httpx.BasicAuth(credential.api_id, credential.api_password.get_secret_value())


def error_from_transport(exc: httpx.TransportError, *, write: bool, what: str) -> SitooError:
    """Classify an httpx failure: never sent, lost after a write, or a read to repeat."""
    kind = type(exc).__name__
    if isinstance(exc, _NOT_SENT):
        return ConnectFailed(f"{what}: {kind}, request not sent")
    if write:
        return ResponseLost(f"{what}: {kind} after the request was sent")
    return ReadInterrupted(f"{what}: {kind}")
