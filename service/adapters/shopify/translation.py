"""Shopify's orders and inventory levels as the service's canonical events (no I/O here).

Event ids come from Shopify's own ids, so every path that sees a change (the web hook,
its retries, copies, the reconciliation poller) derives the same event:

* ``shopify-order-<order id>-placed`` / ``-cancelled`` (``order_id`` ``shopify-<order id>``);
* ``shopify-stock-<inventory item id>-<location id>-<updated_at in ms>``.

An order is translated from the order as the Admin API shows it (its fulfillment orders say
whether it is picked up, FACTS.md §3.2), never from a web-hook body alone.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from service.adapters.common.emitting import CanonicalEvent
from service.contracts.envelope import SCHEMA_VERSION, Envelope
from service.contracts.registry import Channel

if TYPE_CHECKING:
    from service.adapters.shopify.models import FulfillmentOrder, Order
    from service.settings_shopify import LocationMapping, ShopifySettings

SOURCE = "shopify"
LOCATIONS_SETTING = "SITOO_SYNC_SHOPIFY__LOCATIONS"
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+$")
_GIFT_CARD_GATEWAY = "gift_card"
_CAPTURED = {"SALE", "CAPTURE"}


class NotTranslatable(Exception):
    """The order or level cannot become an event; the message is the dead letter's reason."""


class NotYetRouted(Exception):
    """Shopify has not created the order's fulfillment orders yet (they come asynchronously)."""


def legacy_id(gid_or_id: str | int) -> str:
    """The numeric id at the end of a gid (or the id itself)."""
    return str(gid_or_id).rsplit("/", 1)[-1]


ORDER_ID_PREFIX = "shopify-"


def webshop_order_id(order_gid: str) -> str:
    """The ``order_id`` of the canonical events: ``shopify-<numeric id>``.

    It becomes the Sitoo order's externalid and comes back on the pick-up events, where
    the prefix tells the Shopify writer the order is one of its own.
    """
    return ORDER_ID_PREFIX + legacy_id(order_gid)


def order_gid(webshop_order_id: str) -> str | None:
    """The Shopify order a canonical ``order_id`` names (None: not a Shopify order)."""
    number = webshop_order_id.removeprefix(ORDER_ID_PREFIX)
    if number == webshop_order_id or not number.isdigit():
        return None
    return f"gid://shopify/Order/{number}"


def _envelope(
    event_id: str,
    kind: str,
    occurred_at: datetime,
    data: dict[str, Any],
    *,
    correlation_id: str | None = None,
) -> Envelope:
    return Envelope(
        event_id=event_id,
        type=kind,
        schema_version=SCHEMA_VERSION,
        occurred_at=occurred_at,
        source=SOURCE,
        data=data,
        correlation_id=correlation_id,
    )


def _mapped(location: str | None, settings: ShopifySettings, what: str) -> LocationMapping:
    mapping = settings.location(location) if location else None
    if location is None or mapping is None:
        raise NotTranslatable(f"{what} location {location} is not in {LOCATIONS_SETTING}")
    return mapping


def _location_of(fo: FulfillmentOrder) -> str | None:
    if fo.location_legacy_id is not None:
        return str(fo.location_legacy_id)
    return legacy_id(fo.location_id) if fo.location_id else None


def _fulfilment(order: Order, settings: ShopifySettings) -> dict[str, Any]:
    orders = order.fulfillment_orders
    if not orders:
        raise NotYetRouted(f"order {order.name} has no fulfillment orders yet")
    pickups = [fo for fo in orders if fo.is_pickup]
    if pickups:
        location = _location_of(pickups[0])
        mapping = _mapped(location, settings, "pick-up")
        if mapping.store_id is None:
            raise NotTranslatable(
                f"pick-up location {location} has no store_id in {LOCATIONS_SETTING}"
            )
        return {"kind": "pickup", "store_id": mapping.store_id}
    address = order.shipping_address
    parts = address and (
        address.name or " ".join(p for p in (address.first_name, address.last_name) if p),
        address.address1,
        address.zip,
        address.city,
        address.country_code,
    )
    if not parts or not all(parts):
        raise NotTranslatable(f"order {order.name} is delivered but has no complete address")
    name, street, postal_code, city, country = parts
    if address is not None and address.address2:
        street = f"{street}, {address.address2}"
    fulfilment: dict[str, Any] = {
        "kind": "delivery",
        "address": {
            "name": name,
            "street": street,
            "postal_code": postal_code,
            "city": city,
            "country": country,
        },
    }
    origin = settings.location(_location_of(orders[0]) or "")
    if origin is not None and origin.store_id is not None:
        fulfilment["ship_from"] = {"store_id": origin.store_id}
    return fulfilment


def _payments(order: Order, total: Decimal) -> list[dict[str, Any]]:
    done = [t for t in order.transactions if t.status == "SUCCESS"]
    for kinds, state in ((_CAPTURED, "captured"), ({"AUTHORIZATION"}, "authorised")):
        chosen = [t for t in done if t.kind in kinds and t.amount.amount > 0]
        if chosen and sum((t.amount.amount for t in chosen), Decimal(0)) == total:
            return [
                {
                    "method": "Gift card"
                    if t.gateway == _GIFT_CARD_GATEWAY
                    else (t.gateway or "Shopify")[:100],
                    "amount": str(t.amount.amount),
                    "state": state,
                    "reference": legacy_id(t.id),
                }
                for t in chosen
            ]
    raise NotTranslatable(
        f"order {order.name} is not paid in full ({order.financial_status or 'no payment'}); "
        "it is placed when a later change shows it paid"
    )


def _lines(order: Order, vat: str) -> tuple[list[dict[str, Any]], Decimal]:
    currency = order.currency_code
    lines = []
    total = Decimal(0)
    for line in order.line_items:
        if line.quantity < 1:
            continue
        if line.is_gift_card:
            raise NotTranslatable(f"line {line.name!r} sells a gift card, which is not synced")
        if not line.sku:
            raise NotTranslatable(f"line {line.name!r} has no SKU")
        if line.unit_price is None or line.unit_price.currency_code != currency:
            raise NotTranslatable(f"line {line.name!r} has no price in {currency}")
        lines.append(
            {
                "sku": line.sku,
                "name": line.name[:100],
                "quantity": line.quantity,
                "unit_price": str(line.unit_price.amount),
                "vat_rate": vat,
            }
        )
        total += line.unit_price.amount * line.quantity
    if not lines:
        raise NotTranslatable(f"order {order.name} has no lines")
    return lines, total


def order_placed(order: Order, settings: ShopifySettings) -> CanonicalEvent:
    """``order.placed`` for an order; raises NotTranslatable or NotYetRouted."""
    currency = order.currency_code
    vat = str(Decimal(str(settings.vat_rate)).normalize())
    lines, line_total = _lines(order, vat)
    shipping = order.shipping
    shipping_price = shipping.price.amount if shipping is not None else Decimal(0)
    total = order.total_price.amount
    discount = line_total + shipping_price - total
    if discount < 0:
        raise NotTranslatable(
            f"order {order.name} totals {total}, more than its lines and shipping "
            f"({line_total + shipping_price}); prices without VAT are not supported"
        )
    data: dict[str, Any] = {
        "order_id": webshop_order_id(order.id),
        "currency": currency,
        "fulfilment": _fulfilment(order, settings),
        "lines": lines,
        "payments": _payments(order, total),
        "total": str(total),
    }
    if discount:
        data["order_discount"] = str(discount)
    if shipping is not None and shipping_price > 0:
        data["shipping"] = {
            "name": (shipping.title or "Shipping")[:100],
            "price": str(shipping_price),
            "vat_rate": vat,
        }
    if order.email and _EMAIL.fullmatch(order.email) and len(order.email) <= 200:  # noqa: PLR2004
        data["customer"] = {"email": order.email}
    envelope = _envelope(
        f"shopify-order-{legacy_id(order.id)}-placed",
        "order.placed",
        order.created_at,
        data,
        correlation_id=order.name,
    )
    return CanonicalEvent(Channel.ORDERS, envelope)


def order_cancelled(order: Order) -> CanonicalEvent | None:
    """``order.cancelled`` when the order is cancelled (None otherwise)."""
    if order.cancelled_at is None:
        return None
    data: dict[str, Any] = {"order_id": webshop_order_id(order.id)}
    if order.cancel_reason:
        data["reason"] = order.cancel_reason.lower()
    envelope = _envelope(
        f"shopify-order-{legacy_id(order.id)}-cancelled",
        "order.cancelled",
        order.cancelled_at,
        data,
        correlation_id=order.name,
    )
    return CanonicalEvent(Channel.ORDERS, envelope)


@dataclass(frozen=True, slots=True)
class OrderEvents:
    """What an order's current state stands for."""

    events: tuple[CanonicalEvent, ...]
    note: str = ""


def order_events(order: Order, settings: ShopifySettings, *, place: bool = True) -> OrderEvents:
    """The order's events: placed (when translatable) and cancelled (when it is).

    A cancelled order whose placement cannot be translated still yields its cancellation
    (the service then records a tombstone). Raises NotTranslatable when nothing can be
    said, NotYetRouted while its fulfillment orders are missing. ``place`` False: the
    order is too old to be placed again (see :class:`ShopifyTranslator`).
    """
    cancelled = order_cancelled(order)
    if not place:
        note = "placed long ago: not placed again"
        return OrderEvents(() if cancelled is None else (cancelled,), note=note)
    try:
        placed = order_placed(order, settings)
    except (NotTranslatable, NotYetRouted) as exc:
        if cancelled is None:
            raise
        return OrderEvents((cancelled,), note=f"placement not translated: {exc}")
    return OrderEvents((placed,) if cancelled is None else (placed, cancelled))


@dataclass(frozen=True, slots=True)
class LevelChange:
    """An ``inventory_levels/update`` body."""

    inventory_item_id: str
    location_id: str
    available: int
    updated_at: datetime


def stock_event(change: LevelChange, sku: str, mapping: LocationMapping) -> CanonicalEvent:
    """``stock.set`` of the location's mapped warehouse; the newest ``updated_at`` wins."""
    if change.available < 0:
        raise NotTranslatable(
            f"available {change.available} of {sku} is negative; Sitoo levels cannot be"
        )
    millis = int(change.updated_at.timestamp() * 1000)
    envelope = _envelope(
        f"shopify-stock-{change.inventory_item_id}-{change.location_id}-{millis}",
        "stock.set",
        change.updated_at,
        {
            "warehouse_id": mapping.warehouse_id,
            "items": [{"sku": sku, "quantity": change.available}],
        },
    )
    return CanonicalEvent(Channel.STOCK, envelope)
