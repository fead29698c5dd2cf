"""Sends due web hooks as Shopify does: signed, with its headers, retried on failure."""

from __future__ import annotations

import asyncio

import httpx

from service.fakes.common.clock import Clock
from service.fakes.common.webhook_http import WebhookPoster, sign
from service.fakes.shopify.webhooks import Delivery, WebhookBook

USER_AGENT = "Shopify-Captain-Hook"

__all__ = ["USER_AGENT", "WebhookSender", "sign"]


class WebhookSender:
    """Delivers what is due; a failed delivery is retried on the configured schedule."""

    def __init__(self, book: WebhookBook, clock: Clock, *, shop_domain: str) -> None:
        self.book = book
        self._clock = clock
        self._shop_domain = shop_domain
        self._poster = WebhookPoster(timeout_s=book.config.timeout_s, user_agent=USER_AGENT)

    @property
    def transport(self) -> httpx.AsyncBaseTransport | None:
        """Where deliveries go instead of the network (tests route them into an app)."""
        return self._poster.transport

    @transport.setter
    def transport(self, value: httpx.AsyncBaseTransport | None) -> None:
        self._poster.transport = value

    def headers(self, delivery: Delivery) -> dict[str, str]:
        """Every header Shopify sends with a delivery (FACTS.md §2.1)."""
        secret = self.book.config.secret.get_secret_value()
        headers = {
            "Content-Type": "application/json",
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
        outcome = await self._poster.post(delivery.uri, delivery.body, self.headers(delivery))
        ok = outcome.status is not None and 200 <= outcome.status < 300  # noqa: PLR2004 - any 2xx
        delivery.attempts += 1
        delivery.log.append({"at": now, "outcome": outcome.label})
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
        await self._poster.aclose()
