"""The fake shop's whole state and everything tests, benchmarks and the admin API can do to it."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from service.fakes.common.admin import UnknownSeed
from service.fakes.common.clock import Clock
from service.fakes.common.ledger import Ledger, LedgerEntry
from service.fakes.shopify import seed as seeds
from service.fakes.shopify.bucket import CostBuckets
from service.fakes.shopify.catalog import Catalog
from service.fakes.shopify.clock import IdSequence, iso_precise
from service.fakes.shopify.config import FakeShopifyConfig, FaultConfig
from service.fakes.shopify.faults import FaultPlan
from service.fakes.shopify.giftcards import GiftCardBook
from service.fakes.shopify.idempotency import IdempotencyKeys
from service.fakes.shopify.orders import OrderBook
from service.fakes.shopify.rest_shapes import RestShapes
from service.fakes.shopify.webhook_sender import WebhookSender
from service.fakes.shopify.webhooks import Delivery, DeliveryFaults, WebhookBook


class FakeShopify:
    """One shop: catalog, orders, gift cards, subscriptions, ledger, clock, buckets, faults."""

    sender: WebhookSender

    def __init__(self, config: FakeShopifyConfig, *, now: Callable[[], float] = time.time) -> None:
        self.config = config
        self.clock = Clock(now)
        self.fault_plan = FaultPlan(config.faults)
        self.requests: dict[str, int] = {}
        self.reset(config.seed)

    def reset(self, seed: str = "demo") -> None:
        """Throw all state away (ids, ledger, buckets and deliveries included) and load a seed."""
        if seed not in seeds.SEEDS:
            raise UnknownSeed(f"Unknown seed '{seed}'; use one of {sorted(seeds.SEEDS)}.")
        self.clock.set_offset(0)
        self.ids = IdSequence()
        self.ledger = Ledger(self.clock)
        self.catalog = Catalog(self.clock, self.ids)
        self.giftcards = GiftCardBook(self.clock, self.ids, self.ledger, self.config.currency)
        self.orders = OrderBook(
            clock=self.clock,
            ids=self.ids,
            ledger=self.ledger,
            catalog=self.catalog,
            giftcards=self.giftcards,
            emit=self.emit,
        )
        self.shapes = RestShapes(self.catalog, self.orders)
        self.webhooks = WebhookBook(self.clock, self.ids, self.ledger, self.config.webhooks)
        existing: WebhookSender | None = getattr(self, "sender", None)
        if existing is not None:
            existing.book = self.webhooks  # keeps its HTTP client (and a test's transport)
        else:
            self.sender = WebhookSender(
                self.webhooks, self.clock, shop_domain=self.config.shop_domain
            )
        self.buckets = CostBuckets(
            self.clock, size=self.config.bucket_size, restore_rate=self.config.restore_rate
        )
        self.idempotency = IdempotencyKeys(self.clock, self.config.idempotency_retention_s)
        self.jobs: dict[int, bool] = {}
        self.requests = {}
        self.seed_name = seed
        seeds.SEEDS[seed](self)

    # --- faults --------------------------------------------------------------------------

    @property
    def faults(self) -> FaultConfig:
        """The fault configuration in force."""
        return self.fault_plan.config

    def set_faults(self, faults: FaultConfig) -> None:
        """Replace the fault configuration; the random sequence restarts from its seed."""
        self.fault_plan = FaultPlan(faults)

    def clear_faults(self) -> None:
        """No faults any more."""
        self.set_faults(FaultConfig())

    def count_request(self, outcome: str) -> None:
        """Count one Admin API request by outcome (status, THROTTLED, dropped ...)."""
        self.requests[outcome] = self.requests.get(outcome, 0) + 1

    # --- web hooks -----------------------------------------------------------------------

    def emit(self, topic: str, kind: str, number: int) -> None:
        """Raise the event for a change the shop made (payload taken now, as at trigger time)."""
        if not any(s.topic == topic for s in self.webhooks.subscriptions.values()):
            return
        self.send_webhook(topic, self.shapes.payload(kind, number))

    def send_webhook(
        self,
        topic: str,
        payload: dict[str, Any],
        *,
        faults: DeliveryFaults | None = None,
        only: int | None = None,
    ) -> list[Delivery]:
        """Queue one event for every subscription to the topic (or only one subscription)."""
        return self.webhooks.raise_event(
            topic,
            payload,
            triggered_at=iso_precise(self.clock.now()),
            faults=faults,
            only=only,
        )

    async def deliver_webhooks(self) -> int:
        """Send every delivery that is due now (tests call this; the server runs it in a loop)."""
        return await self.sender.deliver_due()

    # --- ledger --------------------------------------------------------------------------

    def ledger_entries(
        self, *, kind: str | None = None, key: str | None = None
    ) -> list[LedgerEntry]:
        """Applied writes in order, optionally filtered."""
        return self.ledger.entries(kind=kind, key=key)
