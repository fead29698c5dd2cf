"""The executable schema of each API version, with Shopify's scalar rules, built once."""

from __future__ import annotations

import functools
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any
from urllib.parse import urlsplit

from graphql import GraphQLError, GraphQLScalarType, GraphQLSchema, build_schema
from graphql.language import ast

from service.fakes.shopify.clock import parse_time
from service.fakes.shopify.schema_sdl import sdl


def decimal_text(value: Decimal) -> str:
    """Shopify's Decimal output: no trailing zeros but at least one decimal ("100.0", "12.5")."""
    text = format(value.normalize(), "f")
    return text if "." in text else text + ".0"


def _decimal(value: Any) -> Decimal:  # noqa: ANN401 - raw JSON input
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise GraphQLError(f"invalid Decimal: {value!r}")
    try:
        parsed = Decimal(str(value))
    except InvalidOperation:
        raise GraphQLError(f"invalid Decimal: {value!r}") from None
    if not parsed.is_finite():
        raise GraphQLError(f"invalid Decimal: {value!r}")
    return parsed


def _datetime(value: Any) -> str:  # noqa: ANN401 - raw JSON input
    if not isinstance(value, str):
        raise GraphQLError(f"invalid DateTime: {value!r}")
    try:
        parse_time(value)
    except ValueError:
        raise GraphQLError(f"invalid DateTime: {value!r}") from None
    return value


def _date(value: Any) -> str:  # noqa: ANN401 - raw JSON input
    if not isinstance(value, str):
        raise GraphQLError(f"invalid Date: {value!r}")
    try:
        date.fromisoformat(value)
    except ValueError:
        raise GraphQLError(f"invalid Date: {value!r}") from None
    return value


def _url(value: Any) -> str:  # noqa: ANN401 - raw JSON input
    if not isinstance(value, str):
        raise GraphQLError(f"invalid URL: {value!r}")
    parts = urlsplit(value)
    if not parts.scheme or not parts.netloc:
        raise GraphQLError(f"invalid URL: {value!r}")
    return value


def _literal(parse: Any) -> Any:  # noqa: ANN401 - graphql-core's hook signature
    def from_ast(node: ast.ValueNode, _variables: Any = None) -> Any:  # noqa: ANN401
        if isinstance(node, ast.StringValueNode | ast.IntValueNode | ast.FloatValueNode):
            return parse(node.value)
        raise GraphQLError("expected a string")

    return from_ast


def _install(schema: GraphQLSchema, name: str, parse: Any, serialize: Any = str) -> None:  # noqa: ANN401
    scalar = schema.type_map[name]
    assert isinstance(scalar, GraphQLScalarType)  # noqa: S101 - the SDL declares it
    # graphql-core lets a built schema's scalars take their rules as attributes.
    scalar.parse_value = parse  # type: ignore[method-assign]
    scalar.parse_literal = _literal(parse)  # type: ignore[method-assign]
    scalar.serialize = serialize  # type: ignore[method-assign]


@functools.cache
def schema_for(version: str) -> GraphQLSchema:
    """The schema of one API version (cached: building it takes a few milliseconds)."""
    schema = build_schema(sdl(version))
    _install(schema, "Decimal", _decimal, lambda v: decimal_text(Decimal(str(v))))
    _install(schema, "Money", _decimal, lambda v: decimal_text(Decimal(str(v))))
    _install(schema, "DateTime", _datetime)
    _install(schema, "Date", _date)
    _install(schema, "URL", _url)
    _install(schema, "UnsignedInt64", lambda v: str(int(v)))
    return schema
