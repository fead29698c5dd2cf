"""The root query fields: shop, nodes, locations, variants, inventory, orders, gift cards, hooks."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from graphql import GraphQLResolveInfo

from service.fakes.shopify import search
from service.fakes.shopify.access import context, require
from service.fakes.shopify.ids import gid, number_of, parse_gid
from service.fakes.shopify.mutations_webhooks import subscription_view
from service.fakes.shopify.pagination import connection
from service.fakes.shopify.views_catalog import inventory_item, location, variant
from service.fakes.shopify.views_giftcards import giftcard
from service.fakes.shopify.views_orders import fulfillment, fulfillment_order, order_view, refund

if TYPE_CHECKING:
    from service.fakes.shopify.shop import FakeShopify

_ORDER_SORT = {
    "ID": lambda o: [o.number],
    "UPDATED_AT": lambda o: [o.updated_at, o.number],
    "CREATED_AT": lambda o: [o.created_at, o.number],
    "PROCESSED_AT": lambda o: [o.processed_at, o.number],
    "ORDER_NUMBER": lambda o: [o.order_number, o.number],
}
_ORDER_FIELDS = {
    "id": lambda o: o.number,
    "updated_at": lambda o: o.updated_at,
    "created_at": lambda o: o.created_at,
    "processed_at": lambda o: o.processed_at,
    "name": lambda o: o.name,
    "tag": lambda o: o.tags,
    "financial_status": lambda o: o.financial_status,
    "status": lambda o: "cancelled" if o.cancelled_at else ("closed" if o.closed_at else "open"),
}


def _node(shop: FakeShopify, value: str) -> dict[str, Any] | None:
    parsed = parse_gid(value)
    if parsed is None:
        return None
    kind, number = parsed
    views: dict[str, Any] = {
        "Order": (shop.orders.orders, lambda x: order_view(shop, x)),
        "Location": (shop.catalog.locations, lambda x: location(shop, x)),
        "ProductVariant": (shop.catalog.variants, lambda x: variant(shop, x)),
        "InventoryItem": (shop.catalog.items, lambda x: inventory_item(shop, x)),
        "GiftCard": (shop.giftcards.cards, lambda x: giftcard(shop, x)),
        "FulfillmentOrder": (shop.orders.fulfillment_orders, lambda x: fulfillment_order(shop, x)),
        "Fulfillment": (shop.orders.fulfillments, lambda x: fulfillment(shop, x.number)),
        "Refund": (shop.orders.refunds, lambda x: refund(shop, x)),
        "WebhookSubscription": (shop.webhooks.subscriptions, lambda x: subscription_view(shop, x)),
    }
    if kind not in views:
        return None
    table, view = views[kind]
    found = table.get(number)
    return None if found is None else view(found)


def node(info: GraphQLResolveInfo, id: str) -> dict[str, Any] | None:
    """Any object by gid."""
    return _node(context(info).shop, id)


def nodes(info: GraphQLResolveInfo, ids: list[str]) -> list[dict[str, Any] | None]:
    """Objects by gid, null for each unknown one (at most 250)."""
    from graphql import GraphQLError  # noqa: PLC0415

    if len(ids) > 250:  # noqa: PLR2004 - Shopify's input array cap
        raise GraphQLError(
            f"The input array size of {len(ids)} is greater than the maximum allowed of 250.",
            extensions={"code": "MAX_INPUT_SIZE_EXCEEDED"},
        )
    shop = context(info).shop
    return [_node(shop, value) for value in ids]


def shop_view(info: GraphQLResolveInfo) -> dict[str, Any]:
    """The shop itself."""
    shop = context(info).shop
    return {
        "__typename": "Shop",
        "id": gid("Shop", 1),
        "name": shop.config.shop_name,
        "myshopifyDomain": shop.config.shop_domain,
        "currencyCode": shop.config.currency,
    }


def current_app_installation(info: GraphQLResolveInfo) -> dict[str, Any]:
    """The calling app's installation: the scopes its token was granted (needs none)."""
    return {
        "__typename": "AppInstallation",
        "id": gid("AppInstallation", 1),
        "accessScopes": [
            {"handle": scope, "description": scope} for scope in sorted(context(info).scopes)
        ],
    }


def public_api_versions(info: GraphQLResolveInfo) -> list[dict[str, Any]]:
    """The versions the fake serves."""
    return [
        {"handle": v, "displayName": v, "supported": True}
        for v in context(info).shop.config.versions
    ]


def job(info: GraphQLResolveInfo, id: str) -> dict[str, Any] | None:
    """A job (cancels are done by the time anyone asks)."""
    number = number_of(id, "Job")
    if number is None or number not in context(info).shop.jobs:
        return None
    return {"id": id, "done": True}


def location_one(info: GraphQLResolveInfo, id: str | None = None) -> dict[str, Any] | None:
    """A location by gid, or the shop's primary (first) location."""
    require(info, "read_locations")
    shop = context(info).shop
    if id is None:
        first = min(shop.catalog.locations, default=None)
        return None if first is None else location(shop, shop.catalog.locations[first])
    number = number_of(id, "Location")
    found = shop.catalog.locations.get(number) if number is not None else None
    return None if found is None else location(shop, found)


def locations(
    info: GraphQLResolveInfo, query: str | None = None, includeInactive: bool = False, **args: Any
) -> dict[str, Any]:
    """Locations (active only unless asked)."""
    require(info, "read_locations")
    shop = context(info).shop
    groups = search.parse(query)
    fields = {"name": lambda x: x.name, "id": lambda x: x.number}
    found = [
        x
        for x in shop.catalog.locations.values()
        if (includeInactive or x.is_active) and search.matches(x, groups, fields)
    ]
    return connection(found, args, key=lambda x: [x.number], view=lambda x: location(shop, x))


def product_variant(info: GraphQLResolveInfo, id: str) -> dict[str, Any] | None:
    """A variant by gid."""
    require(info, "read_products")
    shop = context(info).shop
    number = number_of(id, "ProductVariant")
    found = shop.catalog.variants.get(number) if number is not None else None
    return None if found is None else variant(shop, found)


def product_variants(
    info: GraphQLResolveInfo, query: str | None = None, **args: Any
) -> dict[str, Any]:
    """Variants, e.g. query: "sku:ABC-1 OR sku:ABC-2" (exact, case-insensitive)."""
    require(info, "read_products")
    shop = context(info).shop
    fields = {
        "sku": lambda v: v.sku,
        "id": lambda v: v.number,
        "product_id": lambda v: v.product,
        "title": lambda v: v.title,
        "updated_at": lambda v: v.updated_at,
    }
    groups = search.parse(query)
    found = [v for v in shop.catalog.variants.values() if search.matches(v, groups, fields)]
    return connection(found, args, key=lambda v: [v.number], view=lambda v: variant(shop, v))


def inventory_item_one(info: GraphQLResolveInfo, id: str) -> dict[str, Any] | None:
    """An inventory item by gid."""
    require(info, "read_inventory")
    shop = context(info).shop
    number = number_of(id, "InventoryItem")
    found = shop.catalog.items.get(number) if number is not None else None
    return None if found is None else inventory_item(shop, found)


def inventory_items(
    info: GraphQLResolveInfo, query: str | None = None, **args: Any
) -> dict[str, Any]:
    """Inventory items, e.g. query: "sku:ABC-1"."""
    require(info, "read_inventory")
    shop = context(info).shop
    fields = {
        "sku": lambda i: i.sku,
        "id": lambda i: i.number,
        "updated_at": lambda i: i.updated_at,
    }
    groups = search.parse(query)
    found = [i for i in shop.catalog.items.values() if search.matches(i, groups, fields)]
    return connection(found, args, key=lambda i: [i.number], view=lambda i: inventory_item(shop, i))


def order_one(info: GraphQLResolveInfo, id: str) -> dict[str, Any] | None:
    """An order by gid."""
    require(info, "read_orders")
    shop = context(info).shop
    number = number_of(id, "Order")
    found = shop.orders.orders.get(number) if number is not None else None
    return None if found is None else order_view(shop, found)


def orders(
    info: GraphQLResolveInfo, query: str | None = None, sortKey: str = "ID", **args: Any
) -> dict[str, Any]:
    """Orders, e.g. query: "updated_at:>='2026-01-01T00:00:00Z'" sorted by UPDATED_AT."""
    require(info, "read_orders")
    shop = context(info).shop
    groups = search.parse(query)
    found = [o for o in shop.orders.orders.values() if search.matches(o, groups, _ORDER_FIELDS)]
    return connection(found, args, key=_ORDER_SORT[sortKey], view=lambda o: order_view(shop, o))


def fulfillment_order_one(info: GraphQLResolveInfo, id: str) -> dict[str, Any] | None:
    """A fulfillment order by gid."""
    require(info, "read_merchant_managed_fulfillment_orders")
    shop = context(info).shop
    number = number_of(id, "FulfillmentOrder")
    found = shop.orders.fulfillment_orders.get(number) if number is not None else None
    return None if found is None else fulfillment_order(shop, found)


def giftcard_one(info: GraphQLResolveInfo, id: str) -> dict[str, Any] | None:
    """A gift card by gid."""
    require(info, "read_gift_cards")
    shop = context(info).shop
    number = number_of(id, "GiftCard")
    found = shop.giftcards.cards.get(number) if number is not None else None
    return None if found is None else giftcard(shop, found)


def giftcards(
    info: GraphQLResolveInfo, query: str | None = None, sortKey: str = "ID", **args: Any
) -> dict[str, Any]:
    """Gift cards; free text matches the last four characters only (FACTS.md §10.10)."""
    require(info, "read_gift_cards")
    shop = context(info).shop
    fields = {
        "id": lambda c: c.number,
        "status": lambda c: "enabled" if c.enabled else "disabled",
        "created_at": lambda c: c.created_at,
        "balance_status": lambda c: (
            "empty" if c.balance == 0 else ("full" if c.balance == c.initial_value else "partial")
        ),
    }
    groups = search.parse(query)
    free = [t for group in groups for t in group if t.field is None]
    found = [
        c
        for c in shop.giftcards.cards.values()
        if search.matches(c, [[t for t in g if t.field is not None] for g in groups], fields)
        and all(t.value.casefold() == c.last_characters.casefold() for t in free)
    ]
    sort = {
        "ID": lambda c: [c.number],
        "CREATED_AT": lambda c: [c.created_at, c.number],
        "UPDATED_AT": lambda c: [c.updated_at, c.number],
    }
    return connection(found, args, key=sort[sortKey], view=lambda c: giftcard(shop, c))


def webhook_subscription_one(info: GraphQLResolveInfo, id: str) -> dict[str, Any] | None:
    """A subscription by gid."""
    return _node(context(info).shop, id) if (number_of(id, "WebhookSubscription")) else None


def webhook_subscriptions(
    info: GraphQLResolveInfo, topics: list[str] | None = None, **args: Any
) -> dict[str, Any]:
    """This app's subscriptions, optionally of some topics."""
    shop = context(info).shop
    from service.fakes.shopify.webhooks import topic_enum  # noqa: PLC0415

    found = [
        s
        for s in shop.webhooks.subscriptions.values()
        if s.source == "api" and (topics is None or topic_enum(s.topic) in topics)
    ]
    return connection(
        found, args, key=lambda s: [s.number], view=lambda s: subscription_view(shop, s)
    )
