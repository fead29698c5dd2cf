"""Web-hook subscriptions, the events the shop raises and the deliveries they fan out into."""

from __future__ import annotations

import json
import random
import uuid
from dataclasses import dataclass, field
from typing import Any, Literal
from urllib.parse import urlsplit

from service.fakes.common.clock import Clock
from service.fakes.common.ledger import Ledger
from service.fakes.shopify.clock import IdSequence
from service.fakes.shopify.config import WebhookConfig

Source = Literal["api", "app"]  # created through GraphQL, or declared in the app's TOML
DeliveryState = Literal["pending", "delivered", "failed", "dropped", "abandoned"]

# The topics the fake raises (REST style) and their GraphQL enum names.
TOPICS = (
    "orders/create",
    "orders/updated",
    "orders/cancelled",
    "orders/paid",
    "orders/fulfilled",
    "refunds/create",
    "order_transactions/create",
    "inventory_levels/update",
    "fulfillment_orders/order_routing_complete",
)


def topic_enum(topic: str) -> str:
    """orders/create -> ORDERS_CREATE."""
    return topic.replace("/", "_").upper()


def topic_from_enum(name: str) -> str | None:
    """ORDERS_CREATE -> orders/create (None for a topic the fake does not raise)."""
    for topic in TOPICS:
        if topic_enum(topic) == name:
            return topic
    return None


class SubscriptionRefused(Exception):
    """A subscription Shopify refuses with a userError."""

    def __init__(self, message: str, field: list[str]) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


@dataclass
class Subscription:
    """Where one topic is delivered."""

    number: int
    topic: str
    uri: str
    source: Source
    name: str | None = None
    include_fields: list[str] = field(default_factory=list)
    filter: str | None = None
    failures: int = 0  # consecutive failed deliveries
    created_at: float = 0.0
    updated_at: float = 0.0


@dataclass
class Delivery:
    """One web hook to one subscription: same ids and body on every retry."""

    seq: int
    webhook_id: str
    event_id: str
    topic: str
    subscription: int
    uri: str
    name: str | None
    body: bytes
    triggered_at: str
    api_version: str
    next_at: float
    duplicate: bool = False
    attempts: int = 0
    state: DeliveryState = "pending"
    log: list[dict[str, Any]] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        """What the admin API shows about a delivery."""
        return {
            "seq": self.seq,
            "webhook_id": self.webhook_id,
            "event_id": self.event_id,
            "topic": self.topic,
            "subscription_id": self.subscription,
            "uri": self.uri,
            "state": self.state,
            "attempts": self.attempts,
            "next_at": self.next_at,
            "duplicate": self.duplicate,
            "triggered_at": self.triggered_at,
            "log": self.log,
            "body": json.loads(self.body),
        }


@dataclass(frozen=True)
class DeliveryFaults:
    """What to do to the deliveries of one event (set per send through the admin API)."""

    drop: bool = False
    duplicate: bool = False
    delay_s: float = 0.0


class WebhookBook:
    """Subscriptions and the queue of deliveries."""

    def __init__(
        self, clock: Clock, ids: IdSequence, ledger: Ledger, config: WebhookConfig
    ) -> None:
        self._clock = clock
        self._ids = ids
        self._ledger = ledger
        self.config = config
        self._rng = random.Random(config.seed)  # noqa: S311 - reproducible test faults
        self.subscriptions: dict[int, Subscription] = {}
        self.deliveries: list[Delivery] = []

    def _uuid(self) -> str:
        return str(uuid.UUID(int=self._rng.getrandbits(128), version=4))

    def subscribe(
        self,
        topic: str,
        uri: str,
        *,
        source: Source = "api",
        name: str | None = None,
        include_fields: list[str] | None = None,
        filter_text: str | None = None,
    ) -> Subscription:
        """A new subscription; the same topic and address twice is refused."""
        parts = urlsplit(uri)
        if parts.scheme not in {"http", "https"} or not parts.netloc:
            raise SubscriptionRefused("Address is invalid", ["webhookSubscription", "callbackUrl"])
        if parts.scheme == "http" and parts.hostname not in self.config.insecure_hosts:
            raise SubscriptionRefused(
                "Address protocol http:// is not supported",
                ["webhookSubscription", "callbackUrl"],
            )
        if any(s.topic == topic and s.uri == uri for s in self.subscriptions.values()):
            raise SubscriptionRefused(
                "Address for this topic has already been taken",
                ["webhookSubscription", "callbackUrl"],
            )
        now = self._clock.now()
        subscription = Subscription(
            self._ids.next("WebhookSubscription"),
            topic,
            uri,
            source,
            name=name,
            include_fields=list(include_fields or []),
            filter=filter_text,
            created_at=now,
            updated_at=now,
        )
        self.subscriptions[subscription.number] = subscription
        self._ledger.record(
            "webhook_subscription.create",
            f"WebhookSubscription/{subscription.number}",
            topic=topic,
            uri=uri,
            source=source,
        )
        return subscription

    def unsubscribe(self, number: int, *, reason: str = "deleted") -> bool:
        """Delete a subscription; False when there is none."""
        subscription = self.subscriptions.pop(number, None)
        if subscription is None:
            return False
        self._ledger.record(
            f"webhook_subscription.{reason}",
            f"WebhookSubscription/{number}",
            topic=subscription.topic,
        )
        return True

    def raise_event(
        self,
        topic: str,
        payload: dict[str, Any],
        *,
        triggered_at: str,
        faults: DeliveryFaults | None = None,
        only: int | None = None,
    ) -> list[Delivery]:
        """One event, one delivery per matching subscription (fan-out copies share the event id)."""
        event_id = self._uuid()
        made: list[Delivery] = []
        for subscription in list(self.subscriptions.values()):
            if subscription.topic != topic or (only is not None and subscription.number != only):
                continue
            made.append(self._delivery(subscription, event_id, payload, triggered_at, faults))
        return made

    def _delivery(
        self,
        subscription: Subscription,
        event_id: str,
        payload: dict[str, Any],
        triggered_at: str,
        faults: DeliveryFaults | None,
    ) -> Delivery:
        cfg = self.config
        # Fixed draws per delivery so one rate does not shift the others' sequence.
        draw_drop, draw_dup, draw_delay = (self._rng.random() for _ in range(3))
        chosen = faults or DeliveryFaults(
            drop=draw_drop < cfg.drop_rate,
            duplicate=draw_dup < cfg.duplicate_rate,
            delay_s=draw_delay * cfg.max_delay_s,
        )
        body = payload
        if subscription.include_fields:
            body = {k: v for k, v in payload.items() if k in subscription.include_fields}
        delivery = Delivery(
            seq=len(self.deliveries) + 1,
            webhook_id=self._uuid(),
            event_id=event_id,
            topic=subscription.topic,
            subscription=subscription.number,
            uri=subscription.uri,
            name=subscription.name,
            body=json.dumps(body, separators=(",", ":")).encode(),
            triggered_at=triggered_at,
            api_version=cfg.api_version,
            next_at=self._clock.now() + chosen.delay_s,
            duplicate=chosen.duplicate,
            state="dropped" if chosen.drop else "pending",
        )
        self.deliveries.append(delivery)
        return delivery

    def due(self) -> list[Delivery]:
        """Pending deliveries whose time has come, earliest first."""
        now = self._clock.now()
        ready = [d for d in self.deliveries if d.state == "pending" and d.next_at <= now]
        return sorted(ready, key=lambda d: (d.next_at, d.seq))
