"""The admin API under /_fake/: reset, faults, request counts, ledger, clock, cost bucket."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from service.fakes.shopify.admin_http import PREFIX, AdminError, Body, parse, shop_of
from service.fakes.shopify.config import FaultConfig
from service.fakes.shopify.responses import json_answer
from service.fakes.shopify.shop import UnknownSeed


class ResetBody(Body):
    """POST /_fake/reset."""

    seed: str = "demo"


class ClockBody(Body):
    """PUT /_fake/clock."""

    offset_s: float | None = None
    advance_s: float | None = None


class BucketBody(Body):
    """PUT /_fake/bucket: take points from an app's bucket (empty it when none given)."""

    app: str = "main"
    take: float | None = None


async def reset(request: Request) -> Response:
    """Reload a seed; everything else is forgotten."""
    body = await parse(request, ResetBody)
    try:
        shop_of(request).reset(body.seed)
    except UnknownSeed as exc:
        raise AdminError(400, str(exc)) from None
    return json_answer(200, {"seed": body.seed})


async def faults(request: Request) -> Response:
    """GET or PUT (replace) the fault configuration."""
    shop = shop_of(request)
    if request.method == "PUT":
        shop.set_faults(await parse(request, FaultConfig))
    return json_answer(200, shop.faults.model_dump(mode="json"))


async def requests_seen(request: Request) -> Response:
    """Admin API requests by outcome; DELETE clears them."""
    shop = shop_of(request)
    if request.method == "DELETE":
        shop.requests = {}
    return json_answer(200, shop.requests)


async def ledger(request: Request) -> Response:
    """Applied writes, optionally of one kind and/or key."""
    query = request.query_params
    entries = shop_of(request).ledger_entries(kind=query.get("kind"), key=query.get("key"))
    return json_answer(200, [e.to_json() for e in entries])


async def clock(request: Request) -> Response:
    """GET or move the fake's clock."""
    shop = shop_of(request)
    if request.method == "PUT":
        body = await parse(request, ClockBody)
        if body.offset_s is not None:
            shop.clock.set_offset(body.offset_s)
        if body.advance_s is not None:
            shop.clock.advance(body.advance_s)
    return json_answer(200, {"now": shop.clock.now(), "offset_s": shop.clock.offset_s})


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
    Route(f"{PREFIX}/reset", reset, methods=["POST"]),
    Route(f"{PREFIX}/faults", faults, methods=["GET", "PUT"]),
    Route(f"{PREFIX}/requests", requests_seen, methods=["GET", "DELETE"]),
    Route(f"{PREFIX}/ledger", ledger, methods=["GET"]),
    Route(f"{PREFIX}/clock", clock, methods=["GET", "PUT"]),
    Route(f"{PREFIX}/bucket", bucket, methods=["GET", "PUT"]),
]
