"""The admin API's shop data: orders (from orders/create bodies), refunds, stock, gift cards."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from pydantic import Field
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from service.fakes.common.responses import json_answer
from service.fakes.shopify.admin_http import PREFIX, AdminError, Body, number_of, parse, shop_of
from service.fakes.shopify.giftcards import GiftCardRefused
from service.fakes.shopify.ids import gid
from service.fakes.shopify.order_intake import IntakeError, place_order
from service.fakes.shopify.order_store import OrderRefused
from service.fakes.shopify.shop import FakeShopify


class InventoryBody(Body):
    """PUT /_fake/inventory: what staff sets in the Shopify admin."""

    location_id: int | str
    sku: str | None = None
    inventory_item_id: int | str | None = None
    available: int


class LocationBody(Body):
    """POST /_fake/locations."""

    name: str
    city: str = ""


class ProductBody(Body):
    """POST /_fake/products: one variant, stocked where asked."""

    sku: str | None
    title: str | None = None
    price: str = "100.00"
    stock: dict[str, int] = Field(default_factory=dict, description="location id -> available")


class GiftCardBody(Body):
    """POST /_fake/gift-cards."""

    initial_value: str
    code: str | None = None
    note: str | None = None


class RefundBody(Body):
    """POST /_fake/orders/{id}/refunds."""

    lines: list[dict[str, int]]
    restock: bool = True
    note: str | None = None


def _order_answer(shop: FakeShopify, number: int) -> dict[str, Any]:
    order = shop.orders.orders[number]
    return {
        "order": shop.shapes.order(number),
        "fulfillment_orders": [
            {
                "id": gid("FulfillmentOrder", n),
                "status": shop.orders.fulfillment_orders[n].status,
                "method_type": shop.orders.fulfillment_orders[n].method_type,
                "location_id": shop.orders.fulfillment_orders[n].location,
                "prepared_for_pickup": shop.orders.fulfillment_orders[n].prepared_for_pickup,
            }
            for n in order.fulfillment_orders
        ],
        "transactions": [shop.shapes.transaction(n) for n in order.transactions],
    }


async def create_order(request: Request) -> Response:
    """A checked-out order from an orders/create-shaped body (see place_order)."""
    shop = shop_of(request)
    try:
        body = (await request.json()) if await request.body() else None
    except ValueError:
        raise AdminError(400, "body: invalid JSON") from None
    if not isinstance(body, dict):
        raise AdminError(400, "body: expected a JSON object")
    try:
        order = place_order(shop, body)
    except (IntakeError, GiftCardRefused) as exc:
        raise AdminError(400, str(exc)) from None
    return json_answer(201, _order_answer(shop, order.number))


async def get_order(request: Request) -> Response:
    """An order as REST shows it, with its fulfillment orders and transactions."""
    shop = shop_of(request)
    number = number_of(request.path_params["order"], "Order")
    if number not in shop.orders.orders:
        raise AdminError(404, "order not found")
    return json_answer(200, _order_answer(shop, number))


async def refund_order(request: Request) -> Response:
    """A refund made in the shop admin."""
    shop = shop_of(request)
    number = number_of(request.path_params["order"], "Order")
    body = await parse(request, RefundBody)
    if number not in shop.orders.orders:
        raise AdminError(404, "order not found")
    lines = [(line["line_item_id"], line["quantity"]) for line in body.lines]
    try:
        refund = shop.orders.refund_lines(number, lines, restock=body.restock, note=body.note)
    except (OrderRefused, KeyError) as exc:
        raise AdminError(400, str(exc)) from None
    return json_answer(201, shop.shapes.refund(refund.number))


async def set_inventory(request: Request) -> Response:
    """Set available as staff would: a ledger entry and inventory_levels/update."""
    shop = shop_of(request)
    body = await parse(request, InventoryBody)
    location = number_of(body.location_id, "Location")
    if location not in shop.catalog.locations:
        raise AdminError(404, "location not found")
    if body.inventory_item_id is not None:
        item = number_of(body.inventory_item_id, "InventoryItem")
    else:
        variants = shop.catalog.variants_by_sku(body.sku or "")
        if len(variants) != 1:
            raise AdminError(400, f"sku {body.sku!r} names {len(variants)} variants")
        item = variants[0].inventory_item
    if item not in shop.catalog.items:
        raise AdminError(404, "inventory item not found")
    level = shop.catalog.stock(item, location)
    delta = body.available - level.available
    shop.catalog.change(level, "available", delta)
    shop.ledger.record(
        "inventory.admin_set",
        f"InventoryLevel/{level.number}",
        available=body.available,
        delta=delta,
    )
    shop.emit("inventory_levels/update", "InventoryLevel", level.number)
    return json_answer(200, shop.shapes.inventory_level(level.number))


async def add_location(request: Request) -> Response:
    """A new location."""
    body = await parse(request, LocationBody)
    place = shop_of(request).catalog.add_location(body.name, city=body.city)
    return json_answer(
        201, {"id": gid("Location", place.number), "legacy_id": place.number, "name": place.name}
    )


async def add_product(request: Request) -> Response:
    """A new product with one variant, stocked at the given locations."""
    shop = shop_of(request)
    body = await parse(request, ProductBody)
    try:
        price = Decimal(body.price)
    except InvalidOperation:
        raise AdminError(400, "price: not an amount") from None
    variant = shop.catalog.add_variant(body.sku, title=body.title, price=price)
    for location, available in body.stock.items():
        number = number_of(location, "Location")
        if number not in shop.catalog.locations:
            raise AdminError(404, f"location {location} not found")
        shop.catalog.stock(variant.inventory_item, number).available = available
    return json_answer(
        201,
        {
            "variant_id": gid("ProductVariant", variant.number),
            "inventory_item_id": gid("InventoryItem", variant.inventory_item),
            "sku": variant.sku,
        },
    )


async def add_gift_card(request: Request) -> Response:
    """A card issued in the shop admin (the answer shows its code, as the admin would once)."""
    shop = shop_of(request)
    body = await parse(request, GiftCardBody)
    try:
        card = shop.giftcards.create(Decimal(body.initial_value), code=body.code, note=body.note)
    except (GiftCardRefused, InvalidOperation) as exc:
        raise AdminError(400, str(exc)) from None
    return json_answer(201, _card(card.number, shop) | {"code": card.code})


def _card(number: int, shop: FakeShopify) -> dict[str, Any]:
    card = shop.giftcards.cards[number]
    return {
        "id": gid("GiftCard", number),
        "legacy_id": number,
        "balance": str(card.balance),
        "currency": card.currency,
        "last_characters": card.last_characters,
        "enabled": card.enabled,
        "note": card.note,
        "transactions": [
            {"id": t.number, "amount": str(t.amount), "note": t.note, "order_id": t.order}
            for t in card.transactions
        ],
    }


async def get_gift_card(request: Request) -> Response:
    """A card with its whole history."""
    shop = shop_of(request)
    number = number_of(request.path_params["card"], "GiftCard")
    if number not in shop.giftcards.cards:
        raise AdminError(404, "gift card not found")
    return json_answer(200, _card(number, shop))


ROUTES = [
    Route(f"{PREFIX}/orders", create_order, methods=["POST"]),
    Route(f"{PREFIX}/orders/{{order}}", get_order, methods=["GET"]),
    Route(f"{PREFIX}/orders/{{order}}/refunds", refund_order, methods=["POST"]),
    Route(f"{PREFIX}/inventory", set_inventory, methods=["PUT"]),
    Route(f"{PREFIX}/locations", add_location, methods=["POST"]),
    Route(f"{PREFIX}/products", add_product, methods=["POST"]),
    Route(f"{PREFIX}/gift-cards", add_gift_card, methods=["POST"]),
    Route(f"{PREFIX}/gift-cards/{{card}}", get_gift_card, methods=["GET"]),
]
