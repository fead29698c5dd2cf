"""The fake Shopify's admin API helpers: the shared ones, its shop and its ids."""

from __future__ import annotations

from starlette.requests import Request

from service.fakes.common.admin import PREFIX, AdminError, Body, admin_error, parse
from service.fakes.shopify.ids import parse_gid
from service.fakes.shopify.shop import FakeShopify

__all__ = ["PREFIX", "AdminError", "Body", "admin_error", "number_of", "parse", "shop_of"]


def shop_of(request: Request) -> FakeShopify:
    """The fake shop serving this request."""
    shop: FakeShopify = request.app.state.shop
    return shop


def number_of(value: object, kind: str) -> int:
    """A numeric id given as a number, digits or a gid of ``kind``; else a 400."""
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.isdigit():
        return int(value)
    parsed = parse_gid(value)
    if parsed is None or parsed[0] != kind:
        raise AdminError(400, f"not a {kind} id: {value!r}")
    return parsed[1]
