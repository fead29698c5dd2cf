"""Sends due web hooks as Shopify does: signed, with its headers, retried on failure."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac

import httpx

from service.fakes.shopify.clock import Clock
from service.fakes.shopify.webhooks import Delivery, WebhookBook

USER_AGENT = "Shopify-Captain-Hook"


def sign(secret: str, body: bytes) -> str:
    """X-Shopify-Hmac-Sha256: base64 of the HMAC-SHA256 of the raw body, keyed by the secret."""
    digest = hmac.new(secret.encode(), body, hashlib.sha256).digest()
    return base64.b64encode(digest).decode()


class WebhookSender:
    """Delivers what is due; a failed delivery is retried on the configured schedule."""

    def __init__(
        self,
        book: WebhookBook,
        clock: Clock,
        *,
        shop_domain: str,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.book = book
        self._clock = clock
        self._shop_domain = shop_domain
        self.transport = transport  # tests deliver into an in-process app with this
        self._client: httpx.AsyncClient | None = None

    def headers(self, delivery: Delivery) -> dict[str, str]:
        """Every header Shopify sends with a delivery (FACTS.md §2.1)."""
        secret = self.book.config.secret.get_secret_value()
        headers = {
            "Content-Type": "application/json",
            "User-Agent": USER_AGENT,
            "X-Shopify-Hmac-Sha256": sign(secret, delivery.body),
            "X-Shopify-Topic": delivery.topic,
            "X-Shopify-Shop-Domain": self._shop_domain,
            "X-Shopify-API-Version": delivery.api_version,
            "X-Shopify-Webhook-Id": delivery.webhook_id,
            "X-Shopify-Event-Id": delivery.event_id,
            "X-Shopify-Triggered-At": delivery.triggered_at,
        }
        if delivery.name:
            headers["X-Shopify-Name"] = delivery.name
        return headers

    def _http(self) -> httpx.AsyncClient:
        if self._client is None:
            timeout = self.book.config.timeout_s
            self._client = httpx.AsyncClient(
                transport=self.transport,
                timeout=httpx.Timeout(timeout, connect=min(1.0, timeout)),
                follow_redirects=False,
            )
        return self._client

    async def deliver_due(self) -> int:
        """Send every due delivery once (concurrently); returns how many were attempted."""
        due = self.book.due()
        for delivery in due:
            delivery.next_at = float("inf")  # taken: a concurrent pass must not send it too
        await asyncio.gather(*(self._attempt(d) for d in due))
        return len(due)

    async def _attempt(self, delivery: Delivery) -> None:
        now = self._clock.now()
        if delivery.subscription not in self.book.subscriptions:
            delivery.state = "abandoned"  # the subscription was deleted meanwhile
            return
        outcome: str
        try:
            response = await self._http().post(
                delivery.uri, content=delivery.body, headers=self.headers(delivery)
            )
            outcome = str(response.status_code)
            ok = response.is_success
        except httpx.HTTPError as exc:
            outcome = type(exc).__name__
            ok = False
        delivery.attempts += 1
        delivery.log.append({"at": now, "outcome": outcome})
        subscription = self.book.subscriptions.get(delivery.subscription)
        if ok:
            if subscription is not None:
                subscription.failures = 0
            if delivery.duplicate:
                # At-least-once: the same web hook (same ids, same body) comes again.
                delivery.duplicate = False
                delivery.next_at = self._clock.now()
                return
            delivery.state = "delivered"
            return
        self._failed(delivery)

    def _failed(self, delivery: Delivery) -> None:
        config = self.book.config
        subscription = self.book.subscriptions.get(delivery.subscription)
        if subscription is not None:
            subscription.failures += 1
            if (
                subscription.failures >= config.remove_after_failures
                and subscription.source == "api"
            ):
                self.book.unsubscribe(subscription.number, reason="removed")
                subscription = None
        retries = config.retry_schedule_s
        if subscription is None:
            delivery.state = "abandoned"
        elif delivery.attempts > len(retries):
            delivery.state = "failed"
        else:
            delivery.next_at = self._clock.now() + retries[delivery.attempts - 1]

    async def aclose(self) -> None:
        """Close the outgoing HTTP client."""
        if self._client is not None:
            await self._client.aclose()
            self._client = None
