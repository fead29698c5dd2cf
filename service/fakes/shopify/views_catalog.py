"""GraphQL shapes of locations, products, variants, inventory items and levels."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from graphql import GraphQLError, GraphQLResolveInfo

from service.fakes.shopify import search
from service.fakes.shopify.access import require
from service.fakes.shopify.catalog import (
    QUANTITY_NAMES,
    InventoryItem,
    InventoryLevel,
    Location,
    Variant,
)
from service.fakes.shopify.clock import iso
from service.fakes.shopify.ids import gid, number_of
from service.fakes.shopify.pagination import connection

if TYPE_CHECKING:
    from service.fakes.shopify.shop import FakeShopify


def location(shop: FakeShopify, place: Location) -> dict[str, Any]:
    """A Location."""

    def level(info: GraphQLResolveInfo, inventoryItemId: str) -> dict[str, Any] | None:
        require(info, "read_inventory")
        item = number_of(inventoryItemId, "InventoryItem")
        found = shop.catalog.level(item, place.number) if item is not None else None
        return None if found is None else inventory_level(shop, found)

    def levels(info: GraphQLResolveInfo, **args: Any) -> dict[str, Any]:
        require(info, "read_inventory")
        found = [lv for lv in shop.catalog.levels.values() if lv.location == place.number]
        return connection(
            found, args, key=lambda lv: [lv.number], view=lambda lv: inventory_level(shop, lv)
        )

    return {
        "__typename": "Location",
        "id": gid("Location", place.number),
        "legacyResourceId": place.number,
        "name": place.name,
        "isActive": place.is_active,
        "fulfillsOnlineOrders": place.fulfills_online_orders,
        "hasActiveInventory": any(
            lv.location == place.number for lv in shop.catalog.levels.values()
        ),
        "createdAt": iso(place.created_at),
        "updatedAt": iso(place.updated_at),
        "inventoryLevel": level,
        "inventoryLevels": levels,
    }


def product(shop: FakeShopify, number: int) -> dict[str, Any]:
    """A Product."""
    found = shop.catalog.products[number]
    return {
        "__typename": "Product",
        "id": gid("Product", number),
        "legacyResourceId": number,
        "title": found.title,
        "handle": found.handle,
    }


def variant(shop: FakeShopify, found: Variant) -> dict[str, Any]:
    """A ProductVariant."""
    item = shop.catalog.items[found.inventory_item]
    title = shop.catalog.products[found.product].title
    return {
        "__typename": "ProductVariant",
        "id": gid("ProductVariant", found.number),
        "legacyResourceId": found.number,
        "sku": found.sku,
        "title": found.title,
        "displayName": f"{title} - {found.title}",
        "price": found.price,
        "inventoryQuantity": sum(lv.available for lv in item.levels.values()),
        "product": lambda _info: product(shop, found.product),
        "inventoryItem": lambda _info: inventory_item(shop, item),
        "createdAt": iso(found.created_at),
        "updatedAt": iso(found.updated_at),
    }


def inventory_item(shop: FakeShopify, item: InventoryItem) -> dict[str, Any]:
    """An InventoryItem."""

    def level(info: GraphQLResolveInfo, locationId: str) -> dict[str, Any] | None:
        place = number_of(locationId, "Location")
        found = item.levels.get(place) if place is not None else None
        return None if found is None else inventory_level(shop, found)

    def levels(info: GraphQLResolveInfo, query: str | None = None, **args: Any) -> dict[str, Any]:
        groups = search.parse(query)
        fields = {"location_id": lambda lv: lv.location}
        found = [lv for lv in item.levels.values() if search.matches(lv, groups, fields)]
        return connection(
            found, args, key=lambda lv: [lv.number], view=lambda lv: inventory_level(shop, lv)
        )

    return {
        "__typename": "InventoryItem",
        "id": gid("InventoryItem", item.number),
        "legacyResourceId": item.number,
        "sku": item.sku,
        "tracked": item.tracked,
        "variant": lambda _info: variant(shop, shop.catalog.variants[item.variant]),
        "createdAt": iso(item.created_at),
        "updatedAt": iso(item.updated_at),
        "inventoryLevel": level,
        "inventoryLevels": levels,
    }


def inventory_level(shop: FakeShopify, level: InventoryLevel) -> dict[str, Any]:
    """An InventoryLevel with its named quantities."""
    level_id = gid("InventoryLevel", level.number) + f"?inventory_item_id={level.item}"

    def quantities(info: GraphQLResolveInfo, names: list[str]) -> list[dict[str, Any]]:
        unknown = [n for n in names if n not in QUANTITY_NAMES]
        if unknown:
            raise GraphQLError(
                f"The quantity name(s) {', '.join(unknown)} are not valid. Valid names are: "
                + ", ".join(QUANTITY_NAMES)
            )
        return [
            {
                "id": f"{level_id}&name={name}",
                "name": name,
                "quantity": level.quantity(name),
                "updatedAt": iso(level.updated_at),
            }
            for name in names
        ]

    return {
        "__typename": "InventoryLevel",
        "id": level_id,
        "item": lambda _info: inventory_item(shop, shop.catalog.items[level.item]),
        "location": lambda _info: location(shop, shop.catalog.locations[level.location]),
        "quantities": quantities,
        "createdAt": iso(level.created_at),
        "updatedAt": iso(level.updated_at),
    }
