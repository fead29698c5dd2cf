"""Assembles the sandbox's Starlette app: Sitoo routes, admin routes and the gate."""

from __future__ import annotations

import time
from collections.abc import Callable

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import Response

from service.sandbox import (
    routes_admin,
    routes_catalog,
    routes_giftcards,
    routes_orders,
    routes_stock,
)
from service.sandbox.config import SandboxConfig
from service.sandbox.errors import SandboxError
from service.sandbox.gate import SandboxGate
from service.sandbox.http import error_answer
from service.sandbox.sandbox import Sandbox

_HTTP_TEXTS = {404: "Invalid URL", 405: "Method not allowed"}


async def _sandbox_error(request: Request, exc: Exception) -> Response:
    del request
    assert isinstance(exc, SandboxError)  # noqa: S101 - registered for this type only
    return error_answer(exc)


async def _http_error(request: Request, exc: Exception) -> Response:
    del request
    assert isinstance(exc, HTTPException)  # noqa: S101 - registered for this type only
    status = exc.status_code
    return error_answer(SandboxError(status, _HTTP_TEXTS.get(status, str(exc.detail))))


async def _unexpected(request: Request, exc: Exception) -> Response:
    del request, exc
    return error_answer(SandboxError(500, "Internal Server Error"))


def create_sandbox_app(
    config: SandboxConfig | None = None, *, now: Callable[[], float] = time.time
) -> Starlette:
    """A Sitoo stand-in; the state object is `app.state.sandbox`."""
    sandbox = Sandbox(config or SandboxConfig(), now=now)
    sitoo_routes = [
        *routes_catalog.ROUTES,
        *routes_orders.ROUTES,
        *routes_giftcards.ROUTES,
        *routes_stock.ROUTES,
    ]
    app = Starlette(
        routes=[*sitoo_routes, *routes_admin.ROUTES],
        middleware=[Middleware(SandboxGate, sandbox=sandbox, routes=sitoo_routes)],
        exception_handlers={
            SandboxError: _sandbox_error,
            HTTPException: _http_error,
            Exception: _unexpected,
        },
    )
    app.state.sandbox = sandbox
    return app
