"""Checks one request (path, query and JSON body) against its operation in the description.

Each operation's checks are compiled once per process (when the first sandbox app is built)
with fastjsonschema: generated Python code, far quicker than interpreting the schema on every
request. OpenAPI
3.0 is not JSON Schema: ``nullable`` becomes a ``"null"`` type, references are inlined,
annotations are dropped, and the result is checked as draft 4 (the draft OpenAPI 3.0 builds
on, in which ``1.0`` is not an integer).

The answer to a request that breaks the description is the text of the 400 Sitoo would
send, in the style of the ``errortext`` values seen from the real API (FACTS 3:
"Missing required field 'active'.", "Invalid field value 'deliverystatus' should be
string.").
"""

from __future__ import annotations

import functools
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl

import fastjsonschema

from service.sandbox.openapi.description import (
    MONEY_PATTERN,
    QUANTITY_PATTERN,
    corrected_description,
)
from service.sandbox.openapi.document import (
    SCHEMA_PREFIX,
    Document,
    generic_template,
    operations,
    schemas,
)

Validate = Callable[[object], object]
_DRAFT4 = "http://json-schema.org/draft-04/schema#"
_KEYWORDS = frozenset(
    {
        "type",
        "properties",
        "required",
        "additionalProperties",
        "items",
        "enum",
        "pattern",
        "minItems",
        "maxItems",
        "minLength",
        "maxLength",
        "minimum",
        "maximum",
        "anyOf",
        "oneOf",
        "allOf",
    }
)
_PATTERN_WORDS = {
    MONEY_PATTERN: 'a money string with two decimals, like "12.50"',
    QUANTITY_PATTERN: 'a decimal string with three decimals, like "5.000"',
}
_JSON_TYPES = {
    dict: "an object",
    list: "an array",
    str: "a string",
    bool: "a boolean",
    int: "an integer",
    float: "a number",
    type(None): "null",
}
_SECRET_PARAMETERS = frozenset({"pin"})  # never echoed into an errortext or a log


class BadRequestShape(Exception):
    """The request breaks the description; the message is the errortext to answer with."""


def json_schema(node: object, document: Document, seen: tuple[str, ...] = ()) -> Any:  # noqa: ANN401 - any schema node
    """An OpenAPI 3.0 schema as self-contained draft-4 JSON Schema."""
    if isinstance(node, list):
        return [json_schema(value, document, seen) for value in node]
    if not isinstance(node, dict):
        return node
    target = node.get("$ref")
    if isinstance(target, str):
        name = target.removeprefix(SCHEMA_PREFIX)
        if name in seen:
            raise ValueError(f"recursive schema {' -> '.join((*seen, name))} cannot be inlined")
        return json_schema(schemas(document)[name], document, (*seen, name))
    converted: dict[str, Any] = {}
    for key, value in node.items():
        if key == "properties":
            converted[key] = {
                name: json_schema(schema, document, seen) for name, schema in value.items()
            }
        elif key in _KEYWORDS:
            converted[key] = json_schema(value, document, seen)
    return _with_null(converted) if node.get("nullable") is True else converted


def _with_null(schema: dict[str, Any]) -> dict[str, Any]:
    """OpenAPI's ``nullable: true`` in JSON Schema terms."""
    if isinstance(schema.get("type"), str):
        schema["type"] = [schema["type"], "null"]
    if "enum" in schema and None not in schema["enum"]:
        schema["enum"] = [*schema["enum"], None]
    return schema


def _compile(schema: dict[str, Any]) -> Validate:
    compiled: Validate = fastjsonschema.compile(
        {"$schema": _DRAFT4, **schema}, use_default=False, use_formats=False
    )
    return compiled


@dataclass(frozen=True)
class Parameter:
    """One declared path or query parameter and the check of its value."""

    name: str
    where: str
    required: bool
    kind: str | None
    item_kind: str | None
    comma_list: bool
    validate: Validate

    def check(self, raw: str) -> None:
        """Raise BadRequestShape if ``raw`` (the text from the URL) is not a valid value."""
        if self.kind == "array":
            values = raw.split(",") if self.comma_list else [raw]
            parsed: object = [_scalar(value, self.item_kind) for value in values]
        else:
            parsed = _scalar(raw, self.kind)
        try:
            self.validate(parsed)
        except fastjsonschema.JsonSchemaValueException:
            raise BadRequestShape(self._why(raw)) from None

    def _why(self, raw: str) -> str:
        shown = "" if self.name in _SECRET_PARAMETERS else f" '{raw}'"
        if self.kind == "array":
            expected = f"a comma-separated list of {self.item_kind or 'value'}s"
        else:
            expected = f"{'an' if (self.kind or '')[:1] in 'aeiou' else 'a'} {self.kind}"
        return (
            f"Invalid value{shown} for {self.where} parameter '{self.name}': expected {expected}."
        )


def _scalar(raw: str, kind: str | None) -> object:
    # The URL carries text; turn it into the JSON value the schema describes and leave it as
    # text when it does not parse, so that the type check names the problem.
    if kind == "integer" and raw.lstrip("-").isdigit() and raw.lstrip("-").isascii():
        return int(raw)
    if kind == "number":
        try:
            return float(raw)
        except ValueError:
            return raw
    if kind == "boolean" and raw in {"true", "false"}:
        return raw == "true"
    return raw


@dataclass(frozen=True)
class OperationCheck:
    """Everything checked about a request to one operation."""

    operation_id: str
    path_parameters: Mapping[str, Parameter]
    query_parameters: Mapping[str, Parameter]
    body_required: bool
    takes_body: bool
    validate_body: Validate | None

    @functools.cached_property
    def required_query(self) -> tuple[str, ...]:
        """Names of the query parameters that must be given."""
        return tuple(name for name, declared in self.query_parameters.items() if declared.required)

    def check(self, path_values: Mapping[str, object], query_string: bytes, body: bytes) -> object:
        """The parsed JSON body (None without one); raises BadRequestShape when invalid."""
        for name, value in path_values.items():
            declared = self.path_parameters.get(name)
            if declared is not None:
                declared.check(str(value))
        self._check_query(query_string)
        return self._check_body(body)

    def _check_query(self, query_string: bytes) -> None:
        if not query_string and not self.required_query:
            return
        try:
            pairs = parse_qsl(
                query_string.decode("latin-1"),
                keep_blank_values=True,
                encoding="utf-8",
                errors="strict",
            )
        except (UnicodeDecodeError, ValueError):
            raise BadRequestShape("Invalid query string.") from None
        seen: set[str] = set()
        for name, raw in pairs:
            declared = self.query_parameters.get(name)
            if declared is None:
                raise BadRequestShape(f"Unknown parameter '{name}'.")
            if name in seen:
                # Sitoo answers a repeated parameter with only its last value applied
                # (FACTS 2): a silent misreading the sandbox turns into an error.
                raise BadRequestShape(
                    f"Parameter '{name}' given more than once; send one comma-separated value."
                )
            seen.add(name)
            declared.check(raw)
        missing = [name for name in self.required_query if name not in seen]
        if missing:
            raise BadRequestShape(f"Missing required parameter '{missing[0]}'.")

    def _check_body(self, body: bytes) -> object:
        if not body.strip():
            if self.body_required:
                raise BadRequestShape("Missing request body.")
            return None
        if not self.takes_body or self.validate_body is None:
            raise BadRequestShape("This request takes no body.")
        try:
            data = json.loads(body)
        except (ValueError, UnicodeDecodeError):
            raise BadRequestShape("Invalid JSON in request body.") from None
        try:
            self.validate_body(data)
        except fastjsonschema.JsonSchemaValueException as problem:
            raise BadRequestShape(errortext(problem)) from None
        return data


def _field(name: str) -> str:
    # fastjsonschema names the document "data": "data.orderitems[0].quantity".
    return name.removeprefix("data").removeprefix(".")


def _what(value: object) -> str:
    return _JSON_TYPES.get(type(value), type(value).__name__)


def errortext(problem: fastjsonschema.JsonSchemaValueException) -> str:  # noqa: PLR0911 - a text per rule
    """Sitoo-style errortext for the first thing wrong with a body."""
    field = _field(problem.name or "data")
    value, rule, definition = problem.value, problem.rule, problem.rule_definition
    if rule == "required" and isinstance(value, dict):
        missing = [name for name in definition if name not in value]
        inner = f"{field}.{missing[0]}" if field else missing[0]
        return f"Missing required field '{inner}'."
    if rule == "additionalProperties" and isinstance(value, dict):
        declared = problem.definition.get("properties", {}) if problem.definition else {}
        unknown = sorted(name for name in value if name not in declared)
        inner = f"{field}.{unknown[0]}" if field else unknown[0]
        return f"Unknown field '{inner}'."
    if rule == "type":
        kinds = [definition] if isinstance(definition, str) else list(definition)
        expected = " or ".join(kind for kind in kinds if kind != "null")
        if not field:
            article = "an" if expected[:1] in "aeiou" else "a"
            return f"Invalid request body: expected {article} {expected}, got {_what(value)}."
        return f"Invalid field value '{field}' should be {expected} (got {_what(value)})."
    if rule == "pattern":
        expected = _PATTERN_WORDS.get(str(definition), f"text matching {definition}")
        return f"Invalid field value '{field}' should be {expected}."
    if rule == "enum":
        return f"Invalid field value '{field}' should be one of {json.dumps(definition)}."
    if rule == "minItems":
        where = f"'{field}'" if field else "The request body"
        return f"{where} needs at least {definition} element(s)."
    detail = problem.message.removeprefix(problem.name or "data").strip()
    return f"Invalid value in {f'{field!r}' if field else 'the request body'}: {detail}."


def _parameter(declared: dict[str, Any], document: Document) -> Parameter:
    schema = json_schema(declared["schema"], document)
    kind = schema.get("type")
    items = schema.get("items", {})
    explode = declared.get("explode", declared.get("style", "form") == "form")
    return Parameter(
        name=declared["name"],
        where=declared["in"],
        required=bool(declared.get("required")),
        kind=kind if isinstance(kind, str) else None,
        item_kind=items.get("type") if isinstance(items, dict) else None,
        comma_list=not explode,
        validate=_compile(schema),
    )


def _operation_check(path: str, method: str, document: Document) -> OperationCheck:
    item = document["paths"][path]
    found = item[method]
    declared: dict[tuple[str, str], dict[str, Any]] = {}
    # Operation-level parameters override path-level ones with the same name and location.
    for parameter in [*item.get("parameters", []), *found.get("parameters", [])]:
        declared[parameter["in"], parameter["name"]] = parameter
    body = found.get("requestBody")
    schema = body["content"]["application/json"]["schema"] if body else None
    return OperationCheck(
        operation_id=found["operationId"],
        path_parameters={
            name: _parameter(parameter, document)
            for (where, name), parameter in declared.items()
            if where == "path"
        },
        query_parameters={
            name: _parameter(parameter, document)
            for (where, name), parameter in declared.items()
            if where == "query"
        },
        body_required=bool(body and body.get("required")),
        takes_body=body is not None,
        validate_body=None if schema is None else _compile(json_schema(schema, document)),
    )


class RequestRules:
    """The checks of every operation in the description, compiled on first use."""

    def __init__(self, document: Document) -> None:
        self._document = document
        self._paths = {
            (method.upper(), generic_template(path)): (path, method)
            for path, method, _ in operations(document)
        }

    def describes(self, method: str, template: str) -> bool:
        """True when the description has an operation for this method and path template."""
        return (method.upper(), generic_template(template)) in self._paths

    @functools.cache  # noqa: B019 - one instance per process (request_rules), kept for good
    def for_route(self, method: str, template: str) -> OperationCheck | None:
        """The compiled checks of the operation behind a route, or None if it has none."""
        found = self._paths.get((method.upper(), generic_template(template)))
        if found is None:
            return None
        return _operation_check(*found, self._document)


@functools.cache
def request_rules() -> RequestRules:
    """The rules of the description the sandbox serves (one instance per process)."""
    return RequestRules(corrected_description())
