"""Sitoo routes for orders, order deliveries and order log items."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from service.sandbox.errors import bad_request
from service.sandbox.http import answer, envelope, json_body, one, page, sandbox_of, site_of
from service.sandbox.order_model import Order
from service.sandbox.routes_catalog import ACCOUNT, SITE
from service.sandbox.sandbox import Sandbox
from service.sandbox.values import query_bool, query_int, split_int_list, split_list

ORDER = SITE + "/orders/{orderid:int}"


def _matching(sandbox: Sandbox, request: Request, *, eshopid: int | None) -> list[Order]:
    query = request.query_params
    externalids = set(split_list(query.get("externalid")))
    orderids = set(split_int_list(query.get("orderid"), "orderid"))
    id_from = query_int(query.get("orderidfrom"), "orderidfrom")
    id_to = query_int(query.get("orderidto"), "orderidto")
    date_from = query_int(query.get("orderdatefrom"), "orderdatefrom")
    date_to = query_int(query.get("orderdateto"), "orderdateto")
    states = set(split_int_list(query.get("orderstate"), "orderstate"))
    types = set(split_int_list(query.get("ordertype"), "ordertype"))
    paystates = set(split_int_list(query.get("paymentstate"), "paymentstate"))
    warehouses = set(split_int_list(query.get("warehouseid"), "warehouseid"))
    email = query.get("email")
    sort = query.get("sort", "-orderid")
    if sort not in ("orderid", "-orderid"):
        raise bad_request(f"Invalid value '{sort}' for 'sort'.")
    found = [
        o
        for o in sandbox.orders.orders.values()
        if (eshopid is None or o.eshopid == eshopid)
        and (not externalids or o.externalid in externalids)
        and (not orderids or o.orderid in orderids)
        and (id_from is None or o.orderid >= id_from)
        and (id_to is None or o.orderid <= id_to)
        and (date_from is None or o.orderdate >= date_from)
        and (date_to is None or o.orderdate <= date_to)
        and (not states or o.orderstateid in states)
        and (not types or o.ordertypeid in types)
        and (not paystates or o.paymentstateid in paystates)
        and (not warehouses or o.warehouseid in warehouses)
        and (email is None or o.header.get("email") == email)
    ]
    found.sort(key=lambda o: o.orderid, reverse=sort.startswith("-"))
    return found


def _list(request: Request, sandbox: Sandbox, eshopid: int | None) -> Response:
    start, num = page(request)
    found = _matching(sandbox, request, eshopid=eshopid)
    return envelope(
        request, len(found), [o.to_json(with_log=False) for o in found[start : start + num]]
    )


async def get_site_orders(request: Request) -> Response:
    """GET /sites/{s}/orders.json."""
    sandbox = site_of(request)
    return _list(request, sandbox, sandbox.config.site_id)


async def get_account_orders(request: Request) -> Response:
    """GET /orders.json (account level; filter eshopid)."""
    sandbox = sandbox_of(request)
    return _list(request, sandbox, query_int(request.query_params.get("eshopid"), "eshopid"))


async def post_order(request: Request) -> Response:
    """POST /sites/{s}/orders.json: answers the bare new orderid."""
    sandbox = site_of(request)
    return answer(sandbox.orders.create(await json_body(request)).orderid)


async def get_order(request: Request) -> Response:
    """GET one order (with its log items)."""
    sandbox = site_of(request)
    return one(request, sandbox.orders.get(request.path_params["orderid"]).to_json())


async def put_order(request: Request) -> Response:
    """PUT one order: partial update, answers true."""
    sandbox = site_of(request)
    sandbox.orders.update(request.path_params["orderid"], await json_body(request))
    return answer(True)  # noqa: FBT003 - Sitoo's literal answer


async def deliveries(request: Request) -> Response:
    """GET the order's deliveries, or POST one (answers the orderdeliveryid)."""
    sandbox = site_of(request)
    orderid = request.path_params["orderid"]
    if request.method == "GET":
        order = sandbox.orders.get(orderid)
        start, num = page(request)
        found = order.deliveries
        return envelope(request, len(found), [d.to_json() for d in found[start : start + num]])
    delivery = sandbox.orders.add_delivery(
        orderid,
        await json_body(request),
        ignorestock=query_bool(request.query_params.get("ignorestock")),
    )
    return answer(delivery.orderdeliveryid)


async def log_items(request: Request) -> Response:
    """GET the order's log items, or POST a 900/910 one (answers true)."""
    sandbox = site_of(request)
    orderid = request.path_params["orderid"]
    if request.method == "GET":
        order = sandbox.orders.get(orderid)
        start, num = page(request)
        found = order.logitems
        return envelope(request, len(found), [dict(i) for i in found[start : start + num]])
    sandbox.orders.add_log_item(orderid, await json_body(request))
    return answer(True)  # noqa: FBT003 - Sitoo's literal answer


ROUTES = [
    Route(ACCOUNT + "/orders.json", get_account_orders, methods=["GET"]),
    Route(SITE + "/orders.json", get_site_orders, methods=["GET"]),
    Route(SITE + "/orders.json", post_order, methods=["POST"]),
    Route(ORDER + ".json", get_order, methods=["GET"]),
    Route(ORDER + ".json", put_order, methods=["PUT"]),
    Route(ORDER + "/orderdeliveries.json", deliveries, methods=["GET", "POST"]),
    Route(ORDER + "/orderlogitems.json", log_items, methods=["GET", "POST"]),
]
