"""The HTTP side of sending web hooks: the signature both shops use and one outgoing client."""

from __future__ import annotations

import base64
import hashlib
import hmac
from dataclasses import dataclass

import httpx


def sign(secret: str, body: bytes) -> str:
    """Base64 of the HMAC-SHA256 of the exact body, keyed by the secret.

    Shopify (``X-Shopify-Hmac-Sha256``) and WooCommerce (``X-WC-Webhook-Signature``)
    sign the same way.
    """
    digest = hmac.new(secret.encode(), body, hashlib.sha256).digest()
    return base64.b64encode(digest).decode()


@dataclass(frozen=True)
class PostOutcome:
    """What one delivery attempt got: a status, or the name of the transport error."""

    status: int | None
    error: str | None = None

    @property
    def label(self) -> str:
        """The status as text, or the error's name (for delivery logs)."""
        return str(self.status) if self.status is not None else str(self.error)


class WebhookPoster:
    """Posts deliveries; keeps one client, which tests can route into an in-process app."""

    def __init__(self, *, timeout_s: float, user_agent: str) -> None:
        self.transport: httpx.AsyncBaseTransport | None = None  # set by tests before sending
        self.timeout_s = timeout_s
        self._user_agent = user_agent
        self._client: httpx.AsyncClient | None = None

    def _http(self) -> httpx.AsyncClient:
        if self._client is None:
            self._client = httpx.AsyncClient(
                transport=self.transport,
                timeout=httpx.Timeout(self.timeout_s, connect=min(1.0, self.timeout_s)),
                follow_redirects=False,  # neither shop follows a redirect
                headers={"User-Agent": self._user_agent},
            )
        return self._client

    async def post(self, uri: str, body: bytes, headers: dict[str, str]) -> PostOutcome:
        """One attempt; never raises for what the receiver or the network does."""
        try:
            response = await self._http().post(uri, content=body, headers=headers)
        except httpx.HTTPError as exc:
            return PostOutcome(status=None, error=type(exc).__name__)
        return PostOutcome(status=response.status_code)

    async def aclose(self) -> None:
        """Close the outgoing HTTP client."""
        if self._client is not None:
            await self._client.aclose()
            self._client = None
