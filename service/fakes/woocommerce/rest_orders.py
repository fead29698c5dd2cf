"""wc/v3 orders, order notes and refunds (FACTS.md §3, §5.3, §5.4, §5.6)."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal, InvalidOperation
from typing import Any

from service.fakes.woocommerce.order_model import ORDER_STATUSES, Order
from service.fakes.woocommerce.pagination import in_window, ordered, page
from service.fakes.woocommerce.params import Param, page_params
from service.fakes.woocommerce.product_writes import as_bool
from service.fakes.woocommerce.rest import RestContext, RestResult, RestRoute
from service.fakes.woocommerce.shapes_orders import note_json, order_json, refund_json
from service.fakes.woocommerce.store import FakeWooCommerce
from service.fakes.woocommerce.wp_json import WooError

_SORT_KEYS: dict[str, Callable[[Order], Any]] = {
    "date": lambda o: o.created_at,
    "id": lambda o: o.id,
    "include": lambda o: o.id,
    "title": lambda o: o.id,
    "slug": lambda o: o.id,
    "modified": lambda o: o.modified_at,
}
LIST_PARAMS = {
    **page_params(orderby=tuple(_SORT_KEYS)),
    "status": Param("enum-list", enum=("any", "trash", *ORDER_STATUSES), default=["any"]),
    "modified_after": Param("date-time"),
    "modified_before": Param("date-time"),
    "after": Param("date-time"),
    "before": Param("date-time"),
    "dates_are_gmt": Param("boolean", default=False),
    "include": Param("id-list"),
    "customer": Param("integer"),
    "product": Param("integer"),
    "_fields": Param("string"),
}
UPDATE_PARAMS = {
    "status": Param("enum", enum=ORDER_STATUSES),
    "customer_note": Param("string"),
    "transaction_id": Param("string"),
    "_fields": Param("string"),
}
NOTE_PARAMS = {
    "note": Param("string", required=True),
    "customer_note": Param("boolean", default=False),
    "added_by_user": Param("boolean", default=False),
}
REFUND_PARAMS = {
    "amount": Param("string"),
    "reason": Param("string"),
    "api_refund": Param("boolean", default=True),
    "api_restock": Param("boolean", default=True),
}


def _keep(order: Order, ctx: RestContext) -> bool:
    params, store = ctx.params, ctx.store
    statuses = params["status"]
    if "any" not in statuses and order.status not in statuses:
        return False
    if params.get("include") and order.id not in params["include"]:
        return False
    if params.get("customer") is not None and order.customer_id != params["customer"]:
        return False
    if params.get("product") is not None and all(
        params["product"] not in {li.product_id, li.variation_id} for li in order.line_items
    ):
        return False
    return in_window(
        order.modified_at, params, store.time, after="modified_after", before="modified_before"
    ) and in_window(order.created_at, params, store.time, after="after", before="before")


async def list_orders(ctx: RestContext) -> RestResult:
    """GET /orders: status, modified_after (strictly after, whole seconds), orderby, pages."""
    store = ctx.store
    found = ordered(
        [o for o in store.orders.orders.values() if _keep(o, ctx)], ctx.params, _SORT_KEYS
    )
    shown, headers = page(found, ctx.params, ctx.url)
    return RestResult([order_json(o, store.time, store.rest_base) for o in shown], headers=headers)


def _order(store: FakeWooCommerce, number: int, *, status: int = 404) -> Order:
    order = store.orders.get(number)
    if order is None:
        raise WooError("woocommerce_rest_shop_order_invalid_id", "Invalid ID.", status)
    return order


async def get_order(ctx: RestContext) -> RestResult:
    """GET /orders/<id>."""
    order = _order(ctx.store, ctx.ids["id"])
    return RestResult(order_json(order, ctx.store.time, ctx.store.rest_base))


async def put_order(ctx: RestContext) -> RestResult:
    """PUT /orders/<id>: every PUT saves the order (new modified time, order.updated)."""
    store = ctx.store
    order = _order(store, ctx.ids["id"], status=400)
    changes: dict[str, Any] = {}
    if ctx.params.get("status") is not None:
        changes |= store.orders.set_status(order, ctx.params["status"])
    for name in ("customer_note", "transaction_id"):
        value = ctx.params.get(name)
        if value is not None and value != getattr(order, name):
            changes[name] = [getattr(order, name), value]
            setattr(order, name, value)
    store.orders.save(order, changes)
    return RestResult(order_json(order, store.time, store.rest_base))


def _order_of_note(store: FakeWooCommerce, number: int) -> Order:
    order = store.orders.get(number)
    if order is None:
        raise WooError("woocommerce_rest_order_invalid_id", "Invalid order ID.", 404)
    return order


async def list_notes(ctx: RestContext) -> RestResult:
    """GET /orders/<id>/notes: every note, newest first, not paginated."""
    store = ctx.store
    order = _order_of_note(store, ctx.ids["id"])
    kind = ctx.params["type"]
    notes = [
        n for n in reversed(order.notes) if kind == "any" or (kind == "customer") == n.customer_note
    ]
    return RestResult([note_json(order, n, store.time, store.rest_base) for n in notes])


async def get_note(ctx: RestContext) -> RestResult:
    """GET /orders/<id>/notes/<note_id>."""
    store = ctx.store
    order = _order_of_note(store, ctx.ids["id"])
    for note in order.notes:
        if note.id == ctx.ids["note"]:
            return RestResult(note_json(order, note, store.time, store.rest_base))
    raise WooError("woocommerce_rest_invalid_id", "Invalid resource ID.", 404)


async def create_note(ctx: RestContext) -> RestResult:
    """POST /orders/<id>/notes: no idempotency key; the same note twice is two notes."""
    store = ctx.store
    order = _order_of_note(store, ctx.ids["id"])
    text = str(ctx.params["note"])
    if not text.strip():
        raise WooError(
            "woocommerce_rest_invalid_order_note",
            "Cannot create order note, please try again.",
            500,
        )
    by_user = bool(ctx.params["added_by_user"])
    note = store.orders.add_note(
        order,
        text,
        customer_note=bool(ctx.params["customer_note"]),
        added_by_user=by_user,
        author="admin" if by_user else "system",
    )
    body = note_json(order, note, store.time, store.rest_base)
    return RestResult(body, status=201, headers={"Location": body["_links"]["self"][0]["href"]})


async def list_refunds(ctx: RestContext) -> RestResult:
    """GET /orders/<id>/refunds."""
    store = ctx.store
    order = _order_of_note(store, ctx.ids["id"])
    refunds = ordered(
        list(order.refunds), ctx.params, {"date": lambda r: r.created_at, "id": lambda r: r.id}
    )
    shown, headers = page(refunds, ctx.params, ctx.url)
    body = [refund_json(order, r, store.time, store.rest_base) for r in shown]
    return RestResult(body, headers=headers)


async def get_refund(ctx: RestContext) -> RestResult:
    """GET /orders/<id>/refunds/<refund_id>."""
    store = ctx.store
    order = _order_of_note(store, ctx.ids["id"])
    for refund in order.refunds:
        if refund.id == ctx.ids["refund"]:
            return RestResult(refund_json(order, refund, store.time, store.rest_base))
    raise WooError("woocommerce_rest_shop_order_refund_invalid_id", "Invalid ID.", 404)


async def create_refund(ctx: RestContext) -> RestResult:
    """POST /orders/<id>/refunds; ``api_refund`` (default true) needs a gateway that refunds."""
    store = ctx.store
    order = _order_of_note(store, ctx.ids["id"])
    if ctx.params["api_refund"]:
        raise WooError(
            "woocommerce_rest_cannot_create_order_refund",
            "The payment gateway for this order does not support automatic refunds.",
            500,
        )
    try:
        amount = Decimal(str(ctx.params.get("amount") or "0"))
    except InvalidOperation:
        amount = Decimal(0)
    lines = []
    for raw in _refund_line_items(ctx.params.get("line_items")):
        item = next((li for li in order.line_items if li.id == _int(raw.get("id"))), None)
        if item is not None and _int(raw.get("quantity")) > 0:
            lines.append((item, _int(raw.get("quantity"))))
    refund = store.orders.refund(
        order,
        amount=amount,
        reason=str(ctx.params.get("reason") or ""),
        lines=lines,
        restock=as_bool(ctx.params["api_restock"]),
        refunded_by=ctx.principal.user_id,
    )
    return RestResult(refund_json(order, refund, store.time, store.rest_base), status=201)


def _refund_line_items(value: object) -> list[dict[str, Any]]:
    """``line_items`` as the schema declares it: an array of objects (else 400, as WordPress)."""
    if value is None:
        return []
    problem = None
    if not isinstance(value, list):
        problem = "line_items is not of type array."
    else:
        odd = next((i for i, item in enumerate(value) if not isinstance(item, dict)), None)
        if odd is not None:
            problem = f"line_items[{odd}] is not of type object."
    if problem is not None:
        raise WooError(
            "rest_invalid_param",
            "Invalid parameter(s): line_items",
            400,
            params={"line_items": problem},
        )
    assert isinstance(value, list)  # noqa: S101 - checked above, for the type checker
    return value


def _int(value: object) -> int:
    try:
        return int(str(value))
    except ValueError:
        return 0


_ID = r"(?P<id>\d+)"
ROUTES = [
    RestRoute("GET", "orders", list_orders, "list", LIST_PARAMS),
    RestRoute("GET", f"orders/{_ID}", get_order, "view", {"_fields": Param("string")}),
    RestRoute("EDIT", f"orders/{_ID}", put_order, "edit", UPDATE_PARAMS),
    RestRoute(
        "GET",
        f"orders/{_ID}/notes",
        list_notes,
        "list",
        {"type": Param("enum", enum=("any", "customer", "internal"), default="any")},
    ),
    RestRoute("POST", f"orders/{_ID}/notes", create_note, "create", NOTE_PARAMS),
    RestRoute("GET", rf"orders/{_ID}/notes/(?P<note>\d+)", get_note, "view"),
    RestRoute(
        "GET", f"orders/{_ID}/refunds", list_refunds, "list", page_params(orderby=("date", "id"))
    ),
    RestRoute("POST", f"orders/{_ID}/refunds", create_refund, "create", REFUND_PARAMS),
    RestRoute("GET", rf"orders/{_ID}/refunds/(?P<refund>\d+)", get_refund, "view"),
]
