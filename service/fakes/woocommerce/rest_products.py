"""wc/v3 products and variations: by SKU, read, update, batch (FACTS.md §5.1, §5.2)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from service.fakes.woocommerce.batch import run_batch
from service.fakes.woocommerce.catalog import BACKORDERS, STOCK_STATUSES, Product
from service.fakes.woocommerce.pagination import in_window, ordered, page
from service.fakes.woocommerce.params import Param, page_params
from service.fakes.woocommerce.product_writes import (
    create_product,
    product_to_update,
    update_product,
    variation_to_update,
)
from service.fakes.woocommerce.rest import RestContext, RestResult, RestRoute
from service.fakes.woocommerce.shapes_products import product_json, variation_json
from service.fakes.woocommerce.store import FakeWooCommerce
from service.fakes.woocommerce.wp_json import WooError

_ORDERBY = ("date", "id", "include", "title", "slug", "modified", "price", "popularity")
_SORT_KEYS: dict[str, Callable[[Product], Any]] = {
    "date": lambda p: p.created_at,
    "id": lambda p: p.id,
    "include": lambda p: p.id,
    "title": lambda p: p.name,
    "slug": lambda p: p.name.lower(),
    "modified": lambda p: p.modified_at,
    "price": lambda p: p.regular_price or 0,
    "popularity": lambda p: p.total_sales,
}
_COMMON = {
    "modified_after": Param("date-time"),
    "modified_before": Param("date-time"),
    "dates_are_gmt": Param("boolean", default=False),
    "include": Param("id-list"),
    "sku": Param("string"),
    "stock_status": Param("enum", enum=STOCK_STATUSES),
    "_fields": Param("string"),
}
LIST_PARAMS = {
    **page_params(orderby=_ORDERBY),
    **_COMMON,
    "type": Param("enum", enum=("simple", "grouped", "external", "variable")),
    "status": Param(
        "enum", enum=("any", "future", "trash", "draft", "pending", "private", "publish")
    ),
}
VARIATION_LIST_PARAMS = {**page_params(orderby=_ORDERBY), **_COMMON}
UPDATE_PARAMS = {
    "manage_stock": Param("boolean"),
    "stock_quantity": Param("integer"),
    "backorders": Param("enum", enum=BACKORDERS),
    "stock_status": Param("enum", enum=STOCK_STATUSES),
    "sku": Param("string"),
    "name": Param("string"),
    "regular_price": Param("string"),
    "_fields": Param("string"),
}
VARIATION_UPDATE_PARAMS = {**UPDATE_PARAMS, "manage_stock": Param("string")}


def _sku_match(product: Product, asked: str) -> bool:
    """Exact, case-insensitive; a comma list, and the whole string as one SKU too."""
    wanted = {s.strip().casefold() for s in asked.split(",")} | {asked.strip().casefold()}
    return bool(product.sku) and product.sku.casefold() in wanted


def _filtered(
    store: FakeWooCommerce, items: list[Product], params: dict[str, Any]
) -> list[Product]:
    found = []
    for product in items:
        if params.get("sku") and not _sku_match(product, params["sku"]):
            continue
        if params.get("include") and product.id not in params["include"]:
            continue
        if params.get("type") and product.type != params["type"]:
            continue
        if params.get("stock_status") and product.stock_status != params["stock_status"]:
            continue
        if not in_window(
            product.modified_at,
            params,
            store.time,
            after="modified_after",
            before="modified_before",
        ):
            continue
        found.append(product)
    return ordered(found, params, _SORT_KEYS)


async def list_products(ctx: RestContext) -> RestResult:
    """GET /products: with ``sku``, variations are found as well (FACTS.md §5.1)."""
    store = ctx.store
    with_variations = bool(ctx.params.get("sku"))
    items = [p for p in store.catalog.items.values() if with_variations or p.type != "variation"]
    found, headers = page(_filtered(store, items, ctx.params), ctx.params, ctx.url)
    body = [product_json(p, store.catalog, store.time, store.rest_base) for p in found]
    return RestResult(body, headers=headers)


def _product(store: FakeWooCommerce, number: int) -> Product:
    product = store.catalog.get(number)
    if product is None:
        raise WooError("woocommerce_rest_product_invalid_id", "Invalid ID.", 404)
    return product


async def get_product(ctx: RestContext) -> RestResult:
    """GET /products/<id> (a variation's id works too)."""
    store = ctx.store
    product = _product(store, ctx.ids["id"])
    return RestResult(product_json(product, store.catalog, store.time, store.rest_base))


async def put_product(ctx: RestContext) -> RestResult:
    """PUT /products/<id>: a variation's id is refused (FACTS.md §5.1)."""
    store = ctx.store
    product = product_to_update(store, ctx.ids["id"])
    update_product(store, product, ctx.params)
    return RestResult(product_json(product, store.catalog, store.time, store.rest_base))


async def batch_products(ctx: RestContext) -> RestResult:
    """POST /products/batch."""
    store = ctx.store

    def shape(product: Product) -> dict[str, Any]:
        return product_json(product, store.catalog, store.time, store.rest_base)

    def update(item: dict[str, Any]) -> Product:
        product = product_to_update(store, item.get("id"))
        update_product(store, product, item)
        return product

    def delete(number: int) -> dict[str, Any]:
        product = product_to_update(store, number)
        body = shape(product)
        del store.catalog.items[product.id]
        store.ledger.record("product.delete", f"product/{product.id}")
        store.emit("product", "deleted", product.id)
        return body

    body = run_batch(
        store,
        ctx.params,
        create=lambda item: shape(create_product(store, item)),
        update=lambda item: shape(update(item)),
        delete=delete,
    )
    return RestResult(body or [], filterable=False)


def _parent(store: FakeWooCommerce, number: int) -> Product:
    parent = store.catalog.get(number)
    if parent is None or parent.type == "variation":
        raise WooError("woocommerce_rest_product_invalid_id", "Invalid ID.", 404)
    return parent


async def list_variations(ctx: RestContext) -> RestResult:
    """GET /products/<parent>/variations."""
    store = ctx.store
    parent = _parent(store, ctx.ids["parent"])
    items = [p for p in (store.catalog.get(v) for v in parent.variations) if p is not None]
    found, headers = page(_filtered(store, items, ctx.params), ctx.params, ctx.url)
    body = [variation_json(p, store.catalog, store.time, store.rest_base) for p in found]
    return RestResult(body, headers=headers)


async def get_variation(ctx: RestContext) -> RestResult:
    """GET /products/<parent>/variations/<id>."""
    store = ctx.store
    variation = store.catalog.get(ctx.ids["id"])
    if variation is None or variation.parent_id != ctx.ids["parent"]:
        raise WooError("woocommerce_rest_product_variation_invalid_id", "Invalid ID.", 404)
    return RestResult(variation_json(variation, store.catalog, store.time, store.rest_base))


async def put_variation(ctx: RestContext) -> RestResult:
    """PUT /products/<parent>/variations/<id>."""
    store = ctx.store
    variation = variation_to_update(store, ctx.ids["parent"], ctx.ids["id"])
    update_product(store, variation, ctx.params)
    return RestResult(variation_json(variation, store.catalog, store.time, store.rest_base))


async def batch_variations(ctx: RestContext) -> RestResult:
    """POST /products/<parent>/variations/batch."""
    store = ctx.store
    parent = _parent(store, ctx.ids["parent"])

    def shape(product: Product) -> dict[str, Any]:
        return variation_json(product, store.catalog, store.time, store.rest_base)

    def update(item: dict[str, Any]) -> Product:
        variation = variation_to_update(store, parent.id, item.get("id"))
        update_product(store, variation, item)
        return variation

    def delete(number: int) -> dict[str, Any]:
        variation = variation_to_update(store, parent.id, number)
        body = shape(variation)
        del store.catalog.items[variation.id]
        parent.variations.remove(variation.id)
        store.ledger.record("product.delete", f"product/{variation.id}")
        return body

    body = run_batch(
        store,
        ctx.params,
        create=lambda item: shape(create_product(store, item, parent=parent)),
        update=lambda item: shape(update(item)),
        delete=delete,
    )
    return RestResult(body or [], filterable=False)


_ID = r"(?P<id>\d+)"
_PARENT = r"(?P<parent>\d+)"
ROUTES = [
    RestRoute("GET", "products", list_products, "list", LIST_PARAMS),
    RestRoute("EDIT", "products/batch", batch_products, "batch"),
    RestRoute("GET", f"products/{_ID}", get_product, "view", {"_fields": Param("string")}),
    RestRoute("EDIT", f"products/{_ID}", put_product, "edit", UPDATE_PARAMS),
    RestRoute(
        "GET", f"products/{_PARENT}/variations", list_variations, "list", VARIATION_LIST_PARAMS
    ),
    RestRoute("EDIT", f"products/{_PARENT}/variations/batch", batch_variations, "batch"),
    RestRoute(
        "GET",
        f"products/{_PARENT}/variations/{_ID}",
        get_variation,
        "view",
        {"_fields": Param("string")},
    ),
    RestRoute(
        "EDIT",
        f"products/{_PARENT}/variations/{_ID}",
        put_variation,
        "edit",
        VARIATION_UPDATE_PARAMS,
    ),
]
