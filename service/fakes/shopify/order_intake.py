"""Builds an order from a body in the orders/create web-hook shape (the admin API's input)."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any

from service.fakes.shopify.ids import parse_gid
from service.fakes.shopify.order_model import PICK_UP, SHIPPING, LineItem, Order
from service.fakes.shopify.order_store import Payment

if TYPE_CHECKING:
    from service.fakes.shopify.shop import FakeShopify


class IntakeError(ValueError):
    """The body cannot become an order; the message says which part."""


def _number(value: object, kind: str, what: str) -> int:
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, str) and value.isdigit():
        return int(value)
    parsed = parse_gid(value)
    if parsed is not None and parsed[0] == kind:
        return parsed[1]
    raise IntakeError(f"{what}: expected a numeric id or a gid://shopify/{kind}/... id")


def _money(value: object, what: str) -> Decimal:
    try:
        amount = Decimal(str(value))
    except InvalidOperation:
        raise IntakeError(f"{what}: not an amount") from None
    if not amount.is_finite():
        raise IntakeError(f"{what}: not an amount")
    return amount


def _line(shop: FakeShopify, index: int, data: dict[str, Any]) -> LineItem:
    what = f"line_items[{index}]"
    quantity = data.get("quantity")
    if not isinstance(quantity, int) or isinstance(quantity, bool) or quantity <= 0:
        raise IntakeError(f"{what}.quantity: a positive integer is required")
    catalog = shop.catalog
    variant = None
    if data.get("variant_id") is not None:
        number = _number(data["variant_id"], "ProductVariant", f"{what}.variant_id")
        variant = catalog.variants.get(number)
    if variant is None and data.get("sku"):
        found = catalog.variants_by_sku(str(data["sku"]))
        variant = found[0] if len(found) == 1 else None
    price = _money(data.get("price", variant.price if variant else "0"), f"{what}.price")
    title = data.get("title") or (catalog.products[variant.product].title if variant else None)
    if not title:
        raise IntakeError(f"{what}.title: required for a line that names no known variant")
    return LineItem(
        number=shop.ids.next("LineItem"),
        title=str(title),
        quantity=quantity,
        price=price,
        sku=variant.sku if variant else (str(data["sku"]) if data.get("sku") else None),
        variant=variant.number if variant else None,
        product=variant.product if variant else None,
        variant_title=data.get("variant_title") or (variant.title if variant else None),
        requires_shipping=bool(data.get("requires_shipping", True)),
        gift_card=bool(data.get("gift_card", False)),
        taxable=bool(data.get("taxable", True)),
    )


def _location(shop: FakeShopify, value: object, what: str) -> int:
    number = _number(value, "Location", what)
    if number not in shop.catalog.locations:
        raise IntakeError(f"{what}: no location {number}")
    return number


def place_order(shop: FakeShopify, body: dict[str, Any]) -> Order:
    """Create, commit and pay an order; {"order": {...}} or the order itself, plus options.

    Options beside the order fields: ``pickup_location_id`` (a local pick-up order there),
    ``fulfillment_location_id`` (where a shipped order is fulfilled from; default the first
    location) and ``gift_card_payments`` ([{gift_card_id, amount}], redeemed at checkout).
    """
    data = body.get("order", body)
    if not isinstance(data, dict):
        raise IntakeError("order: expected an object")
    lines = data.get("line_items")
    if not isinstance(lines, list) or not lines:
        raise IntakeError("line_items: at least one line is required")
    pickup = body.get("pickup_location_id", data.get("pickup_location_id"))
    if pickup is not None:
        location, method = _location(shop, pickup, "pickup_location_id"), PICK_UP
    else:
        chosen = body.get("fulfillment_location_id", data.get("fulfillment_location_id"))
        if chosen is None and not shop.catalog.locations:
            raise IntakeError("the shop has no location to fulfil from")
        location = (
            _location(shop, chosen, "fulfillment_location_id")
            if chosen is not None
            else min(shop.catalog.locations)
        )
        method = SHIPPING
    now = shop.clock.now()
    order_number = shop.orders.next_order_number
    shop.orders.next_order_number += 1
    tags = data.get("tags") or ""
    order = Order(
        number=shop.ids.next("Order"),
        name=str(data.get("name") or f"#{order_number}"),
        order_number=order_number,
        currency=str(data.get("currency") or shop.config.currency),
        lines=[_line(shop, i, line) for i, line in enumerate(lines)],
        email=data.get("email"),
        phone=data.get("phone"),
        note=data.get("note"),
        tags=[t.strip() for t in tags.split(",") if t.strip()]
        if isinstance(tags, str)
        else list(tags),
        note_attributes=list(data.get("note_attributes") or []),
        shipping_lines=list(data.get("shipping_lines") or []),
        shipping_address=data.get("shipping_address"),
        billing_address=data.get("billing_address"),
        customer=data.get("customer"),
        source_name=str(data.get("source_name") or "web"),
        test=bool(data.get("test", False)),
        taxes_included=bool(data.get("taxes_included", True)),
        total_tax=_money(data.get("total_tax", "0"), "total_tax"),
        total_discounts=_money(data.get("total_discounts", "0"), "total_discounts"),
        financial_status=str(data.get("financial_status") or "paid"),
        created_at=now,
        updated_at=now,
        processed_at=now,
    )
    order.shipping_price = sum(
        (_money(s.get("price", "0"), "shipping_lines.price") for s in order.shipping_lines),
        Decimal(0),
    )
    return shop.orders.place(
        order, location=location, method_type=method, payments=_payments(shop, body, data, order)
    )


def _payments(
    shop: FakeShopify, body: dict[str, Any], data: dict[str, Any], order: Order
) -> list[Payment]:
    payments: list[Payment] = []
    for index, entry in enumerate(body.get("gift_card_payments") or []):
        what = f"gift_card_payments[{index}]"
        card = _number(entry.get("gift_card_id"), "GiftCard", f"{what}.gift_card_id")
        if card not in shop.giftcards.cards:
            raise IntakeError(f"{what}.gift_card_id: no gift card {card}")
        amount = _money(entry.get("amount"), f"{what}.amount")
        if amount <= 0 or amount > shop.giftcards.cards[card].balance:
            raise IntakeError(f"{what}.amount: must be positive and within the card's balance")
        payments.append(Payment("gift_card", amount, gift_card=card))
    rest = order.total_price - sum((p.amount for p in payments), Decimal(0))
    if rest < 0:
        raise IntakeError("gift_card_payments: more than the order's total")
    if rest > 0 and order.financial_status in {"paid", "partially_refunded", "refunded"}:
        names = [g for g in data.get("payment_gateway_names") or [] if g != "gift_card"]
        payments.append(Payment(names[0] if names else "manual", rest))
    return payments
