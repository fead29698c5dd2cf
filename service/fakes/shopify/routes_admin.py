"""The admin API under /_fake/: the shared routes, plus the cost bucket."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from service.fakes.common.admin import common_routes
from service.fakes.common.faults import BaseFaultConfig
from service.fakes.common.responses import json_answer
from service.fakes.shopify.admin_http import PREFIX, Body, parse, shop_of
from service.fakes.shopify.config import FaultConfig


class BucketBody(Body):
    """PUT /_fake/bucket: take points from an app's bucket (empty it when none given)."""

    app: str = "main"
    take: float | None = None


def _set_faults(request: Request, faults: BaseFaultConfig) -> None:
    assert isinstance(faults, FaultConfig)  # noqa: S101 - parsed as FaultConfig by the route
    shop_of(request).set_faults(faults)


async def bucket(request: Request) -> Response:
    """Take points from an app's cost bucket (to provoke THROTTLED); GET shows it."""
    shop = shop_of(request)
    app = request.query_params.get("app", "main")
    if request.method == "PUT":
        body = await parse(request, BucketBody)
        app = body.app
        shop.buckets.drain(app, body.take)
    return json_answer(200, shop.buckets.status(app))


ROUTES = [
    *common_routes(shop_of, FaultConfig, _set_faults),
    Route(f"{PREFIX}/bucket", bucket, methods=["GET", "PUT"]),
]
