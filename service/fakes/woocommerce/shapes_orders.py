"""Orders, notes, refunds and web hooks as the REST API (and order web hooks) show them."""

from __future__ import annotations

from typing import Any

from service.fakes.woocommerce.order_model import Note, Order, Refund, money
from service.fakes.woocommerce.times import SiteTime
from service.fakes.woocommerce.webhooks import Webhook
from service.fakes.woocommerce.wp_json import links

ZERO = "0.00"


def _line_items(order: Order) -> list[dict[str, Any]]:
    return [
        {
            "id": item.id,
            "name": item.name,
            "product_id": item.product_id,
            "variation_id": item.variation_id,
            "quantity": item.quantity,
            "tax_class": "",
            "subtotal": money(item.total),
            "subtotal_tax": ZERO,
            "total": money(item.total),
            "total_tax": ZERO,
            "taxes": [],
            "meta_data": [],
            "sku": item.sku,
            "price": float(item.price) if item.price % 1 else int(item.price),  # a number
        }
        for item in order.line_items
    ]


def order_json(order: Order, time: SiteTime, base: str) -> dict[str, Any]:
    """GET /orders/<id>, which is also the body of every order web hook."""
    return {
        "id": order.id,
        "parent_id": 0,
        "number": str(order.id),
        "order_key": order.order_key,
        "created_via": order.created_via,
        "version": "9.9.0",
        "status": order.status,
        "currency": order.currency,
        **time.pair("date_created", order.created_at),
        **time.pair("date_modified", order.modified_at),
        "discount_total": ZERO,
        "discount_tax": ZERO,
        "shipping_total": money(order.shipping_total),
        "shipping_tax": ZERO,
        "cart_tax": ZERO,
        "total": money(order.total),
        "total_tax": ZERO,
        "prices_include_tax": False,
        "customer_id": order.customer_id,
        "customer_ip_address": "",
        "customer_user_agent": "",
        "customer_note": order.customer_note,
        "billing": dict(order.billing),
        "shipping": dict(order.shipping),
        "payment_method": order.payment_method,
        "payment_method_title": order.payment_method_title,
        "transaction_id": order.transaction_id,
        **time.pair("date_paid", order.paid_at),
        **time.pair("date_completed", order.completed_at),
        "cart_hash": "",
        "meta_data": list(order.meta),
        "line_items": _line_items(order),
        "tax_lines": [],
        "shipping_lines": [
            {
                "id": line.id,
                "method_title": line.method_title,
                "method_id": line.method_id,
                "instance_id": line.instance_id,
                "total": money(line.total),
                "total_tax": ZERO,
                "taxes": [],
                "meta_data": [m.to_json() for m in line.meta],
            }
            for line in order.shipping_lines
        ],
        "fee_lines": [],
        "coupon_lines": [],
        "refunds": [
            {"id": r.id, "reason": r.reason, "total": money(-r.amount)}
            for r in reversed(order.refunds)
        ],
        "_links": links(base, f"orders/{order.id}", "orders"),
    }


def note_json(order: Order, note: Note, time: SiteTime, base: str) -> dict[str, Any]:
    """GET /orders/<id>/notes/<note_id>."""
    return {
        "id": note.id,
        "author": note.author,
        **time.pair("date_created", note.created_at),
        "note": note.note,
        "customer_note": note.customer_note,
        "_links": links(
            base,
            f"orders/{order.id}/notes/{note.id}",
            f"orders/{order.id}/notes",
            up=f"orders/{order.id}",
        ),
    }


def refund_json(order: Order, refund: Refund, time: SiteTime, base: str) -> dict[str, Any]:
    """GET /orders/<id>/refunds/<refund_id>."""
    return {
        "id": refund.id,
        **time.pair("date_created", refund.created_at),
        "amount": money(refund.amount),
        "reason": refund.reason,
        "refunded_by": refund.refunded_by,
        "refunded_payment": refund.refunded_payment,
        "meta_data": [],
        "line_items": [
            {
                "id": line.id,
                "name": line.name,
                "product_id": line.product_id,
                "variation_id": line.variation_id,
                "quantity": line.quantity,
                "tax_class": "",
                "subtotal": money(line.total),
                "subtotal_tax": ZERO,
                "total": money(line.total),
                "total_tax": ZERO,
                "taxes": [],
                "meta_data": [
                    {"id": 0, "key": "_refunded_item_id", "value": str(line.line_item_id)}
                ],
                "sku": line.sku,
                "price": float(line.total / line.quantity) if line.quantity else 0,
            }
            for line in refund.lines
        ],
        "_links": links(
            base,
            f"orders/{order.id}/refunds/{refund.id}",
            f"orders/{order.id}/refunds",
            up=f"orders/{order.id}",
        ),
    }


def webhook_json(hook: Webhook, time: SiteTime, base: str, *, edit: bool = False) -> dict[str, Any]:
    """GET /webhooks/<id>; the secret only in the edit context (create and update answers)."""
    data: dict[str, Any] = {
        "id": hook.id,
        "name": hook.name,
        "status": hook.status,
        "topic": hook.topic,
        "resource": hook.resource,
        "event": hook.event,
        "hooks": hook.hooks,
        "delivery_url": hook.delivery_url,
    }
    if edit:
        data["secret"] = hook.secret
    data |= time.pair("date_created", hook.created_at)
    data |= time.pair("date_modified", hook.modified_at)
    data["_links"] = links(base, f"webhooks/{hook.id}", "webhooks")
    return data
