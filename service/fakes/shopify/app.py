"""Assembles the fake Shopify's Starlette app: the Admin GraphQL endpoint and the admin API."""

from __future__ import annotations

import time
from collections.abc import Callable

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from service.fakes.common.responses import json_answer
from service.fakes.shopify import routes_admin, routes_admin_shop, routes_admin_webhooks
from service.fakes.shopify.admin_http import AdminError, admin_error
from service.fakes.shopify.config import FakeShopifyConfig
from service.fakes.shopify.graphql_endpoint import graphql
from service.fakes.shopify.shop import FakeShopify


async def _http_error(request: Request, exc: Exception) -> Response:
    del request
    assert isinstance(exc, HTTPException)  # noqa: S101 - registered for this type only
    texts = {404: "Not Found", 405: "Method Not Allowed"}
    return json_answer(exc.status_code, {"errors": texts.get(exc.status_code, str(exc.detail))})


def create_fake_shopify_app(
    config: FakeShopifyConfig | None = None, *, now: Callable[[], float] = time.time
) -> Starlette:
    """A fake Shopify; its state object is ``app.state.shop``."""
    shop = FakeShopify(config or FakeShopifyConfig(), now=now)
    app = Starlette(
        routes=[
            Route("/admin/api/{version}/graphql.json", graphql, methods=["POST"]),
            *routes_admin.ROUTES,
            *routes_admin_shop.ROUTES,
            *routes_admin_webhooks.ROUTES,
        ],
        exception_handlers={AdminError: admin_error, HTTPException: _http_error},
    )
    app.state.shop = shop
    return app
