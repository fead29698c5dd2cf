"""Pick-up and fulfilment mutations, orderCancel and tagsAdd."""

from __future__ import annotations

from typing import Any

from graphql import GraphQLResolveInfo

from service.fakes.shopify.access import context, require, user_error
from service.fakes.shopify.ids import gid, number_of
from service.fakes.shopify.order_store import OrderRefused
from service.fakes.shopify.views_orders import fulfillment, order_view


def prepared_for_pickup(info: GraphQLResolveInfo, input: dict[str, Any]) -> dict[str, Any]:
    """Mark pick-up fulfillment orders ready; Shopify notifies the customer."""
    require(info, "write_merchant_managed_fulfillment_orders")
    shop = context(info).shop
    numbers = [
        number_of(entry["fulfillmentOrderId"], "FulfillmentOrder")
        for entry in input["lineItemsByFulfillmentOrder"]
    ]
    try:
        shop.orders.prepare_for_pickup(numbers)
    except OrderRefused as refused:
        return {"userErrors": [user_error(refused.message, refused.field, refused.code)]}
    return {"userErrors": []}


def fulfillment_create(
    info: GraphQLResolveInfo, fulfillment: dict[str, Any], message: str | None = None
) -> dict[str, Any]:
    """Fulfil (all or some of) the lines of fulfillment orders of one order."""
    require(info, "write_merchant_managed_fulfillment_orders")
    del message
    shop = context(info).shop
    requests: list[tuple[int | None, list[tuple[int, int]] | None]] = []
    for entry in fulfillment["lineItemsByFulfillmentOrder"]:
        lines = entry.get("fulfillmentOrderLineItems")
        chosen = None
        if lines:
            chosen = [
                (number_of(line["id"], "FulfillmentOrderLineItem") or -1, line["quantity"])
                for line in lines
            ]
        requests.append((number_of(entry["fulfillmentOrderId"], "FulfillmentOrder"), chosen))
    try:
        made = shop.orders.fulfil(requests)
    except OrderRefused as refused:
        return {"fulfillment": None, "userErrors": [user_error(refused.message, refused.field)]}
    tracking = fulfillment.get("trackingInfo") or {}
    made.tracking_number = tracking.get("number")
    made.tracking_url = tracking.get("url")
    made.tracking_company = tracking.get("company")
    return {"fulfillment": fulfillment_view(info, made.number), "userErrors": []}


def fulfillment_view(info: GraphQLResolveInfo, number: int) -> dict[str, Any]:
    """The Fulfillment answered by fulfillmentCreate."""
    return fulfillment(context(info).shop, number)


def order_cancel(
    info: GraphQLResolveInfo,
    orderId: str,
    reason: str,
    restock: bool,
    notifyCustomer: bool = False,
    staffNote: str | None = None,
    refund: bool | None = None,
    refundMethod: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Cancel an order: asynchronous in Shopify (a Job), applied at once here."""
    require(info, "write_orders")
    del notifyCustomer
    shop = context(info).shop
    if refund is not None and refundMethod is not None:
        error = user_error(
            "Only one of refund or refundMethod may be given", ["refundMethod"], "INVALID"
        )
        return {"job": None, "orderCancelUserErrors": [error], "userErrors": [error]}
    if refund is None and refundMethod is None:
        error = user_error("A refund method is required", ["refundMethod"], "INVALID")
        return {"job": None, "orderCancelUserErrors": [error], "userErrors": [error]}
    refunds = (
        bool(refund)
        if refundMethod is None
        else bool(refundMethod.get("originalPaymentMethodsRefund"))
    )
    number = number_of(orderId, "Order")
    try:
        shop.orders.cancel(
            number if number is not None else -1,
            reason=reason,
            restock=restock,
            refund=refunds,
            staff_note=staffNote,
        )
    except OrderRefused as refused:
        error = user_error(refused.message, refused.field, refused.code)
        plain = user_error(refused.message, refused.field)
        return {"job": None, "orderCancelUserErrors": [error], "userErrors": [plain]}
    job = shop.ids.next("Job")
    shop.jobs[job] = True
    return {
        "job": {"id": gid("Job", job), "done": False},
        "orderCancelUserErrors": [],
        "userErrors": [],
    }


def tags_add(info: GraphQLResolveInfo, id: str, tags: list[str]) -> dict[str, Any]:
    """Add tags to an order (the only taggable resource in the fake)."""
    require(info, "write_orders")
    shop = context(info).shop
    number = number_of(id, "Order")
    if number is None or number not in shop.orders.orders:
        return {"node": None, "userErrors": [user_error("Resource does not exist", ["id"])]}
    if not [t for t in tags if t.strip()]:
        return {"node": None, "userErrors": [user_error("Tags can't be blank", ["tags"])]}
    shop.orders.tags_add(number, tags)
    return {"node": order_view(shop, shop.orders.orders[number]), "userErrors": []}
