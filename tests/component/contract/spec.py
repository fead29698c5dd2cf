"""The sandbox's corrected Sitoo description, validated independently of the sandbox.

The document is the sandbox's own (``service.sandbox.openapi``: the bundled subset, the
documented overrides and the tightenings); the validator is another one
(``openapi-schema-validator``), so a test also cross-checks the sandbox's request checks.
"""

from __future__ import annotations

import copy
import functools
import re
from dataclasses import dataclass
from typing import Any

from openapi_schema_validator import OAS30Validator, oas30_format_checker
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT4

from service.sandbox.openapi.description import corrected_description, without_required_fields
from service.sandbox.openapi.document import Document

SPEC_URI = "urn:sitoo:openapi-subset"
API_PREFIX = "/v2/accounts/{accountid}"
_PLACEHOLDER = re.compile(r"\{([^}]+)\}")


def _pointer_token(token: str) -> str:
    return token.replace("~", "~0").replace("/", "~1")


@dataclass(frozen=True)
class Operation:
    """One operation of the description, with what is needed to validate a call to it."""

    operation_id: str
    method: str
    path: str
    pointer: str
    parameters: dict[tuple[str, str], dict[str, Any]]
    has_request_body: bool
    statuses: frozenset[str]
    pattern: re.Pattern[str]

    def path_values(self, path: str) -> dict[str, str] | None:
        """The path parameters of a concrete path, or None if it is not this operation's."""
        match = self.pattern.fullmatch(path)
        return None if match is None else match.groupdict()


def _operation(path: str, method: str, item: dict[str, Any], pointer: str) -> Operation:
    operation = item[method]
    parameters: dict[tuple[str, str], dict[str, Any]] = {}
    # Operation-level parameters override path-level ones with the same name and location.
    for parameter in [*item.get("parameters", []), *operation.get("parameters", [])]:
        parameters[parameter["in"], parameter["name"]] = parameter
    names = _PLACEHOLDER.findall(path)
    regex = "".join(
        f"(?P<{part}>[^/]+)" if index % 2 else re.escape(part)
        for index, part in enumerate(_PLACEHOLDER.split(path))
    )
    if sorted(names) != sorted(name for where, name in parameters if where == "path"):
        raise ValueError(f"{path}: path placeholders and path parameters differ")
    return Operation(
        operation_id=operation["operationId"],
        method=method.upper(),
        path=path,
        pointer=pointer,
        parameters=parameters,
        has_request_body="requestBody" in operation,
        statuses=frozenset(operation["responses"]),
        pattern=re.compile(regex),
    )


def _format_errors(errors: list[Any]) -> list[str]:
    # jsonschema ValidationErrors; the package ships no type information.
    return [
        f"{error.json_path}: {error.message}"
        for error in sorted(errors, key=lambda error: list(map(str, error.absolute_path)))
    ]


class ContractSpec:
    """The corrected description plus validators for each operation's bodies and parameters."""

    def __init__(self, document: Document, *, projected: ContractSpec | None = None) -> None:
        self.document = document
        self.projected = projected
        self._registry: Registry[Any] = Registry().with_resource(
            SPEC_URI, Resource.from_contents(document, default_specification=DRAFT4)
        )
        self._validators: dict[str, Any] = {}
        self.operations: dict[str, Operation] = {}
        for path, item in document["paths"].items():
            for method in item:
                if method in {"get", "put", "post", "delete"}:
                    pointer = f"/paths/{_pointer_token(path)}/{method}"
                    found = _operation(path, method, item, pointer)
                    self.operations[found.operation_id] = found

    def find(self, method: str, path: str) -> Operation:
        """The operation a request goes to; `path` is relative to the account base URL."""
        for candidate in self.operations.values():
            if candidate.method == method.upper() and candidate.path_values(path) is not None:
                return candidate
        raise LookupError(f"no operation in the description for {method} {path}")

    def find_template(self, method: str, template: str) -> Operation | None:
        """The operation behind a route template, whatever its placeholders are called."""
        wanted = _PLACEHOLDER.sub("{}", template)
        for candidate in self.operations.values():
            if candidate.method == method.upper() and _PLACEHOLDER.sub("{}", candidate.path) == (
                wanted
            ):
                return candidate
        return None

    def _node(self, pointer: str) -> Any:
        node: Any = self.document
        for token in pointer.strip("/").split("/"):
            key = token.replace("~1", "/").replace("~0", "~")
            node = node[int(key)] if isinstance(node, list) else node[key]
        return node

    def _validator(self, pointer: str) -> Any:
        if pointer not in self._validators:
            self._validators[pointer] = OAS30Validator(
                {"$ref": f"{SPEC_URI}#{pointer}"},
                registry=self._registry,
                format_checker=oas30_format_checker,
            )
        return self._validators[pointer]

    def _schema_errors(self, pointer: str, instance: object) -> list[str]:
        return _format_errors(list(self._validator(pointer).iter_errors(instance)))

    def request_body_errors(self, operation: Operation, body: object) -> list[str]:
        """Why `body` is not a valid request body for the operation (empty if it is)."""
        if not operation.has_request_body:
            return [] if body is None else ["the operation takes no request body"]
        if body is None:
            return ["the operation requires a request body"]
        pointer = f"{operation.pointer}/requestBody/content/application~1json/schema"
        return self._schema_errors(pointer, body)

    def parameter_errors(
        self, operation: Operation, path: str, query: dict[str, str] | None
    ) -> list[str]:
        """Why the path and query parameters are not valid for the operation."""
        errors: list[str] = []
        values = operation.path_values(path) or {}
        supplied = [("path", name, value) for name, value in values.items()]
        supplied += [("query", name, value) for name, value in (query or {}).items()]
        for where, name, raw in supplied:
            declared = operation.parameters.get((where, name))
            if declared is None:
                errors.append(f"{where} parameter {name!r} is not declared")
                continue
            schema = declared["schema"]
            value = _parse_parameter(raw, schema, explode=declared.get("explode", True))
            validator = OAS30Validator(schema, format_checker=oas30_format_checker)
            errors += [
                f"{where} parameter {name}={raw!r}: {error.message}"
                for error in validator.iter_errors(value)
            ]
        errors += [
            f"required {where} parameter {name!r} is missing"
            for (where, name), declared in operation.parameters.items()
            if declared.get("required")
            and name not in (values if where == "path" else (query or {}))
        ]
        return errors

    def response_errors(
        self, operation: Operation, status: int, body: object, *, fields: bool = False
    ) -> list[str]:
        """Why `body` is not what the operation declares for this status.

        `fields=True` judges an answer to a request with ?fields=, in which any field may
        be left out (see overrides.without_required_fields).
        """
        if fields and self.projected is not None:
            return self.projected.response_errors(operation, status, body)
        if str(status) not in operation.statuses:
            return [f"status {status} is not declared for {operation.operation_id}"]
        response = self._node(f"{operation.pointer}/responses/{status}")
        if "content" not in response:
            return [f"status {status} of {operation.operation_id} declares no body"]
        pointer = f"{operation.pointer}/responses/{status}/content/application~1json/schema"
        return self._schema_errors(pointer, body)

    def schema_errors(self, schema_name: str, instance: object) -> list[str]:
        """Why `instance` does not match a component schema (e.g. Error-read)."""
        return self._schema_errors(f"/components/schemas/{_pointer_token(schema_name)}", instance)

    def request_example(self, operation_id: str) -> Any:
        """A fresh copy of the description's own request example for the operation."""
        operation = self.operations[operation_id]
        content = self._node(f"{operation.pointer}/requestBody/content/application~1json")
        return copy.deepcopy(content["example"])

    def response_example(self, operation_id: str, status: str = "200") -> Any:
        """A fresh copy of the description's response example, if it has one."""
        operation = self.operations[operation_id]
        content = self._node(f"{operation.pointer}/responses/{status}").get("content", {})
        return copy.deepcopy(content.get("application/json", {}).get("example"))


def _parse_parameter(raw: str, schema: dict[str, Any], *, explode: bool) -> object:
    kind = schema.get("type")
    if kind == "array" and not explode:
        return [_parse_scalar(part, schema.get("items", {})) for part in raw.split(",")]
    return _parse_scalar(raw, schema)


def _parse_scalar(raw: str, schema: dict[str, Any]) -> object:
    # Query strings carry text; turn it into the JSON value the schema describes so the
    # validator can judge it, and leave it as text when it does not parse.
    kind = schema.get("type")
    if kind == "integer" and re.fullmatch(r"-?\d+", raw):
        return int(raw)
    if kind == "number" and re.fullmatch(r"-?\d+(\.\d+)?", raw):
        return float(raw)
    if kind == "boolean" and raw in {"true", "false"}:
        return raw == "true"
    return raw


@functools.cache
def load_contract_spec() -> ContractSpec:
    """The sandbox's corrected description (overrides, closed objects, pinned numbers)."""
    corrected = corrected_description()
    return ContractSpec(corrected, projected=ContractSpec(without_required_fields(corrected)))
