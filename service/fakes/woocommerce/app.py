"""Assembles the fake WooCommerce's Starlette app: the REST API under /wp-json/ and /_fake/."""

from __future__ import annotations

import time
from collections.abc import Callable

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from service.fakes.common.admin import AdminError, admin_error, common_routes
from service.fakes.common.faults import BaseFaultConfig
from service.fakes.woocommerce import (
    admin_shop,
    admin_webhooks,
    rest_orders,
    rest_products,
    rest_webhooks,
)
from service.fakes.woocommerce.admin_shop import store_of
from service.fakes.woocommerce.config import FakeWooCommerceConfig, FaultConfig
from service.fakes.woocommerce.rest import RestApi
from service.fakes.woocommerce.store import FakeWooCommerce
from service.fakes.woocommerce.wp_json import wp_answer

_METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE"]


def _set_faults(request: Request, faults: BaseFaultConfig) -> None:
    assert isinstance(faults, FaultConfig)  # noqa: S101 - parsed as FaultConfig by the route
    store_of(request).set_faults(faults)


async def _http_error(request: Request, exc: Exception) -> Response:
    del request
    assert isinstance(exc, HTTPException)  # noqa: S101 - registered for this type only
    return wp_answer(
        exc.status_code,
        {"code": "http_error", "message": str(exc.detail), "data": {"status": exc.status_code}},
    )


def create_fake_woocommerce_app(
    config: FakeWooCommerceConfig | None = None, *, now: Callable[[], float] = time.time
) -> Starlette:
    """A fake WooCommerce store; its state object is ``app.state.store``."""
    store = FakeWooCommerce(config or FakeWooCommerceConfig(), now=now)
    rest = RestApi([*rest_products.ROUTES, *rest_orders.ROUTES, *rest_webhooks.ROUTES])
    app = Starlette(
        routes=[
            *common_routes(store_of, FaultConfig, _set_faults),
            *admin_shop.ROUTES,
            *admin_webhooks.ROUTES,
            Route("/wp-json", rest.endpoint, methods=_METHODS),
            Route("/wp-json/{route:path}", rest.endpoint, methods=_METHODS),
            # Plain permalinks: /?rest_route=/wc/v3/...
            Route("/", rest.endpoint, methods=_METHODS),
            Route("/index.php", rest.endpoint, methods=_METHODS),
        ],
        exception_handlers={AdminError: admin_error, HTTPException: _http_error},
    )
    app.state.store = store
    return app
