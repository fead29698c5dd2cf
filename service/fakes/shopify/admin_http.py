"""Shared pieces of the fake's admin API: its error, strict bodies, ids and the shop."""

from __future__ import annotations

from typing import TypeVar

from pydantic import BaseModel, ConfigDict, ValidationError
from starlette.requests import Request
from starlette.responses import Response

from service.fakes.shopify.ids import parse_gid
from service.fakes.shopify.responses import json_answer
from service.fakes.shopify.shop import FakeShopify

PREFIX = "/_fake"
Model = TypeVar("Model", bound=BaseModel)


class AdminError(Exception):
    """A refused admin call: status and text."""

    def __init__(self, status: int, text: str) -> None:
        super().__init__(text)
        self.status = status
        self.text = text


class Body(BaseModel):
    """A strict admin request body."""

    model_config = ConfigDict(extra="forbid")


async def parse(request: Request, model: type[Model]) -> Model:
    try:
        return model.model_validate_json((await request.body()) or b"{}")
    except ValidationError as exc:
        first = exc.errors(include_url=False, include_input=False)[0]
        raise AdminError(400, f"{'.'.join(str(p) for p in first['loc'])}: {first['msg']}") from None


def shop_of(request: Request) -> FakeShopify:
    shop: FakeShopify = request.app.state.shop
    return shop


def number_of(value: object, kind: str) -> int:
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.isdigit():
        return int(value)
    parsed = parse_gid(value)
    if parsed is None or parsed[0] != kind:
        raise AdminError(400, f"not a {kind} id: {value!r}")
    return parsed[1]


async def admin_error(request: Request, exc: Exception) -> Response:
    """An AdminError as JSON."""
    del request
    assert isinstance(exc, AdminError)  # noqa: S101 - registered for this type only
    return json_answer(exc.status, {"error": exc.text})
