"""The request's context (app, scopes, version) and Shopify's access-denied error."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from graphql import GraphQLError, GraphQLResolveInfo

if TYPE_CHECKING:
    from service.fakes.shopify.shop import FakeShopify


@dataclass
class RequestContext:
    """What every resolver may need about the request."""

    shop: FakeShopify
    version: str
    app: str
    scopes: frozenset[str]
    idempotency_keys: dict[str, str] = field(default_factory=dict)  # response key -> key


def context(info: GraphQLResolveInfo) -> RequestContext:
    """The request context of a resolver."""
    ctx: RequestContext = info.context
    return ctx


def require(info: GraphQLResolveInfo, scope: str) -> None:
    """Refuse the field unless the app has the scope (FACTS.md §10.14: a top-level error)."""
    if scope not in context(info).scopes:
        raise GraphQLError(
            f"Access denied for {info.field_name} field. Required access: `{scope}` access scope.",
            extensions={
                "code": "ACCESS_DENIED",
                "documentation": "https://shopify.dev/api/usage/access-scopes",
                "requiredAccess": f"`{scope}` access scope.",
            },
        )


def user_error(
    message: str, field_path: list[str] | None, code: str | None = None
) -> dict[str, Any]:
    """One entry of a payload's userErrors."""
    error: dict[str, Any] = {"field": field_path, "message": message}
    if code is not None:
        error["code"] = code
    return error
