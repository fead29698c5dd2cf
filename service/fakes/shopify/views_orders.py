"""GraphQL shapes of orders, lines, fulfillment orders, fulfillments, transactions, refunds."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from graphql import GraphQLResolveInfo

from service.fakes.shopify import search
from service.fakes.shopify.access import require
from service.fakes.shopify.clock import iso
from service.fakes.shopify.ids import gid
from service.fakes.shopify.order_model import FulfillmentOrder, LineItem, Order, Refund, Transaction
from service.fakes.shopify.pagination import connection
from service.fakes.shopify.views_catalog import location, variant

if TYPE_CHECKING:
    from service.fakes.shopify.shop import FakeShopify

_FINANCIAL = {
    "paid": "PAID",
    "pending": "PENDING",
    "authorized": "AUTHORIZED",
    "partially_paid": "PARTIALLY_PAID",
    "partially_refunded": "PARTIALLY_REFUNDED",
    "refunded": "REFUNDED",
    "voided": "VOIDED",
}


def money_bag(amount: Decimal, currency: str) -> dict[str, Any]:
    """MoneyBag: the same amount as shop and presentment money."""
    money = {"amount": amount, "currencyCode": currency}
    return {"shopMoney": money, "presentmentMoney": dict(money)}


def _time(value: float | None) -> str | None:
    return None if value is None else iso(value)


def fulfillment_status(shop: FakeShopify, order: Order) -> str:
    """OrderDisplayFulfillmentStatus from the lines and fulfillment orders."""
    lines = [line for line in order.lines if not line.gift_card and line.current_quantity]
    if lines and all(line.fulfilled >= line.current_quantity for line in lines):
        return "FULFILLED"
    if any(line.fulfilled for line in order.lines):
        return "PARTIALLY_FULFILLED"
    fos = [shop.orders.fulfillment_orders[n] for n in order.fulfillment_orders]
    if any(fo.status == "IN_PROGRESS" for fo in fos):
        return "IN_PROGRESS"
    return "UNFULFILLED"


def line_item(shop: FakeShopify, order: Order, line: LineItem) -> dict[str, Any]:
    """A LineItem."""
    return {
        "__typename": "LineItem",
        "id": gid("LineItem", line.number),
        "name": line.name,
        "title": line.title,
        "variantTitle": line.variant_title,
        "sku": line.sku,
        "quantity": line.quantity,
        "currentQuantity": line.current_quantity,
        "unfulfilledQuantity": max(0, line.current_quantity - line.fulfilled),
        "requiresShipping": line.requires_shipping,
        "isGiftCard": line.gift_card,
        "taxable": line.taxable,
        "variant": (
            (lambda _info: variant(shop, shop.catalog.variants[line.variant]))
            if line.variant in shop.catalog.variants
            else None
        ),
        "originalUnitPriceSet": money_bag(line.price, order.currency),
    }


def transaction(shop: FakeShopify, found: Transaction) -> dict[str, Any]:
    """An OrderTransaction (the receipt carries gift_card_id for gift-card payments)."""
    order = shop.orders.orders[found.order]
    parent = shop.orders.transactions.get(found.parent) if found.parent is not None else None
    return {
        "__typename": "OrderTransaction",
        "id": gid("OrderTransaction", found.number),
        "kind": found.kind,
        "status": found.status,
        "gateway": found.gateway,
        "formattedGateway": found.gateway.replace("_", " ").title(),
        "amountSet": money_bag(found.amount, order.currency),
        "createdAt": iso(found.created_at),
        "processedAt": iso(found.created_at),
        "receiptJson": json.dumps(found.receipt),
        "test": order.test,
        "parentTransaction": (lambda _info: transaction(shop, parent)) if parent else None,
        "order": lambda _info: order_view(shop, order),
    }


def refund(shop: FakeShopify, found: Refund) -> dict[str, Any]:
    """A Refund."""
    order = shop.orders.orders[found.order]
    moved = [shop.orders.transactions[n] for n in found.transactions]
    total = sum((t.amount for t in moved), Decimal(0))
    lines = [
        {
            "id": gid("RefundLineItem", line.number),
            "lineItem": line_item(shop, order, order.line(line.line_item)),
            "quantity": line.quantity,
            "restockType": line.restock_type,
            "restocked": line.location is not None,
            "location": (
                location(shop, shop.catalog.locations[line.location]) if line.location else None
            ),
            "subtotalSet": money_bag(line.subtotal, order.currency),
            "n": line.number,
        }
        for line in found.lines
    ]
    return {
        "__typename": "Refund",
        "id": gid("Refund", found.number),
        "legacyResourceId": found.number,
        "createdAt": iso(found.created_at),
        "updatedAt": iso(found.created_at),
        "note": found.note,
        "totalRefundedSet": money_bag(total, order.currency),
        "order": lambda _info: order_view(shop, order),
        "refundLineItems": lambda _info, **args: connection(
            lines, args, key=lambda x: [x["n"]], view=lambda x: x
        ),
        "transactions": lambda _info, **args: connection(
            moved, args, key=lambda t: [t.number], view=lambda t: transaction(shop, t)
        ),
    }


def fulfillment_order(shop: FakeShopify, fo: FulfillmentOrder) -> dict[str, Any]:
    """A FulfillmentOrder: delivery method, assigned location, lines."""
    order = shop.orders.orders[fo.order]
    place = shop.catalog.locations[fo.location]
    lines = [
        {
            "__typename": "FulfillmentOrderLineItem",
            "id": gid("FulfillmentOrderLineItem", x.number),
            "sku": order.line(x.line_item).sku,
            "totalQuantity": x.total,
            "remainingQuantity": x.remaining,
            "lineItem": line_item(shop, order, order.line(x.line_item)),
            "n": x.number,
        }
        for x in fo.lines
    ]
    fulfillments = [shop.orders.fulfillments[n] for n in fo.fulfillments]
    return {
        "__typename": "FulfillmentOrder",
        "id": gid("FulfillmentOrder", fo.number),
        "status": fo.status,
        "requestStatus": fo.request_status,
        "createdAt": iso(fo.created_at),
        "updatedAt": iso(fo.updated_at),
        "orderId": gid("Order", order.number),
        "orderName": order.name,
        "order": lambda _info: order_view(shop, order),
        "deliveryMethod": {
            "__typename": "DeliveryMethod",
            "id": gid("DeliveryMethod", fo.method_number),
            "methodType": fo.method_type,
            "presentedName": "Pickup in store" if fo.method_type == "PICK_UP" else "Shipping",
        },
        "assignedLocation": {
            "name": place.name,
            "address1": place.address1,
            "city": place.city,
            "location": location(shop, place),
        },
        "lineItems": lambda _info, **args: connection(
            lines, args, key=lambda x: [x["n"]], view=lambda x: x
        ),
        "fulfillments": lambda _info, **args: connection(
            fulfillments, args, key=lambda f: [f.number], view=lambda f: fulfillment(shop, f.number)
        ),
    }


def fulfillment(shop: FakeShopify, number: int) -> dict[str, Any]:
    """A Fulfillment."""
    found = shop.orders.fulfillments[number]
    order = shop.orders.orders[found.order]
    lines = [
        {
            "id": gid("FulfillmentLineItem", found.number * 1000 + index),
            "quantity": quantity,
            "lineItem": line_item(shop, order, order.line(line)),
            "n": index,
        }
        for index, (line, quantity) in enumerate(found.lines)
    ]
    tracking = [
        {
            "company": found.tracking_company,
            "number": found.tracking_number,
            "url": found.tracking_url,
        }
    ]
    return {
        "__typename": "Fulfillment",
        "id": gid("Fulfillment", found.number),
        "legacyResourceId": found.number,
        "name": f"{order.name}-F{order.fulfillments.index(number) + 1}",
        "status": found.status,
        "createdAt": iso(found.created_at),
        "updatedAt": iso(found.updated_at),
        "location": location(shop, shop.catalog.locations[found.location]),
        "order": lambda _info: order_view(shop, order),
        "trackingInfo": lambda _info, **_: tracking if found.tracking_number else [],
        "fulfillmentLineItems": lambda _info, **args: connection(
            lines, args, key=lambda x: [x["n"]], view=lambda x: x
        ),
    }


def _address(raw: dict[str, Any] | None) -> dict[str, Any] | None:
    """A MailingAddress from the REST ``shipping_address`` the order was created with."""
    if not isinstance(raw, dict):
        return None
    first, last = raw.get("first_name"), raw.get("last_name")
    name = raw.get("name") or " ".join(str(p) for p in (first, last) if p) or None
    code = raw.get("country_code")
    return {
        "name": name,
        "firstName": first,
        "lastName": last,
        "address1": raw.get("address1"),
        "address2": raw.get("address2"),
        "city": raw.get("city"),
        "zip": raw.get("zip"),
        "countryCodeV2": str(code).upper() if code else None,
    }


def order_view(shop: FakeShopify, order: Order) -> dict[str, Any]:
    """An Order."""
    books = shop.orders
    transactions = [books.transactions[n] for n in order.transactions]
    refunded = sum((t.amount for t in transactions if t.kind == "REFUND"), Decimal(0))

    def fulfillment_orders(
        info: GraphQLResolveInfo, query: str | None = None, displayable: bool = False, **args: Any
    ) -> dict[str, Any]:
        require(info, "read_merchant_managed_fulfillment_orders")
        groups = search.parse(query)
        fields = {"status": lambda fo: fo.status}
        found = [books.fulfillment_orders[n] for n in order.fulfillment_orders]
        found = [fo for fo in found if search.matches(fo, groups, fields)]
        return connection(
            found, args, key=lambda fo: [fo.number], view=lambda fo: fulfillment_order(shop, fo)
        )

    shipping = order.shipping_lines[0] if order.shipping_lines else None
    return {
        "__typename": "Order",
        "id": gid("Order", order.number),
        "legacyResourceId": order.number,
        "name": order.name,
        "email": order.email,
        "phone": order.phone,
        "note": order.note,
        "tags": list(order.tags),
        "createdAt": iso(order.created_at),
        "updatedAt": iso(order.updated_at),
        "processedAt": iso(order.processed_at),
        "cancelledAt": _time(order.cancelled_at),
        "cancelReason": order.cancel_reason.upper() if order.cancel_reason else None,
        "closed": order.closed_at is not None,
        "closedAt": _time(order.closed_at),
        "test": order.test,
        "sourceName": order.source_name,
        "currencyCode": order.currency,
        "presentmentCurrencyCode": order.currency,
        "displayFinancialStatus": _FINANCIAL.get(order.financial_status),
        "displayFulfillmentStatus": fulfillment_status(shop, order),
        "paymentGatewayNames": list(dict.fromkeys(t.gateway for t in transactions)),
        "totalPriceSet": money_bag(order.total_price, order.currency),
        "subtotalPriceSet": money_bag(order.line_total - order.total_discounts, order.currency),
        "currentTotalPriceSet": money_bag(order.total_price - refunded, order.currency),
        "totalRefundedSet": money_bag(refunded, order.currency),
        "shippingLine": None
        if shipping is None
        else {
            "id": None,
            "title": str(shipping.get("title") or ""),
            "code": shipping.get("code"),
            "source": shipping.get("source"),
            "originalPriceSet": money_bag(
                Decimal(str(shipping.get("price") or "0")), order.currency
            ),
        },
        "shippingAddress": _address(order.shipping_address),
        "lineItems": lambda _info, **args: connection(
            order.lines, args, key=lambda x: [x.number], view=lambda x: line_item(shop, order, x)
        ),
        "fulfillmentOrders": fulfillment_orders,
        "fulfillments": lambda _info, first=None: [
            fulfillment(shop, n) for n in order.fulfillments[: first if first is not None else None]
        ],
        "transactions": lambda _info, first=None, **_: [
            transaction(shop, t) for t in transactions[: first if first is not None else None]
        ],
        "refunds": lambda _info, first=None: [
            refund(shop, books.refunds[n])
            for n in order.refunds[: first if first is not None else None]
        ],
    }
