"""wc/v3 webhooks: list (to see a disabled one), read, create (with its ping), update, delete."""

from __future__ import annotations

import secrets

from service.fakes.woocommerce.pagination import ordered, page
from service.fakes.woocommerce.params import Param, page_params
from service.fakes.woocommerce.rest import RestContext, RestResult, RestRoute
from service.fakes.woocommerce.shapes_orders import webhook_json
from service.fakes.woocommerce.store import FakeWooCommerce
from service.fakes.woocommerce.webhooks import STATUSES, Webhook, check_topic, check_url
from service.fakes.woocommerce.wp_json import WooError

LIST_PARAMS = {
    **page_params(orderby=("date", "id", "title")),
    "status": Param("enum", enum=("all", *STATUSES), default="all"),
    "include": Param("id-list"),
}
CREATE_PARAMS = {
    "topic": Param("string", required=True),
    "delivery_url": Param("string", required=True),
    "name": Param("string"),
    "secret": Param("string"),
    "status": Param("enum", enum=STATUSES, default="active"),
}
UPDATE_PARAMS = {
    "topic": Param("string"),
    "delivery_url": Param("string"),
    "name": Param("string"),
    "secret": Param("string"),
    "status": Param("string"),
}


def _hook(store: FakeWooCommerce, number: int, *, status: int = 400) -> Webhook:
    hook = store.webhooks.hooks.get(number)
    if hook is None:
        message = "ID is invalid." if status == 400 else "Invalid ID."  # noqa: PLR2004
        raise WooError("woocommerce_rest_shop_webhook_invalid_id", message, status)
    return hook


async def list_webhooks(ctx: RestContext) -> RestResult:
    """GET /webhooks?status=disabled shows hooks WooCommerce turned off after failures."""
    store = ctx.store
    wanted = ctx.params["status"]
    hooks = [
        h
        for h in store.webhooks.hooks.values()
        if wanted in {"all", h.status}
        and (not ctx.params.get("include") or h.id in ctx.params["include"])
    ]
    keys = {"date": lambda h: h.created_at, "id": lambda h: h.id, "title": lambda h: h.name}
    shown, headers = page(ordered(hooks, ctx.params, keys), ctx.params, ctx.url)
    body = [webhook_json(h, store.time, store.rest_base) for h in shown]
    return RestResult(body, headers=headers)


async def get_webhook(ctx: RestContext) -> RestResult:
    """GET /webhooks/<id> (an unknown id is a 400, as WooCommerce answers it)."""
    store = ctx.store
    edit = ctx.params.get("context") == "edit"
    hook = _hook(store, ctx.ids["id"])
    return RestResult(webhook_json(hook, store.time, store.rest_base, edit=edit))


async def create_webhook(ctx: RestContext) -> RestResult:
    """POST /webhooks: saved, then pinged; the ping's outcome does not change the answer."""
    store = ctx.store
    params = ctx.params
    hook = store.webhooks.create(
        topic=str(params["topic"]),
        delivery_url=str(params["delivery_url"]),
        # WooCommerce generates a 50-character password when no secret is given.
        secret=str(params.get("secret") or secrets.token_urlsafe(38)[:50]),
        name=params.get("name"),
        status=params["status"],
        user_id=ctx.principal.user_id,
    )
    await store.sender.ping(hook)
    body = webhook_json(hook, store.time, store.rest_base, edit=True)
    return RestResult(
        body, status=201, headers={"Location": f"{store.rest_base}/webhooks/{hook.id}"}
    )


async def update_webhook(ctx: RestContext) -> RestResult:
    """PUT /webhooks/<id>: re-activating keeps the failure count (only a success resets it)."""
    store = ctx.store
    hook = _hook(store, ctx.ids["id"])
    params = ctx.params
    if params.get("topic"):
        check_topic(str(params["topic"]))
        hook.topic = str(params["topic"]).lower()
    if params.get("delivery_url"):
        check_url(str(params["delivery_url"]))
        hook.delivery_url = str(params["delivery_url"])
    if params.get("secret"):
        hook.secret = str(params["secret"])
    if params.get("status"):
        if str(params["status"]).lower() not in STATUSES:
            raise WooError(
                "woocommerce_rest_shop_webhook_invalid_status", "Webhook status must be valid.", 400
            )
        hook.status = str(params["status"]).lower()
    if params.get("name"):
        hook.name = str(params["name"])
    hook.modified_at = store.clock.now()
    store.ledger.record("webhook.update", f"webhook/{hook.id}", status=hook.status)
    return RestResult(webhook_json(hook, store.time, store.rest_base, edit=True))


async def delete_webhook(ctx: RestContext) -> RestResult:
    """DELETE /webhooks/<id>?force=true (web hooks cannot be trashed)."""
    store = ctx.store
    if not ctx.params["force"]:
        raise WooError(
            "woocommerce_rest_trash_not_supported", "Webhooks do not support trashing.", 501
        )
    hook = _hook(store, ctx.ids["id"], status=404)
    body = webhook_json(hook, store.time, store.rest_base, edit=True)
    store.webhooks.delete(hook.id)
    return RestResult(body)


_ID = r"(?P<id>\d+)"
ROUTES = [
    RestRoute("GET", "webhooks", list_webhooks, "list", LIST_PARAMS),
    RestRoute("POST", "webhooks", create_webhook, "create", CREATE_PARAMS),
    RestRoute(
        "GET",
        f"webhooks/{_ID}",
        get_webhook,
        "view",
        {"context": Param("enum", enum=("view", "edit"), default="view")},
    ),
    RestRoute("EDIT", f"webhooks/{_ID}", update_webhook, "edit", UPDATE_PARAMS),
    RestRoute(
        "DELETE",
        f"webhooks/{_ID}",
        delete_webhook,
        "delete",
        {"force": Param("boolean", default=False)},
    ),
]
