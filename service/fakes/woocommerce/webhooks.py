"""Web hooks: records, topics, and the queue of deliveries (merged per hook and resource)."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from service.fakes.common.clock import Clock, IdSequence
from service.fakes.common.ledger import Ledger
from service.fakes.woocommerce.config import WebhookConfig
from service.fakes.woocommerce.wp_json import WooError

RESOURCES = ("coupon", "customer", "order", "product")
EVENTS = ("created", "updated", "deleted", "restored")
STATUSES = ("active", "paused", "disabled")
# What core hooks each topic listens to (FACTS.md §1.1), shown in the REST resource.
TOPIC_HOOKS = {
    "order.created": ["woocommerce_new_order"],
    "order.updated": [
        "woocommerce_update_order",
        "woocommerce_order_refunded",
        "woocommerce_delete_order_refund",
    ],
    "order.deleted": ["wp_trash_post", "woocommerce_trash_order"],
    "order.restored": ["untrashed_post", "woocommerce_untrash_order"],
    "product.created": [
        "woocommerce_process_product_meta",
        "woocommerce_new_product",
        "woocommerce_new_product_variation",
    ],
    "product.updated": [
        "woocommerce_process_product_meta",
        "woocommerce_update_product",
        "woocommerce_update_product_variation",
    ],
    "product.deleted": ["wp_trash_post"],
    "product.restored": ["untrashed_post"],
}
_ACTION_BLOCKLIST = frozenset(
    {
        "action.woocommerce_login_credentials",
        "action.woocommerce_product_csv_importer_check_import_file_path",
        "action.woocommerce_webhook_should_deliver",
    }
)


def valid_topic(topic: str) -> bool:
    """``wc_is_webhook_valid_topic``: resource.event, or action.<a woocommerce_/wc_ hook>."""
    if topic.startswith("action."):
        hook = topic.removeprefix("action.")
        return topic not in _ACTION_BLOCKLIST and hook.startswith(("woocommerce_", "wc_"))
    resource, _, event = topic.partition(".")
    return resource in RESOURCES and event in EVENTS


@dataclass
class Webhook:
    """One web hook."""

    id: int
    name: str
    status: str
    topic: str
    delivery_url: str
    secret: str
    user_id: int
    created_at: float
    modified_at: float
    api_version: int = 3
    failure_count: int = 0
    pending_delivery: bool = True

    @property
    def resource(self) -> str:
        """order, product, ... (or action)."""
        return self.topic.partition(".")[0]

    @property
    def event(self) -> str:
        """created, updated, ... (or the action's hook)."""
        return self.topic.partition(".")[2]

    @property
    def hooks(self) -> list[str]:
        """The core hooks that trigger the topic."""
        if self.resource == "action":
            return [self.event]
        return list(TOPIC_HOOKS.get(self.topic, []))


@dataclass(frozen=True)
class DeliveryFaults:
    """What to do to one queued delivery (set per send through the admin API)."""

    drop: bool = False
    duplicate: bool = False
    delay_s: float = 0.0
    merge: bool = True  # False: queue a separate delivery even when one is pending


@dataclass
class Delivery:
    """One queued delivery (an Action Scheduler action) and, once sent, what happened."""

    seq: int
    webhook_id: int
    topic: str
    resource_id: int
    queued_at: float
    due_at: float
    state: str = "pending"  # pending, delivered, failed, dropped, abandoned
    merged: int = 0  # changes folded into this delivery after it was queued
    delivery_id: str | None = None
    sent_at: float | None = None
    outcome: str | None = None
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""

    def to_json(self) -> dict[str, Any]:
        """What the admin API shows about a delivery."""
        return {
            "seq": self.seq,
            "webhook_id": self.webhook_id,
            "topic": self.topic,
            "resource_id": self.resource_id,
            "state": self.state,
            "queued_at": self.queued_at,
            "due_at": self.due_at,
            "merged": self.merged,
            "delivery_id": self.delivery_id,
            "sent_at": self.sent_at,
            "outcome": self.outcome,
            "headers": self.headers,
            "body": self.body.decode() if self.body else None,
        }


class WebhookBook:
    """The store's web hooks and its queue of deliveries."""

    def __init__(
        self, clock: Clock, ids: IdSequence, ledger: Ledger, config: WebhookConfig
    ) -> None:
        self._clock = clock
        self._ids = ids
        self._ledger = ledger
        self.config = config
        self._rng = random.Random(config.seed)  # noqa: S311 - reproducible test faults
        self.hooks: dict[int, Webhook] = {}
        self.deliveries: list[Delivery] = []

    def create(
        self,
        *,
        topic: str,
        delivery_url: str,
        secret: str,
        name: str | None = None,
        status: str = "active",
        user_id: int = 1,
    ) -> Webhook:
        """A new web hook, refused with WooCommerce's errors for a bad topic or URL."""
        check_topic(topic)
        check_url(delivery_url)
        now = self._clock.now()
        hook = Webhook(
            id=self._ids.next("webhook"),
            name=name or "Webhook created by sitoo-sync",
            status=status,
            topic=topic.lower(),
            delivery_url=delivery_url,
            secret=secret,
            user_id=user_id,
            created_at=now,
            modified_at=now,
        )
        self.hooks[hook.id] = hook
        self._ledger.record("webhook.create", f"webhook/{hook.id}", topic=hook.topic)
        return hook

    def delete(self, number: int) -> Webhook | None:
        """Remove a web hook; its queued deliveries are abandoned when their time comes."""
        hook = self.hooks.pop(number, None)
        if hook is not None:
            self._ledger.record("webhook.delete", f"webhook/{number}", topic=hook.topic)
        return hook

    def queue(
        self, hook: Webhook, resource_id: int, faults: DeliveryFaults | None = None
    ) -> list[Delivery]:
        """Schedule delivery of ``resource_id`` to ``hook``.

        An action for the same hook and resource that is still pending absorbs this one
        (FACTS.md §2.1: one delivery every ten minutes at most); the body is built when
        it is sent, so it shows the latest state either way.
        """
        cfg = self.config
        draw_drop, draw_dup, draw_delay = (self._rng.random() for _ in range(3))
        chosen = faults or DeliveryFaults(
            drop=draw_drop < cfg.drop_rate,
            duplicate=draw_dup < cfg.duplicate_rate,
            delay_s=draw_delay * cfg.max_delay_s,
        )
        if chosen.merge:
            for pending in self.deliveries:
                if (
                    pending.state == "pending"
                    and pending.webhook_id == hook.id
                    and pending.resource_id == resource_id
                ):
                    pending.merged += 1
                    return [pending]
        now = self._clock.now()
        made: list[Delivery] = []
        for _ in range(2 if chosen.duplicate else 1):
            delivery = Delivery(
                seq=len(self.deliveries) + 1,
                webhook_id=hook.id,
                topic=hook.topic,
                resource_id=resource_id,
                queued_at=now,
                due_at=now + cfg.queue_delay_s + chosen.delay_s,
                state="dropped" if chosen.drop else "pending",
            )
            self.deliveries.append(delivery)
            made.append(delivery)
        return made

    def due(self) -> list[Delivery]:
        """Pending deliveries whose time has come, earliest first."""
        now = self._clock.now()
        ready = [d for d in self.deliveries if d.state == "pending" and d.due_at <= now]
        return sorted(ready, key=lambda d: (d.due_at, d.seq))


def check_topic(topic: str) -> None:
    """woocommerce_rest_shop_webhook_invalid_topic unless the topic is valid."""
    if not valid_topic(topic.lower()):
        raise WooError(
            "woocommerce_rest_shop_webhook_invalid_topic",
            "Webhook topic is required and must be valid.",
            400,
        )


def check_url(url: str) -> None:
    """woocommerce_rest_shop_webhook_invalid_delivery_url unless http(s) with a host."""
    parts = urlsplit(url)
    if parts.scheme not in {"http", "https"} or not parts.netloc:
        raise WooError(
            "woocommerce_rest_shop_webhook_invalid_delivery_url",
            "Webhook delivery URL must be a valid URL starting with http:// or https://.",
            400,
        )
