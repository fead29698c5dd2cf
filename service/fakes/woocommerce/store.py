"""The fake store's whole state and everything tests, benchmarks and the admin API can do to it."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from service.fakes.common.admin import UnknownSeed
from service.fakes.common.clock import Clock, IdSequence
from service.fakes.common.faults import FaultDecision, FaultPlan
from service.fakes.common.ledger import Ledger, LedgerEntry
from service.fakes.woocommerce import seed as seeds
from service.fakes.woocommerce.catalog import Catalog
from service.fakes.woocommerce.config import FakeWooCommerceConfig, FaultConfig
from service.fakes.woocommerce.order_model import UNDELIVERED_STATUSES
from service.fakes.woocommerce.orders import OrderBook
from service.fakes.woocommerce.shapes_orders import order_json
from service.fakes.woocommerce.shapes_products import product_json
from service.fakes.woocommerce.times import SiteTime
from service.fakes.woocommerce.webhook_sender import WebhookSender
from service.fakes.woocommerce.webhooks import Delivery, DeliveryFaults, Webhook, WebhookBook
from service.fakes.woocommerce.wp_json import WooError

# One sequence for posts (products, variations, orders, refunds), as wp_posts has.
_ID_BASES = {"post": 100, "comment": 1000, "order_item": 1, "webhook": 1, "meta": 5000}


@dataclass(frozen=True)
class PickupLocation:
    """A Local Pickup location (the Checkout block's, FACTS.md §3.1)."""

    name: str
    address: str
    details: str
    enabled: bool = True


class FakeWooCommerce:
    """One store: catalog, orders, web hooks, ledger, clock, faults."""

    sender: WebhookSender

    def __init__(
        self, config: FakeWooCommerceConfig, *, now: Callable[[], float] = time.time
    ) -> None:
        self.config = config
        self.clock = Clock(now)
        self.time = SiteTime(config.utc_offset_minutes)
        self.rest_base = config.home_url.rstrip("/") + "/wp-json/wc/v3"
        self.fault_plan = FaultPlan(config.faults)
        self.requests: dict[str, int] = {}
        self.reset(config.seed)

    def reset(self, seed: str = "demo") -> None:
        """Throw all state away (ids, ledger and deliveries included) and load a seed."""
        if seed not in seeds.SEEDS:
            raise UnknownSeed(f"Unknown seed '{seed}'; use one of {sorted(seeds.SEEDS)}.")
        self.clock.set_offset(0)
        self.ids = IdSequence(_ID_BASES)
        self.ledger = Ledger(self.clock)
        self.catalog = Catalog(self.clock, self.ids)
        self.orders = OrderBook(
            clock=self.clock, ids=self.ids, ledger=self.ledger, catalog=self.catalog, emit=self.emit
        )
        self.webhooks = WebhookBook(self.clock, self.ids, self.ledger, self.config.webhooks)
        self.pickup_locations: list[PickupLocation] = []
        existing: WebhookSender | None = getattr(self, "sender", None)
        if existing is not None:  # keeps its HTTP client (and a test's transport)
            existing.book = self.webhooks
            existing.ledger = self.ledger
        else:
            self.sender = WebhookSender(
                self.webhooks,
                self.clock,
                self.ledger,
                payload=self.payload,
                source=self.config.home_url,
                user_agent=f"WooCommerce/{self.config.wc_version} Hookshot "
                f"(WordPress/{self.config.wp_version})",
            )
        self.requests = {}
        self.seed_name = seed
        seeds.SEEDS[seed](self)

    def add_pickup_location(self, name: str, *, address: str = "", details: str = "") -> None:
        """A pick-up location customers can choose at checkout."""
        self.pickup_locations.append(PickupLocation(name, address, details))

    # --- faults and request counts --------------------------------------------------------

    @property
    def faults(self) -> FaultConfig:
        """The fault configuration in force."""
        config = self.fault_plan.config
        assert isinstance(config, FaultConfig)  # noqa: S101 - only ever set from FaultConfig
        return config

    def set_faults(self, faults: FaultConfig) -> None:
        """Replace the fault configuration; the random sequence restarts from its seed."""
        self.fault_plan = FaultPlan(faults)

    def clear_faults(self) -> None:
        """No faults any more."""
        self.set_faults(FaultConfig())

    def decide_faults(self, *, method: str, route: str) -> FaultDecision:
        """The fault decision for one REST request (out of scope: none, and no draws)."""
        faults = self.faults
        write = method in {"POST", "PUT", "PATCH", "DELETE"}
        in_scope = (not faults.writes_only or write) and (
            faults.path_contains is None or faults.path_contains in route
        )
        return self.fault_plan.draw(in_scope=in_scope)

    def count_request(self, outcome: str) -> None:
        """Count one REST request by outcome (status, applied_then_drop ...)."""
        self.requests[outcome] = self.requests.get(outcome, 0) + 1

    # --- web hooks ------------------------------------------------------------------------

    def payload(self, hook: Webhook, resource_id: int) -> Any:  # noqa: ANN401 - JSON
        """A delivery's body, built from the resource as it is now (FACTS.md §2.1)."""
        if hook.event == "deleted":
            return {"id": resource_id}
        if hook.resource == "action":
            return {"action": hook.event, "arg": resource_id}
        order = self.orders.get(resource_id) if hook.resource == "order" else None
        product = self.catalog.get(resource_id) if hook.resource == "product" else None
        if order is not None:
            return order_json(order, self.time, self.rest_base)
        if product is not None:
            return product_json(product, self.catalog, self.time, self.rest_base)
        # The internal GET failed: WooCommerce sends the error it got as the body.
        code = "shop_order" if hook.resource == "order" else hook.resource
        return WooError(f"woocommerce_rest_{code}_invalid_id", "Invalid ID.", 404).body()

    def deliverable(self, resource: str, resource_id: int) -> bool:
        """Whether the resource's hooks deliver at all (drafts of orders do not)."""
        if resource == "order":
            order = self.orders.get(resource_id)
            return order is not None and order.status not in UNDELIVERED_STATUSES
        return True

    def emit(self, resource: str, event: str, resource_id: int) -> None:
        """A change the store made: queue it for every active web hook on the topic."""
        if not self.deliverable(resource, resource_id):
            return
        topic = f"{resource}.{event}"
        for hook in list(self.webhooks.hooks.values()):
            if hook.status == "active" and hook.topic == topic:
                self.webhooks.queue(hook, resource_id)

    def send_webhook(
        self, hook: Webhook, resource_id: int, faults: DeliveryFaults | None = None
    ) -> list[Delivery]:
        """Queue one delivery of ``resource_id`` to ``hook`` (admin API), with faults."""
        return self.webhooks.queue(hook, resource_id, faults)

    async def deliver_webhooks(self) -> int:
        """Send every delivery that is due now (tests call this; the server runs it in a loop)."""
        return await self.sender.deliver_due()

    # --- ledger ---------------------------------------------------------------------------

    def ledger_entries(
        self, *, kind: str | None = None, key: str | None = None
    ) -> list[LedgerEntry]:
        """Applied writes in order, optionally filtered."""
        return self.ledger.entries(kind=kind, key=key)
