"""The Shopify Admin GraphQL client: typed calls, one error tree, cost-aware, writes once.

See ``docs/shopify-client.md`` for how each write is made to take effect once.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from service.adapters.shopify import queries
from service.adapters.shopify.calls import nodes
from service.adapters.shopify.engine import GraphQLEngine
from service.adapters.shopify.giftcards import GiftCardCalls
from service.adapters.shopify.inventory import InventoryCalls
from service.adapters.shopify.models import Location, Shop, WebhookSubscription, parsed
from service.adapters.shopify.orders import OrderCalls
from service.adapters.shopify.protocol import raise_user_errors, user_errors

if TYPE_CHECKING:
    import httpx

    from service.adapters.shopify.throttle import CostBudget
    from service.settings_shopify import ShopifySettings


def _subscription(raw: Any) -> WebhookSubscription:  # noqa: ANN401 - raw JSON
    uri = raw.get("uri") or (raw.get("endpoint") or {}).get("callbackUrl")
    return WebhookSubscription(id=raw["id"], topic=raw["topic"], uri=uri)


class ShopifyClient(InventoryCalls, OrderCalls, GiftCardCalls):
    """Typed access to one shop's Admin API (one per process)."""

    def __init__(
        self,
        *,
        http: httpx.AsyncClient,
        settings: ShopifySettings,
        budget: CostBudget | None = None,
    ) -> None:
        engine = GraphQLEngine(http, settings, budget=budget)
        super().__init__(engine, batch_size=settings.inventory_batch_size)

    @property
    def engine(self) -> GraphQLEngine:
        """The request engine (its budget and spent cost are useful to metrics)."""
        return self._engine

    async def granted_scopes(self) -> frozenset[str]:
        """The access scopes the app's token was granted."""
        data = await self._engine.query(queries.APP_SCOPES, {})
        installation = data.get("currentAppInstallation") or {}
        return frozenset(s["handle"] for s in installation.get("accessScopes") or [])

    async def shop(self) -> Shop:
        """The shop the token opens (a cheap check that token and address are right)."""
        data = await self._engine.query(queries.SHOP, {})
        return parsed(
            lambda s: Shop(
                name=s["name"], domain=s["myshopifyDomain"], currency_code=s["currencyCode"]
            ),
            data["shop"],
            what="shop",
        )

    async def locations(self) -> list[Location]:
        """Every location, inactive ones included."""
        found: list[Location] = []
        after: str | None = None
        while True:
            data = await self._engine.query(
                queries.LOCATIONS, {"first": queries.LOCATIONS_PAGE, "after": after}
            )
            connection = data["locations"]
            found.extend(
                parsed(
                    lambda n: Location(
                        id=n["id"],
                        legacy_id=int(n["legacyResourceId"]),
                        name=n["name"],
                        is_active=n["isActive"],
                    ),
                    raw,
                    what="locations",
                )
                for raw in nodes(connection)
            )
            page = connection.get("pageInfo") or {}
            if not page.get("hasNextPage"):
                return found
            after = page.get("endCursor")

    async def webhook_subscriptions(self) -> list[WebhookSubscription]:
        """This app's shop-specific subscriptions."""
        found: list[WebhookSubscription] = []
        after: str | None = None
        while True:
            data = await self._engine.query(
                queries.webhook_subscriptions(self.version), {"first": 100, "after": after}
            )
            connection = data["webhookSubscriptions"]
            found.extend(
                parsed(_subscription, raw, what="webhookSubscriptions") for raw in nodes(connection)
            )
            page = connection.get("pageInfo") or {}
            if not page.get("hasNextPage"):
                return found
            after = page.get("endCursor")

    async def subscribe_webhook(self, topic: str, uri: str) -> WebhookSubscription:
        """Subscribe ``topic`` (GraphQL enum, e.g. ORDERS_CREATE) to ``uri``; once."""

        async def existing() -> WebhookSubscription | None:
            for found in await self.webhook_subscriptions():
                if found.topic == topic and found.uri == uri:
                    return found
            return None

        address = {"uri": uri} if self.version >= "2025-10" else {"callbackUrl": uri}

        async def write() -> WebhookSubscription:
            answer = await self._engine.mutate(
                queries.webhook_subscription_create(self.version),
                {"topic": topic, "webhookSubscription": {**address, "format": "JSON"}},
                repeatable=False,
            )
            payload = answer["webhookSubscriptionCreate"]
            errors = user_errors(payload)
            if errors:
                found = await existing()
                if found is not None:
                    return found
            raise_user_errors(errors, what="webhookSubscriptionCreate")
            return WebhookSubscription(
                id=payload["webhookSubscription"]["id"], topic=topic, uri=uri
            )

        return await self._engine.write_once(
            "webhookSubscriptionCreate", write=write, reconcile=existing, unknown=True
        )

    async def delete_webhook_subscription(self, subscription_id: str) -> None:
        """Delete a subscription (one that is already gone counts as deleted)."""
        answer = await self._engine.mutate(
            queries.WEBHOOK_SUBSCRIPTION_DELETE, {"id": subscription_id}, repeatable=True
        )
        payload = answer["webhookSubscriptionDelete"]
        errors = user_errors(payload)
        if errors and not any("does not exist" in e.message for e in errors):
            raise_user_errors(errors, what="webhookSubscriptionDelete")
