"""The admin API's store: place orders (pick-up at a named location), statuses, stock, products."""

from __future__ import annotations

from decimal import Decimal
from typing import Any, Literal

from pydantic import Field
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from service.fakes.common.admin import PREFIX, AdminError, Body, parse
from service.fakes.common.responses import json_answer
from service.fakes.woocommerce.catalog import Product
from service.fakes.woocommerce.order_model import ORDER_STATUSES, MetaItem, Order, ShippingLine
from service.fakes.woocommerce.orders import OrderLine
from service.fakes.woocommerce.product_writes import create_product, update_product
from service.fakes.woocommerce.shapes_orders import order_json, refund_json
from service.fakes.woocommerce.shapes_products import product_json
from service.fakes.woocommerce.store import FakeWooCommerce
from service.fakes.woocommerce.wp_json import WooError

ShippingMethod = Literal["flat_rate", "free_shipping", "local_pickup", "pickup_location"]
GATEWAYS = {"bacs": "Direct bank transfer", "cod": "Cash on delivery", "stripe": "Credit card"}


class LineBody(Body):
    """One line of a new order: a SKU or product id, or a custom line with a name and price."""

    sku: str | None = None
    product_id: int | None = None
    quantity: int = Field(default=1, ge=1)
    name: str | None = None
    price: Decimal | None = None


class OrderBody(Body):
    """POST /_fake/orders: what a checkout leaves behind."""

    line_items: list[LineBody] = Field(min_length=1)
    status: str = "processing"
    pickup_location: str | None = None
    shipping_method: ShippingMethod | None = None
    shipping_total: Decimal = Decimal(0)
    billing: dict[str, str] = Field(default_factory=dict)
    customer_note: str = ""
    payment_method: str = "bacs"


class StatusBody(Body):
    """PUT /_fake/orders/{id}/status: the merchant changes the status in wp-admin."""

    status: str


class RefundLineBody(Body):
    """A refunded line."""

    line_item_id: int
    quantity: int = Field(ge=1)


class RefundBody(Body):
    """POST /_fake/orders/{id}/refunds: a refund made in wp-admin (no gateway call)."""

    amount: Decimal = Field(gt=0)
    reason: str = ""
    lines: list[RefundLineBody] = Field(default_factory=list)
    restock: bool = True


class StockBody(Body):
    """PUT /_fake/stock: the merchant edits a product's stock in wp-admin."""

    sku: str | None = None
    product_id: int | None = None
    stock_quantity: int | None = None
    manage_stock: bool | None = None


class ProductBody(Body):
    """POST /_fake/products: a product, or a variation of ``parent_sku``."""

    name: str
    sku: str = ""
    type: Literal["simple", "variable", "grouped", "external"] = "simple"
    regular_price: str = ""
    manage_stock: bool = False
    stock_quantity: int | None = None
    parent_sku: str | None = None


def store_of(request: Request) -> FakeWooCommerce:
    """The fake store serving this request."""
    store: FakeWooCommerce = request.app.state.store
    return store


def _product(store: FakeWooCommerce, sku: str | None, product_id: int | None) -> Product:
    found = store.catalog.by_sku(sku) if sku else store.catalog.get(product_id or 0)
    if found is None:
        raise AdminError(404, f"no product with sku={sku!r} / id={product_id!r}")
    return found


def _shipping(store: FakeWooCommerce, body: OrderBody) -> ShippingLine | None:
    method = body.shipping_method or ("pickup_location" if body.pickup_location else "flat_rate")
    line_id = store.ids.next("order_item")
    if method == "pickup_location":
        location = next((p for p in store.pickup_locations if p.name == body.pickup_location), None)
        if location is None:
            names = [p.name for p in store.pickup_locations]
            raise AdminError(400, f"pickup_location must be one of {names}")
        meta = [
            ("pickup_location", location.name, "Pickup location"),
            ("pickup_address", location.address, "Pickup address"),
            ("pickup_details", location.details, "Pickup details"),
        ]
        return ShippingLine(
            id=line_id,
            method_id="pickup_location",
            method_title=f"Pickup ({location.name})",
            instance_id="0",
            total=body.shipping_total,
            meta=[MetaItem(store.ids.next("meta"), k, v, label, v) for k, v, label in meta],
        )
    titles = {
        "flat_rate": "Flat rate",
        "free_shipping": "Free shipping",
        "local_pickup": "Local pickup",
    }
    return ShippingLine(line_id, method, titles[method], "1", body.shipping_total)


def place_order(store: FakeWooCommerce, body: OrderBody) -> Order:
    """A checkout: the order, its stock taken, ``order.created`` queued."""
    if body.status not in ORDER_STATUSES:
        raise AdminError(400, f"status must be one of {list(ORDER_STATUSES)}")
    lines = []
    for line in body.line_items:
        if line.sku is None and line.product_id is None:
            if not line.name or line.price is None:
                raise AdminError(400, "a custom line needs a name and a price")
            lines.append(OrderLine(line.quantity, name=line.name, price=line.price))
            continue
        lines.append(
            OrderLine(line.quantity, _product(store, line.sku, line.product_id), price=line.price)
        )
    billing = {
        "first_name": "Ada",
        "last_name": "Lindqvist",
        "company": "",
        "address_1": "Sveavägen 1",
        "address_2": "",
        "city": "Stockholm",
        "state": "",
        "postcode": "111 57",
        "country": "SE",
        "email": "ada@example.com",
        "phone": "+46 8 123 456",
        **body.billing,
    }
    return store.orders.place(
        lines=lines,
        shipping=_shipping(store, body),
        status=body.status,
        currency=store.config.currency,
        billing=billing,
        payment_method=body.payment_method,
        payment_method_title=GATEWAYS.get(body.payment_method, body.payment_method),
        customer_note=body.customer_note,
    )


def _order(store: FakeWooCommerce, number: int) -> Order:
    order = store.orders.get(number)
    if order is None:
        raise AdminError(404, f"no order {number}")
    return order


async def orders(request: Request) -> Response:
    """POST: place an order (a pick-up one with ``pickup_location``: a location's name)."""
    store = store_of(request)
    order = place_order(store, await parse(request, OrderBody))
    return json_answer(201, {"order": order_json(order, store.time, store.rest_base)})


async def order_status(request: Request) -> Response:
    """PUT: change the status as the merchant would (saved, order.updated queued)."""
    store = store_of(request)
    order = _order(store, int(request.path_params["order"]))
    body = await parse(request, StatusBody)
    if body.status not in ORDER_STATUSES:
        raise AdminError(400, f"status must be one of {list(ORDER_STATUSES)}")
    changes = store.orders.set_status(order, body.status)
    store.orders.save(order, changes)
    return json_answer(200, {"order": order_json(order, store.time, store.rest_base)})


async def order_refunds(request: Request) -> Response:
    """POST: a refund made in wp-admin (order.updated, via woocommerce_order_refunded)."""
    store = store_of(request)
    order = _order(store, int(request.path_params["order"]))
    body = await parse(request, RefundBody)
    lines = []
    for line in body.lines:
        item = next((li for li in order.line_items if li.id == line.line_item_id), None)
        if item is None:
            raise AdminError(400, f"no line item {line.line_item_id} in order {order.id}")
        lines.append((item, line.quantity))
    try:
        refund = store.orders.refund(
            order,
            amount=body.amount,
            reason=body.reason,
            lines=lines,
            restock=body.restock,
            refunded_by=1,
        )
    except WooError as error:
        raise AdminError(400, error.message) from None
    return json_answer(201, refund_json(order, refund, store.time, store.rest_base))


async def stock(request: Request) -> Response:
    """PUT: the merchant saves a product's stock (a save: product.updated queued)."""
    store = store_of(request)
    body = await parse(request, StockBody)
    product = _product(store, body.sku, body.product_id)
    data: dict[str, Any] = {
        "stock_quantity": body.stock_quantity,
        "manage_stock": body.manage_stock,
    }
    update_product(store, product, data)
    return json_answer(200, product_json(product, store.catalog, store.time, store.rest_base))


async def products(request: Request) -> Response:
    """POST: a product or a variation."""
    store = store_of(request)
    body = await parse(request, ProductBody)
    parent = _product(store, body.parent_sku, None) if body.parent_sku else None
    try:
        product = create_product(store, body.model_dump(exclude={"parent_sku"}), parent=parent)
    except WooError as error:
        raise AdminError(400, error.message) from None
    return json_answer(201, product_json(product, store.catalog, store.time, store.rest_base))


async def pickup_locations(request: Request) -> Response:
    """GET the pick-up locations customers can choose."""
    store = store_of(request)
    found = [
        {"name": p.name, "address": p.address, "details": p.details, "enabled": p.enabled}
        for p in store.pickup_locations
    ]
    return json_answer(200, found)


ROUTES = [
    Route(f"{PREFIX}/orders", orders, methods=["POST"]),
    Route(f"{PREFIX}/orders/{{order:int}}/status", order_status, methods=["PUT"]),
    Route(f"{PREFIX}/orders/{{order:int}}/refunds", order_refunds, methods=["POST"]),
    Route(f"{PREFIX}/stock", stock, methods=["PUT"]),
    Route(f"{PREFIX}/products", products, methods=["POST"]),
    Route(f"{PREFIX}/pickup-locations", pickup_locations, methods=["GET"]),
]
