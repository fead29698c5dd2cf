"""Top-level GraphQL errors in Shopify's wording and codes (graphql-ruby style)."""

from __future__ import annotations

import re
from typing import Any

from graphql import GraphQLError

_RULES: list[tuple[re.Pattern[str], str, str]] = [
    (
        re.compile(r"Cannot query field '(?P<field>\w+)' on type '(?P<type>\w+)'\."),
        "Field '{field}' doesn't exist on type '{type}'",
        "undefinedField",
    ),
    (
        re.compile(r"Unknown argument '(?P<arg>\w+)' on field '(?P<type>\w+)\.(?P<field>\w+)'\."),
        "Field '{field}' doesn't accept argument '{arg}'",
        "argumentNotAccepted",
    ),
    (
        re.compile(
            r"Field '(?P<field>\w+)' argument '(?P<arg>\w+)' of type '[^']+' is required, "
            r"but it was not provided\."
        ),
        "Field '{field}' is missing required arguments: {arg}",
        "missingRequiredArguments",
    ),
    (re.compile(r"Unknown type '(?P<type>\w+)'\."), "No such type {type}", "undefinedType"),
    (
        re.compile(r"Unknown directive '@(?P<name>\w+)'\."),
        "Directive @{name} is not defined",
        "undefinedDirective",
    ),
    (
        re.compile(r"Field '(?P<field>\w+)' of type '[^']+' must have a selection of subfields.*"),
        "Field must have selections (field '{field}' returns an object)",
        "selectionMismatch",
    ),
    (
        re.compile(
            r"Variable '\$(?P<var>\w+)' of required type '(?P<type>[^']+)' was not provided\."
        ),
        "Variable ${var} of type {type} was provided invalid value",
        "INVALID_VARIABLE",
    ),
    (
        re.compile(r"Variable '\$(?P<var>\w+)' got invalid value (?P<rest>.*)"),
        "Variable ${var} of type was provided invalid value: {rest}",
        "INVALID_VARIABLE",
    ),
]


def shopify_error(error: GraphQLError) -> dict[str, Any]:
    """One error as Shopify formats it; validation messages are reworded to Shopify's."""
    formatted: dict[str, Any] = dict(error.formatted)
    for pattern, template, code in _RULES:
        match = pattern.match(error.message)
        if match is not None:
            formatted["message"] = template.format(**match.groupdict())
            formatted["extensions"] = {"code": code, **(error.extensions or {})}
            break
    if not formatted.get("path"):
        formatted.pop("path", None)
    return formatted


def shopify_errors(errors: list[GraphQLError]) -> list[dict[str, Any]]:
    """Every error of a response."""
    return [shopify_error(e) for e in errors]
