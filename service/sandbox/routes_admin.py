"""The admin API under /_sandbox/: reset, faults, counters, ledger, state, set-up, store actions."""

from __future__ import annotations

from typing import Any, TypeVar

from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationError
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from service.sandbox.config import FaultConfig
from service.sandbox.errors import bad_request
from service.sandbox.http import answer, json_body, sandbox_of
from service.sandbox.store_actions import SaleLine
from service.sandbox.values import query_int

PREFIX = "/_sandbox"
Model = TypeVar("Model", bound=BaseModel)


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ResetBody(_Body):
    """POST /_sandbox/reset."""

    seed: str = "demo"


class UserBody(_Body):
    """PUT /_sandbox/users/{api_id}: add or change an API user."""

    password: str = Field(min_length=1)
    administrator: bool = True


class ClockBody(_Body):
    """PUT /_sandbox/clock: set the offset, or move time forward."""

    offset_s: float | None = None
    advance_s: float | None = None


class GiftCardBody(_Body):
    """POST /_sandbox/giftcards."""

    cardnumber: str | None = None
    amount: str = "500.00"
    currencycode: str | None = None
    pin: str | None = None
    date_expires: int | None = None
    redeemable: bool = True
    type: str = "giftcard"


class ProductBody(_Body):
    """POST /_sandbox/products: one product, or `count` generated ones."""

    sku: str | None = None
    title: str | None = None
    price: str = "100.00"
    vat: str = "25"
    count: int | None = Field(default=None, ge=1)
    prefix: str = "BULK"
    warehouseids: list[int] = Field(default_factory=list)
    quantity: str = "10"


class StoreBody(_Body):
    """POST /_sandbox/stores."""

    name: str
    externalid: str | None = None
    city: str = ""


class WarehouseBody(_Body):
    """POST /_sandbox/warehouses."""

    name: str
    warehousetype: int = 10
    storeid: int | None = None
    usetype: int = 10
    sellable: bool = True
    externalid: str | None = None


class StockBody(_Body):
    """PUT /_sandbox/stock."""

    warehouseid: int
    sku: str
    quantity: str


class SaleBody(_Body):
    """POST /_sandbox/actions/pos-sale."""

    storeid: int
    lines: list[dict[str, Any]]
    receipt_id: str
    giftcard: str | None = None
    giftcard_amount: str | None = None
    pin: str | None = None


class OrderActionBody(_Body):
    """POST /_sandbox/actions/{ready-for-pickup,reject-pickup,picked-up}."""

    orderid: int
    reason: str | None = Field(default=None, description="reject-pickup only: the log text.")


class RedeemBody(_Body):
    """POST /_sandbox/actions/redeem-giftcard."""

    cardnumber: str
    amount: str
    receipt_id: str
    storeid: int | None = None
    pin: str | None = None


class StockCountBody(_Body):
    """POST /_sandbox/actions/stock-count."""

    warehouseid: int
    counts: dict[str, str]
    externalid: str | None = None


async def _parse(request: Request, model: type[Model]) -> Model:
    raw = await request.body()
    try:
        return model.model_validate_json(raw or b"{}")
    except ValidationError as exc:
        first = exc.errors(include_url=False, include_input=False)[0]
        where = ".".join(str(p) for p in first["loc"])
        raise bad_request(f"{where}: {first['msg']}") from None


async def reset(request: Request) -> Response:
    """Reload a seed; everything else is forgotten."""
    body = await _parse(request, ResetBody)
    sandbox_of(request).reset(body.seed)
    return answer({"seed": body.seed})


async def put_user(request: Request) -> Response:
    """Add an API user or change its password and Administrator rights."""
    body = await _parse(request, UserBody)
    api_id = request.path_params["api_id"]
    config = sandbox_of(request).config
    config.credentials[api_id] = SecretStr(body.password)
    others = [user for user in config.without_admin_rights if user != api_id]
    config.without_admin_rights = others if body.administrator else [*others, api_id]
    return answer({"api_id": api_id, "administrator": body.administrator})


async def faults(request: Request) -> Response:
    """GET or PUT (replace) the fault configuration."""
    sandbox = sandbox_of(request)
    if request.method == "PUT":
        sandbox.set_faults(await _parse(request, FaultConfig))
    return answer(sandbox.faults.model_dump(mode="json"))


async def requests(request: Request) -> Response:
    """GET the request counters, or DELETE to start counting afresh."""
    sandbox = sandbox_of(request)
    if request.method == "DELETE":
        sandbox.counters.clear()
    return answer(sandbox.counters.snapshot())


async def violations(request: Request) -> Response:
    """GET the requests that broke the Sitoo description, or DELETE to forget them."""
    sandbox = sandbox_of(request)
    if request.method == "DELETE":
        sandbox.violations.clear()
    return answer(sandbox.violations.snapshot())


async def ledger(request: Request) -> Response:
    """Every applied write in order; filters kind and key."""
    query = request.query_params
    entries = sandbox_of(request).ledger_entries(kind=query.get("kind"), key=query.get("key"))
    return answer([e.to_json() for e in entries])


async def clock(request: Request) -> Response:
    """GET the sandbox time, or PUT an offset / an advance."""
    sandbox = sandbox_of(request)
    if request.method == "PUT":
        body = await _parse(request, ClockBody)
        if body.offset_s is not None:
            sandbox.clock.set_offset(body.offset_s)
        if body.advance_s is not None:
            sandbox.clock.advance(body.advance_s)
    return answer({"now": sandbox.clock.now(), "offset_s": sandbox.clock.offset_s})


async def state_orders(request: Request) -> Response:
    """Stored orders (optionally the one with ?externalid=), with deliveries."""
    sandbox = sandbox_of(request)
    orders = sandbox.find_orders(externalid=request.query_params.get("externalid"))
    return answer(
        [{**o.to_json(), "orderdeliveries": [d.to_json() for d in o.deliveries]} for o in orders]
    )


async def state_giftcard(request: Request) -> Response:
    """One card with its full ledger."""
    return answer(sandbox_of(request).giftcard_state(request.path_params["cardnumber"]))


async def state_stock(request: Request) -> Response:
    """Warehouse items, optionally ?warehouseid= and/or ?sku=."""
    query = request.query_params
    items = sandbox_of(request).stock_state(
        warehouseid=query_int(query.get("warehouseid"), "warehouseid"), sku=query.get("sku")
    )
    return answer(items)


async def create_giftcard(request: Request) -> Response:
    """Issue a card with any attributes (expired, blocked, PIN...)."""
    body = await _parse(request, GiftCardBody)
    card = sandbox_of(request).put_giftcard(
        cardnumber=body.cardnumber,
        amount=body.amount,
        currencycode=body.currencycode,
        pin=body.pin,
        date_expires=body.date_expires,
        redeemable=body.redeemable,
        card_type=body.type,
    )
    return answer(card.to_json())


async def modify_giftcard(request: Request) -> Response:
    """Change redeemable, date_expires or pin of a card (keys present are changed)."""
    sandbox = sandbox_of(request)
    body = await json_body(request)
    if not isinstance(body, dict) or not set(body) <= {"redeemable", "date_expires", "pin"}:
        raise bad_request("Only redeemable, date_expires and pin can be changed.")
    cardnumber = request.path_params["cardnumber"]
    card = sandbox.giftcards.card(cardnumber)
    if "redeemable" in body:
        card.redeemable = bool(body["redeemable"])
    if "date_expires" in body:
        card.date_expires = body["date_expires"]
    if "pin" in body:
        card.pin = body["pin"] or None
    return answer(card.to_json())


async def create_products(request: Request) -> Response:
    """One product (sku) or many (count, prefix, warehouseids, quantity)."""
    sandbox = sandbox_of(request)
    body = await _parse(request, ProductBody)
    if body.count is not None:
        skus = sandbox.add_products(
            body.count,
            prefix=body.prefix,
            warehouseids=body.warehouseids,
            quantity=body.quantity,
            price=body.price,
        )
        return answer({"skus": len(skus), "first": skus[0], "last": skus[-1]})
    if body.sku is None:
        raise bad_request("Give sku, or count for many products.")
    product = sandbox.add_product(body.sku, title=body.title, price=body.price, vat=body.vat)
    for warehouseid in body.warehouseids:
        sandbox.set_stock(warehouseid, body.sku, body.quantity)
    return answer(product.to_json())


async def create_store(request: Request) -> Response:
    """A new store."""
    body = await _parse(request, StoreBody)
    store = sandbox_of(request).add_store(body.name, externalid=body.externalid, city=body.city)
    return answer(store.to_json(sandbox_of(request).config.site_id))


async def create_warehouse(request: Request) -> Response:
    """A new warehouse."""
    body = await _parse(request, WarehouseBody)
    warehouse = sandbox_of(request).add_warehouse(**body.model_dump())
    return answer(warehouse.to_json())


async def set_stock(request: Request) -> Response:
    """Set an on-hand level directly (no transaction)."""
    body = await _parse(request, StockBody)
    sandbox = sandbox_of(request)
    sandbox.set_stock(body.warehouseid, body.sku, body.quantity)
    return answer(sandbox.stock_state(warehouseid=body.warehouseid, sku=body.sku))


async def pos_sale(request: Request) -> Response:
    """A till sale in a store; answers the created order."""
    body = await _parse(request, SaleBody)
    lines = [SaleLine(str(line["sku"]), int(line.get("quantity", 1))) for line in body.lines]
    order = sandbox_of(request).staff.pos_sale(
        body.storeid,
        lines,
        receipt_id=body.receipt_id,
        giftcard=body.giftcard,
        giftcard_amount=body.giftcard_amount,
        pin=body.pin,
    )
    return answer(order.to_json())


async def order_action(request: Request) -> Response:
    """ready-for-pickup, reject-pickup or picked-up on an order."""
    body = await _parse(request, OrderActionBody)
    sandbox = sandbox_of(request)
    action = request.url.path.rsplit("/", 1)[-1]
    if body.reason is not None and action != "reject-pickup":
        raise bad_request("Only reject-pickup takes a reason.")
    if action == "ready-for-pickup":
        sandbox.staff.ready_for_pickup(body.orderid)
    elif action == "reject-pickup":
        sandbox.staff.reject_pickup(body.orderid, reason=body.reason)
    else:
        sandbox.staff.picked_up(body.orderid)
    return answer(sandbox.orders.get(body.orderid).to_json())


async def redeem_giftcard(request: Request) -> Response:
    """A till redeems a card."""
    body = await _parse(request, RedeemBody)
    card = sandbox_of(request).staff.redeem_giftcard(
        body.cardnumber, body.amount, receipt_id=body.receipt_id, storeid=body.storeid, pin=body.pin
    )
    return answer(card.to_json())


async def stock_count(request: Request) -> Response:
    """Staff count stock; answers the stock-taking transaction."""
    body = await _parse(request, StockCountBody)
    tx = sandbox_of(request).staff.stock_count(
        body.warehouseid, body.counts, externalid=body.externalid
    )
    return answer(tx.to_json())


ROUTES = [
    Route(PREFIX + "/reset", reset, methods=["POST"]),
    Route(PREFIX + "/users/{api_id}", put_user, methods=["PUT"]),
    Route(PREFIX + "/faults", faults, methods=["GET", "PUT"]),
    Route(PREFIX + "/requests", requests, methods=["GET", "DELETE"]),
    Route(PREFIX + "/violations", violations, methods=["GET", "DELETE"]),
    Route(PREFIX + "/ledger", ledger, methods=["GET"]),
    Route(PREFIX + "/clock", clock, methods=["GET", "PUT"]),
    Route(PREFIX + "/state/orders", state_orders, methods=["GET"]),
    Route(PREFIX + "/state/giftcards/{cardnumber}", state_giftcard, methods=["GET"]),
    Route(PREFIX + "/state/stock", state_stock, methods=["GET"]),
    Route(PREFIX + "/giftcards", create_giftcard, methods=["POST"]),
    Route(PREFIX + "/giftcards/{cardnumber}", modify_giftcard, methods=["PUT"]),
    Route(PREFIX + "/products", create_products, methods=["POST"]),
    Route(PREFIX + "/stores", create_store, methods=["POST"]),
    Route(PREFIX + "/warehouses", create_warehouse, methods=["POST"]),
    Route(PREFIX + "/stock", set_stock, methods=["PUT"]),
    Route(PREFIX + "/actions/pos-sale", pos_sale, methods=["POST"]),
    *(
        Route(PREFIX + f"/actions/{action}", order_action, methods=["POST"])
        for action in ("ready-for-pickup", "reject-pickup", "picked-up")
    ),
    Route(PREFIX + "/actions/redeem-giftcard", redeem_giftcard, methods=["POST"]),
    Route(PREFIX + "/actions/stock-count", stock_count, methods=["POST"]),
]
