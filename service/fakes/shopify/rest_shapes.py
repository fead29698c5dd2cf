"""Web-hook bodies: the REST resources (snake_case, numeric ids, money as strings)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from service.fakes.shopify.catalog import Catalog
from service.fakes.shopify.clock import rest_time
from service.fakes.shopify.ids import gid
from service.fakes.shopify.order_model import LineItem, Order
from service.fakes.shopify.orders import OrderBook


def money(value: Decimal) -> str:
    """REST money: a string with two decimals."""
    return f"{value.quantize(Decimal('0.01'))}"


def money_set(value: Decimal, currency: str) -> dict[str, Any]:
    """REST *_set: shop and presentment money (one currency in the fake)."""
    amount = {"amount": money(value), "currency_code": currency}
    return {"shop_money": amount, "presentment_money": dict(amount)}


def _time(value: float | None) -> str | None:
    return None if value is None else rest_time(value)


class RestShapes:
    """Builds the body of each topic from the shop's current state."""

    def __init__(self, catalog: Catalog, orders: OrderBook) -> None:
        self._catalog = catalog
        self._orders = orders

    def payload(self, kind: str, number: int) -> dict[str, Any]:
        """The web-hook body for a resource."""
        if kind == "Order":
            return self.order(number)
        if kind == "Refund":
            return self.refund(number)
        if kind == "InventoryLevel":
            return self.inventory_level(number)
        if kind == "OrderTransaction":
            return self.transaction(number)
        if kind == "FulfillmentOrder":
            fo = self._orders.fulfillment_orders[number]
            return {
                "fulfillment_order": {
                    "id": gid("FulfillmentOrder", fo.number),
                    "status": fo.status.lower(),
                }
            }
        raise KeyError(kind)

    def line_item(self, order: Order, line: LineItem) -> dict[str, Any]:
        """A REST line item (current versions' fields)."""
        status = None
        if line.fulfilled and line.fulfilled >= line.current_quantity:
            status = "fulfilled"
        elif line.fulfilled:
            status = "partial"
        return {
            "id": line.number,
            "admin_graphql_api_id": gid("LineItem", line.number),
            "variant_id": line.variant,
            "product_id": line.product,
            "sku": line.sku,
            "name": line.name,
            "title": line.title,
            "variant_title": line.variant_title,
            "quantity": line.quantity,
            "current_quantity": line.current_quantity,
            "fulfillable_quantity": max(0, line.current_quantity - line.fulfilled),
            "fulfillment_status": status,
            "price": money(line.price),
            "price_set": money_set(line.price, order.currency),
            "total_discount": "0.00",
            "discount_allocations": [],
            "tax_lines": [],
            "requires_shipping": line.requires_shipping,
            "gift_card": line.gift_card,
            "taxable": line.taxable,
            "properties": [],
        }

    def _fulfillment_status(self, order: Order) -> str | None:
        lines = [line for line in order.lines if not line.gift_card and line.current_quantity]
        if lines and all(line.fulfilled >= line.current_quantity for line in lines):
            return "fulfilled"
        if any(line.fulfilled for line in order.lines):
            return "partial"
        return None

    def order(self, number: int) -> dict[str, Any]:
        """The REST order (orders/create, orders/updated, orders/cancelled ...)."""
        order = self._orders.orders[number]
        books = self._orders
        gateways = list(dict.fromkeys(books.transactions[t].gateway for t in order.transactions))
        refunded = sum(
            (
                books.transactions[t].amount
                for t in order.transactions
                if books.transactions[t].kind == "REFUND"
            ),
            Decimal(0),
        )
        current_total = order.total_price - refunded
        return {
            "id": order.number,
            "admin_graphql_api_id": gid("Order", order.number),
            "name": order.name,
            "order_number": order.order_number,
            "number": order.order_number - 1000,
            "confirmation_number": f"C{order.number % 10**9:09d}",
            "email": order.email,
            "phone": order.phone,
            "created_at": _time(order.created_at),
            "updated_at": _time(order.updated_at),
            "processed_at": _time(order.processed_at),
            "cancelled_at": _time(order.cancelled_at),
            "cancel_reason": order.cancel_reason,
            "closed_at": _time(order.closed_at),
            "currency": order.currency,
            "presentment_currency": order.currency,
            "financial_status": order.financial_status,
            "fulfillment_status": self._fulfillment_status(order),
            "test": order.test,
            "source_name": order.source_name,
            "location_id": None,
            "note": order.note,
            "note_attributes": order.note_attributes,
            "tags": ", ".join(order.tags),
            "payment_gateway_names": gateways,
            "taxes_included": order.taxes_included,
            "subtotal_price": money(order.line_total - order.total_discounts),
            "total_line_items_price": money(order.line_total),
            "total_discounts": money(order.total_discounts),
            "total_tax": money(order.total_tax),
            "total_price": money(order.total_price),
            "total_outstanding": "0.00",
            "current_total_price": money(current_total),
            "total_price_set": money_set(order.total_price, order.currency),
            "current_total_price_set": money_set(current_total, order.currency),
            "line_items": [self.line_item(order, line) for line in order.lines],
            "shipping_lines": order.shipping_lines,
            "shipping_address": order.shipping_address,
            "billing_address": order.billing_address,
            "customer": order.customer,
            "discount_codes": [],
            "tax_lines": [],
            "fulfillments": [self._fulfillment(order, f) for f in order.fulfillments],
            "refunds": [self._refund(r) for r in order.refunds],
        }

    def _fulfillment(self, order: Order, number: int) -> dict[str, Any]:
        fulfillment = self._orders.fulfillments[number]
        return {
            "id": fulfillment.number,
            "admin_graphql_api_id": gid("Fulfillment", fulfillment.number),
            "order_id": order.number,
            "location_id": fulfillment.location,
            "status": fulfillment.status.lower(),
            "created_at": _time(fulfillment.created_at),
            "updated_at": _time(fulfillment.updated_at),
            "tracking_number": fulfillment.tracking_number,
            "tracking_url": fulfillment.tracking_url,
            "tracking_company": fulfillment.tracking_company,
            "line_items": [
                {**self.line_item(order, order.line(line)), "quantity": quantity}
                for line, quantity in fulfillment.lines
            ],
        }

    def _refund(self, number: int) -> dict[str, Any]:
        refund = self._orders.refunds[number]
        order = self._orders.orders[refund.order]
        return {
            "id": refund.number,
            "admin_graphql_api_id": gid("Refund", refund.number),
            "order_id": order.number,
            "created_at": _time(refund.created_at),
            "note": refund.note,
            "restock": refund.restock,
            "user_id": None,
            "refund_line_items": [
                {
                    "id": line.number,
                    "line_item_id": line.line_item,
                    "quantity": line.quantity,
                    "restock_type": line.restock_type.lower(),
                    "location_id": line.location,
                    "subtotal": money(line.subtotal),
                    "total_tax": "0.00",
                    "line_item": self.line_item(order, order.line(line.line_item)),
                }
                for line in refund.lines
            ],
            "transactions": [self._transaction(t) for t in refund.transactions],
            "order_adjustments": [],
        }

    def refund(self, number: int) -> dict[str, Any]:
        """The refunds/create body: the Refund resource itself."""
        return self._refund(number)

    def _transaction(self, number: int) -> dict[str, Any]:
        t = self._orders.transactions[number]
        order = self._orders.orders[t.order]
        return {
            "id": t.number,
            "admin_graphql_api_id": gid("OrderTransaction", t.number),
            "order_id": t.order,
            "kind": t.kind.lower(),
            "gateway": t.gateway,
            "status": t.status.lower(),
            "amount": money(t.amount),
            "currency": order.currency,
            "created_at": _time(t.created_at),
            "processed_at": _time(t.created_at),
            "parent_id": t.parent,
            "receipt": t.receipt,
            "test": order.test,
            "source_name": order.source_name,
        }

    def transaction(self, number: int) -> dict[str, Any]:
        """The order_transactions/create body."""
        return self._transaction(number)

    def inventory_level(self, number: int) -> dict[str, Any]:
        """The inventory_levels/update body: available only."""
        level = self._catalog.levels[number]
        return {
            "inventory_item_id": level.item,
            "location_id": level.location,
            "available": level.available,
            "updated_at": _time(level.updated_at),
            "admin_graphql_api_id": gid("InventoryLevel", level.number)
            + f"?inventory_item_id={level.item}",
        }
