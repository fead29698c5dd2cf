"""Sends due web hooks as WooCommerce does: body built now, signed, once, failures counted."""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import httpx

from service.fakes.common.clock import Clock
from service.fakes.common.ledger import Ledger
from service.fakes.common.webhook_http import PostOutcome, WebhookPoster, sign
from service.fakes.woocommerce.webhooks import Delivery, Webhook, WebhookBook
from service.fakes.woocommerce.wp_json import wp_json_encode

Payload = Callable[[Webhook, int], Any]
_SALT = b"fake-woocommerce-auth-salt"


def delivery_id(webhook_id: int, now: float) -> str:
    """``wp_hash($id . time())``: the same for every delivery of a hook within one second."""
    return hmac.new(_SALT, f"{webhook_id}{int(now)}".encode(), hashlib.md5).hexdigest()


def succeeded(outcome: PostOutcome) -> bool:
    """WooCommerce counts 2xx, 301 and 302 as delivered (FACTS.md §2.5)."""
    return outcome.status is not None and 200 <= outcome.status < 303  # noqa: PLR2004


@dataclass
class Ping:
    """One ping sent when a web hook was created."""

    webhook_id: int
    at: float
    outcome: str
    ok: bool


class WebhookSender:
    """Runs due deliveries one after another, as one Action Scheduler batch would."""

    def __init__(
        self,
        book: WebhookBook,
        clock: Clock,
        ledger: Ledger,
        *,
        payload: Payload,
        source: str,
        user_agent: str,
    ) -> None:
        self.book = book
        self.ledger = ledger
        self.payload = payload
        self._clock = clock
        self._source = source
        self._poster = WebhookPoster(timeout_s=book.config.timeout_s, user_agent=user_agent)
        self.pings: list[Ping] = []

    @property
    def transport(self) -> httpx.AsyncBaseTransport | None:
        """Where deliveries go instead of the network (tests route them into an app)."""
        return self._poster.transport

    @transport.setter
    def transport(self, value: httpx.AsyncBaseTransport | None) -> None:
        self._poster.transport = value

    def headers(self, hook: Webhook, body: bytes) -> dict[str, str]:
        """Every header of a delivery (FACTS.md §2.2); the signature is over these bytes."""
        return {
            "Content-Type": "application/json",
            "X-WC-Webhook-Source": self._source,
            "X-WC-Webhook-Topic": hook.topic,
            "X-WC-Webhook-Resource": hook.resource,
            "X-WC-Webhook-Event": hook.event,
            "X-WC-Webhook-Signature": sign(hook.secret, body),
            "X-WC-Webhook-ID": str(hook.id),
            "X-WC-Webhook-Delivery-ID": delivery_id(hook.id, self._clock.now()),
        }

    async def ping(self, hook: Webhook) -> Ping:
        """``webhook_id=N``, unsigned and without X-WC headers; only a 200 counts."""
        body = f"webhook_id={hook.id}".encode()
        outcome = await self._poster.post(
            hook.delivery_url,
            body,
            {"Content-Type": "application/x-www-form-urlencoded"},
        )
        ok = outcome.status == 200  # noqa: PLR2004 - exactly 200, not any success
        if ok:
            hook.pending_delivery = False
        ping = Ping(webhook_id=hook.id, at=self._clock.now(), outcome=outcome.label, ok=ok)
        self.pings.append(ping)
        return ping

    async def deliver_due(self) -> int:
        """Send every due delivery once; returns how many were attempted."""
        due = self.book.due()
        for delivery in due:
            delivery.state = "sending"  # taken: a concurrent pass must not send it too
        for delivery in due:
            await self._deliver(delivery)
        return len(due)

    async def _deliver(self, delivery: Delivery) -> None:
        hook = self.book.hooks.get(delivery.webhook_id)
        if hook is None:
            delivery.state = "abandoned"  # the web hook was deleted meanwhile
            return
        # Built now, not when the change happened: it shows the resource's current state.
        body = wp_json_encode(self.payload(hook, delivery.resource_id)).strip()
        headers = self.headers(hook, body)
        delivery.delivery_id = headers["X-WC-Webhook-Delivery-ID"]
        delivery.sent_at = self._clock.now()
        delivery.headers = headers
        delivery.body = body
        outcome = await self._poster.post(hook.delivery_url, body, headers)
        delivery.outcome = outcome.label
        if succeeded(outcome):
            hook.failure_count = 0
            delivery.state = "delivered"
            return
        # Never retried: the delivery is lost, only the hook's failure count remembers it.
        delivery.state = "failed"
        if hook.failure_count > self.book.config.max_failures:
            if hook.status != "disabled":
                self.ledger.record(
                    "webhook.disabled", f"webhook/{hook.id}", failure_count=hook.failure_count
                )
            hook.status = "disabled"
        else:
            hook.failure_count += 1

    async def aclose(self) -> None:
        """Close the outgoing HTTP client."""
        await self._poster.aclose()
