"""The admin API's web hooks: register (with the ping), inspect, send with faults, deliveries."""

from __future__ import annotations

from pydantic import Field
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from service.fakes.common.admin import PREFIX, AdminError, Body, parse
from service.fakes.common.responses import json_answer
from service.fakes.woocommerce.admin_shop import store_of
from service.fakes.woocommerce.webhooks import STATUSES, DeliveryFaults, Webhook
from service.fakes.woocommerce.wp_json import WooError


class HookBody(Body):
    """POST /_fake/webhooks: as if created in wp-admin or through REST."""

    topic: str
    delivery_url: str
    secret: str
    name: str | None = None
    status: str = "active"


class HookUpdateBody(Body):
    """PUT /_fake/webhooks/{id}."""

    status: str | None = None
    failure_count: int | None = Field(default=None, ge=0)
    delivery_url: str | None = None


class SendBody(Body):
    """POST /_fake/webhooks/send: queue a delivery of a resource, with faults."""

    resource_id: int
    webhook_id: int | None = None
    topic: str | None = None
    drop: bool = False
    duplicate: bool = False
    delay_s: float = Field(default=0.0, ge=0)
    merge: bool = True


def hook_json(hook: Webhook) -> dict[str, object]:
    """Everything about a web hook, failure count and pending ping included."""
    return {
        "id": hook.id,
        "name": hook.name,
        "status": hook.status,
        "topic": hook.topic,
        "delivery_url": hook.delivery_url,
        "failure_count": hook.failure_count,
        "pending_delivery": hook.pending_delivery,
        "api_version": f"wp_api_v{hook.api_version}",
    }


async def webhooks(request: Request) -> Response:
    """GET every web hook; POST creates one and pings it (the ping's outcome is returned)."""
    store = store_of(request)
    if request.method == "GET":
        return json_answer(200, [hook_json(h) for h in store.webhooks.hooks.values()])
    body = await parse(request, HookBody)
    if body.status not in STATUSES:
        raise AdminError(400, f"status must be one of {list(STATUSES)}")
    try:
        hook = store.webhooks.create(
            topic=body.topic,
            delivery_url=body.delivery_url,
            secret=body.secret,
            name=body.name,
            status=body.status,
        )
    except WooError as error:
        raise AdminError(400, error.message) from None
    ping = await store.sender.ping(hook)
    return json_answer(201, {**hook_json(hook), "ping": {"outcome": ping.outcome, "ok": ping.ok}})


def _hook(request: Request) -> Webhook:
    hook = store_of(request).webhooks.hooks.get(int(request.path_params["hook"]))
    if hook is None:
        raise AdminError(404, "no such web hook")
    return hook


async def webhook(request: Request) -> Response:
    """GET one web hook; PUT changes its status, failure count or address."""
    hook = _hook(request)
    if request.method == "PUT":
        body = await parse(request, HookUpdateBody)
        if body.status is not None:
            if body.status not in STATUSES:
                raise AdminError(400, f"status must be one of {list(STATUSES)}")
            hook.status = body.status
        if body.failure_count is not None:
            hook.failure_count = body.failure_count
        if body.delivery_url is not None:
            hook.delivery_url = body.delivery_url
    return json_answer(200, hook_json(hook))


async def send(request: Request) -> Response:
    """Queue a delivery of ``resource_id`` to one hook (or every hook on ``topic``)."""
    store = store_of(request)
    body = await parse(request, SendBody)
    if body.webhook_id is not None:
        targets = [_hook_by_id(request, body.webhook_id)]
    elif body.topic is not None:
        targets = [h for h in store.webhooks.hooks.values() if h.topic == body.topic]
    else:
        raise AdminError(400, "webhook_id or topic is required")
    faults = DeliveryFaults(
        drop=body.drop, duplicate=body.duplicate, delay_s=body.delay_s, merge=body.merge
    )
    made = [d for hook in targets for d in store.send_webhook(hook, body.resource_id, faults)]
    return json_answer(201, [d.to_json() for d in made])


def _hook_by_id(request: Request, number: int) -> Webhook:
    hook = store_of(request).webhooks.hooks.get(number)
    if hook is None:
        raise AdminError(404, "no such web hook")
    return hook


async def deliveries(request: Request) -> Response:
    """Every queued delivery and what became of it; POST sends whatever is due now."""
    store = store_of(request)
    if request.method == "POST":
        await store.deliver_webhooks()
    topic = request.query_params.get("topic")
    found = [d.to_json() for d in store.webhooks.deliveries if topic is None or d.topic == topic]
    return json_answer(200, found)


async def pings(request: Request) -> Response:
    """Every ping sent, with its outcome."""
    found = [
        {"webhook_id": p.webhook_id, "at": p.at, "outcome": p.outcome, "ok": p.ok}
        for p in store_of(request).sender.pings
    ]
    return json_answer(200, found)


ROUTES = [
    Route(f"{PREFIX}/webhooks", webhooks, methods=["GET", "POST"]),
    Route(f"{PREFIX}/webhooks/send", send, methods=["POST"]),
    Route(f"{PREFIX}/webhooks/deliveries", deliveries, methods=["GET", "POST"]),
    Route(f"{PREFIX}/webhooks/pings", pings, methods=["GET"]),
    Route(f"{PREFIX}/webhooks/{{hook:int}}", webhook, methods=["GET", "PUT"]),
]
