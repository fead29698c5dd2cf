"""The admin API's web hooks: subscriptions, sending any topic with faults, deliveries."""

from __future__ import annotations

from typing import Any

from pydantic import Field
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from service.fakes.common.responses import json_answer
from service.fakes.shopify.admin_http import PREFIX, AdminError, Body, number_of, parse, shop_of
from service.fakes.shopify.shop import FakeShopify
from service.fakes.shopify.webhooks import TOPICS, DeliveryFaults, SubscriptionRefused


class SubscriptionBody(Body):
    """POST /_fake/webhooks/subscriptions."""

    topic: str
    uri: str
    source: str = "app"
    name: str | None = None
    include_fields: list[str] = Field(default_factory=list)


class SendBody(Body):
    """POST /_fake/webhooks/send: any topic for something the shop holds, with faults."""

    topic: str
    resource_id: int | str | None = None
    payload: dict[str, Any] | None = None
    subscription_id: int | None = None
    drop: bool = False
    duplicate: bool = False
    delay_s: float = Field(default=0.0, ge=0)


async def subscriptions(request: Request) -> Response:
    """GET every subscription, or POST one (source app = declared in the app's TOML)."""
    shop = shop_of(request)
    if request.method == "POST":
        body = await parse(request, SubscriptionBody)
        if body.topic not in TOPICS or body.source not in {"app", "api"}:
            raise AdminError(400, f"topic must be one of {list(TOPICS)}; source app or api")
        try:
            shop.webhooks.subscribe(
                body.topic,
                body.uri,
                source=body.source,  # type: ignore[arg-type]
                name=body.name,
                include_fields=body.include_fields,
            )
        except SubscriptionRefused as exc:
            raise AdminError(400, exc.message) from None
    found = [
        {
            "id": s.number,
            "topic": s.topic,
            "uri": s.uri,
            "source": s.source,
            "name": s.name,
            "failures": s.failures,
        }
        for s in shop.webhooks.subscriptions.values()
    ]
    return json_answer(201 if request.method == "POST" else 200, found)


async def delete_subscription(request: Request) -> Response:
    """Remove a subscription."""
    if not shop_of(request).webhooks.unsubscribe(int(request.path_params["subscription"])):
        raise AdminError(404, "subscription not found")
    return json_answer(200, {"deleted": True})


def _payload_for(shop: FakeShopify, topic: str, resource: int | str | None) -> dict[str, Any]:
    kinds = {
        "orders": "Order",
        "refunds": "Refund",
        "inventory_levels": "InventoryLevel",
        "order_transactions": "OrderTransaction",
        "fulfillment_orders": "FulfillmentOrder",
    }
    kind = kinds[topic.split("/", maxsplit=1)[0]]
    if resource is None:
        raise AdminError(400, "resource_id or payload is required")
    try:
        return shop.shapes.payload(kind, number_of(resource, kind))
    except KeyError:
        raise AdminError(404, f"no {kind} {resource}") from None


async def send_webhook(request: Request) -> Response:
    """Raise one event for something the shop holds (or a given payload), with fault choices."""
    shop = shop_of(request)
    body = await parse(request, SendBody)
    if body.topic not in TOPICS:
        raise AdminError(400, f"topic must be one of {list(TOPICS)}")
    payload = (
        body.payload
        if body.payload is not None
        else _payload_for(shop, body.topic, body.resource_id)
    )
    faults = DeliveryFaults(drop=body.drop, duplicate=body.duplicate, delay_s=body.delay_s)
    made = shop.send_webhook(body.topic, payload, faults=faults, only=body.subscription_id)
    return json_answer(201, [d.to_json() for d in made])


async def deliveries(request: Request) -> Response:
    """Every delivery with its attempts; POST sends whatever is due now."""
    shop = shop_of(request)
    if request.method == "POST":
        await shop.deliver_webhooks()
    topic = request.query_params.get("topic")
    found = [d.to_json() for d in shop.webhooks.deliveries if topic is None or d.topic == topic]
    return json_answer(200, found)


ROUTES = [
    Route(f"{PREFIX}/webhooks/subscriptions", subscriptions, methods=["GET", "POST"]),
    Route(
        f"{PREFIX}/webhooks/subscriptions/{{subscription:int}}",
        delete_subscription,
        methods=["DELETE"],
    ),
    Route(f"{PREFIX}/webhooks/send", send_webhook, methods=["POST"]),
    Route(f"{PREFIX}/webhooks/deliveries", deliveries, methods=["GET", "POST"]),
]
