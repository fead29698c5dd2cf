"""Sitoo routes for sites, stores, warehouses and products."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from service.sandbox.http import envelope, one, page, sandbox_of, site_of
from service.sandbox.values import split_list

ACCOUNT = "/v2/accounts/{accountid:int}"
SITE = ACCOUNT + "/sites/{siteid:int}"


async def get_sites(request: Request) -> Response:
    """GET /sites.json: the one site."""
    sandbox = sandbox_of(request)
    site = {
        "siteid": "{25D9C5B8-51FC-5751-7FBE-37368C7E4EF0}",
        "protocol": "https",
        "server": "sandbox.invalid",
        "abspath": "/",
        "siteurl": "https://sandbox.invalid/",
        "eshopid": sandbox.config.site_id,
    }
    return envelope(request, 1, [site])


async def get_stores(request: Request) -> Response:
    """GET /sites/{s}/stores.json."""
    sandbox = site_of(request)
    start, num = page(request)
    stores = list(sandbox.catalog.stores.values())
    eshopid = sandbox.config.site_id
    return envelope(request, len(stores), [s.to_json(eshopid) for s in stores[start : start + num]])


async def get_store(request: Request) -> Response:
    """GET /sites/{s}/stores/{storeid}.json."""
    sandbox = site_of(request)
    store = sandbox.catalog.store(request.path_params["storeid"])
    return one(request, store.to_json(sandbox.config.site_id))


async def get_warehouses(request: Request) -> Response:
    """GET /sites/{s}/warehouses.json."""
    sandbox = site_of(request)
    start, num = page(request)
    warehouses = list(sandbox.catalog.warehouses.values())
    return envelope(
        request, len(warehouses), [w.to_json() for w in warehouses[start : start + num]]
    )


async def get_warehouse(request: Request) -> Response:
    """GET /sites/{s}/warehouses/{w}.json."""
    sandbox = site_of(request)
    return one(request, sandbox.catalog.warehouse(request.path_params["warehouseid"]).to_json())


async def get_products(request: Request) -> Response:
    """GET /sites/{s}/products.json with an optional comma list of SKUs."""
    sandbox = site_of(request)
    start, num = page(request)
    skus = split_list(request.query_params.get("sku"))
    catalog = sandbox.catalog
    if skus:
        found = [catalog.products[s] for s in dict.fromkeys(skus) if s in catalog.products]
        found.sort(key=lambda p: p.productid)
    else:
        found = catalog.product_order
    return envelope(request, len(found), [p.to_json() for p in found[start : start + num]])


ROUTES = [
    Route(ACCOUNT + "/sites.json", get_sites, methods=["GET"]),
    Route(SITE + "/stores.json", get_stores, methods=["GET"]),
    Route(SITE + "/stores/{storeid:int}.json", get_store, methods=["GET"]),
    Route(SITE + "/warehouses.json", get_warehouses, methods=["GET"]),
    Route(SITE + "/warehouses/{warehouseid:int}.json", get_warehouse, methods=["GET"]),
    Route(SITE + "/products.json", get_products, methods=["GET"]),
]
