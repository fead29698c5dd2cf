"""Pydantic's JSON Schema rewritten into the dialect of AsyncAPI 3.0's Schema Object.

Pydantic writes JSON Schema 2020-12 with OpenAPI's ``discriminator`` object; AsyncAPI 3.0's
Schema Object is a superset of JSON Schema draft 07 whose ``discriminator`` is a property
*name* naming the inheriting schema. The official parser refuses the OpenAPI form, so every
schema in the document passes through :func:`asyncapi_schema`, whatever model it came from.
"""

from __future__ import annotations

from typing import Any

# Keywords whose value is a map of name -> schema.
_SCHEMA_MAPS = frozenset({"properties", "patternProperties", "definitions", "$defs"})
# Keywords whose value is a schema or a list of schemas.
_SUBSCHEMAS = frozenset(
    {
        "items",
        "prefixItems",
        "additionalItems",
        "additionalProperties",
        "propertyNames",
        "contains",
        "not",
        "if",
        "then",
        "else",
        "allOf",
        "anyOf",
        "oneOf",
    }
)


def _rewrite_discriminator(schema: dict[str, Any]) -> None:
    """OpenAPI's ``{propertyName, mapping}`` becomes a ``oneOf`` note; the branches still decide.

    Each branch pydantic generates pins the discriminating property with ``const``, so the
    ``oneOf`` alone validates the same instances. AsyncAPI's string ``discriminator`` means
    something else (the name of the inheriting schema), so the object is not translated
    into it; the property that tells the branches apart moves to the description instead.
    """
    discriminator = schema.get("discriminator")
    if not isinstance(discriminator, dict):
        return
    del schema["discriminator"]
    name = discriminator.get("propertyName")
    if isinstance(name, str) and "oneOf" in schema:
        note = f"One of the following, told apart by `{name}`."
        described = schema.get("description")
        schema["description"] = f"{described} {note}" if described else note


def _rewrite_prefix_items(schema: dict[str, Any]) -> None:
    """Draft 2020-12's tuple form (``prefixItems``) becomes draft 07's (``items`` as a list)."""
    if "prefixItems" not in schema:
        return
    rest = schema.pop("items", None)
    schema["items"] = schema.pop("prefixItems")
    if rest is not None:
        schema["additionalItems"] = rest


def asyncapi_schema(node: Any) -> Any:  # noqa: ANN401 - any JSON Schema node
    """A copy of a JSON Schema (object, boolean or list of them) in AsyncAPI 3.0's dialect."""
    if isinstance(node, list):
        return [asyncapi_schema(item) for item in node]
    if not isinstance(node, dict):
        return node
    schema: dict[str, Any] = {}
    for key, value in node.items():
        if key in _SCHEMA_MAPS and isinstance(value, dict):
            schema[key] = {name: asyncapi_schema(sub) for name, sub in value.items()}
        elif key in _SUBSCHEMAS:
            schema[key] = asyncapi_schema(value)
        else:
            schema[key] = value  # examples, defaults, enums and consts are data, not schemas
    _rewrite_discriminator(schema)
    _rewrite_prefix_items(schema)
    return schema
