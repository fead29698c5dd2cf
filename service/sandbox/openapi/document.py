"""Finding things in the OpenAPI document: operations, component schemas, references."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

Document = dict[str, Any]
SCHEMA_PREFIX = "#/components/schemas/"
HTTP_METHODS = ("get", "put", "post", "delete")
_PLACEHOLDER = re.compile(r"\{([^}]+)\}")


def operations(document: Document) -> Iterator[tuple[str, str, dict[str, Any]]]:
    """(path template, method, operation object) for every operation of the document."""
    for path, item in document["paths"].items():
        for method, found in item.items():
            if method in HTTP_METHODS:
                yield path, method, found


def operation(document: Document, operation_id: str) -> dict[str, Any]:
    """The operation object with this operationId."""
    for _, _, candidate in operations(document):
        if candidate["operationId"] == operation_id:
            return candidate
    raise KeyError(operation_id)


def response(document: Document, operation_id: str, status: str = "200") -> dict[str, Any]:
    """The response object of an operation for a status (the object itself, not a copy)."""
    found: dict[str, Any] = operation(document, operation_id)["responses"][status]
    return found


def schemas(document: Document) -> dict[str, Any]:
    """The component schemas, by name."""
    found: dict[str, Any] = document["components"]["schemas"]
    return found


def ref(name: str) -> dict[str, str]:
    """A reference to the component schema ``name``."""
    return {"$ref": SCHEMA_PREFIX + name}


def referenced_schemas(node: object, document: Document) -> set[str]:
    """Names of every component schema ``node`` reaches, through references of references."""
    found: set[str] = set()
    pending = [node]
    while pending:
        current = pending.pop()
        if isinstance(current, dict):
            target = current.get("$ref")
            if isinstance(target, str) and target.startswith(SCHEMA_PREFIX):
                name = target.removeprefix(SCHEMA_PREFIX)
                if name not in found:
                    found.add(name)
                    pending.append(schemas(document)[name])
            pending.extend(
                value for key, value in current.items() if key not in {"example", "examples"}
            )
        elif isinstance(current, list):
            pending.extend(current)
    return found


def request_schemas(document: Document) -> set[str]:
    """Component schemas used by request bodies (Sitoo's ``*-write`` schemas)."""
    bodies = [found.get("requestBody", {}) for _, _, found in operations(document)]
    return referenced_schemas(bodies, document)


def placeholder_names(path: str) -> list[str]:
    """The ``{name}`` placeholders of a path template, in order."""
    return _PLACEHOLDER.findall(path)


def generic_template(path: str) -> str:
    """A path template with its placeholder names erased, to compare routes with the document."""
    return _PLACEHOLDER.sub("{}", path)
