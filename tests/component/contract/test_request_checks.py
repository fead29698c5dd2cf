"""The sandbox's compiled request checks agree with an independent OpenAPI validator.

For every operation of the description, the description's own request example and hundreds of
mutations of it (each field dropped, nulled, given another type, an unknown field added, the
body wrapped in or taken out of an array), and typed and mistyped query values, are judged by
the sandbox's checks (fastjsonschema, ``service.sandbox.openapi.request_check``) and by
``openapi-schema-validator`` over the same corrected document. They must agree every time.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from typing import Any

import pytest

from service.sandbox.openapi import BadRequestShape, OperationCheck, request_rules

from .spec import ContractSpec, Operation, load_contract_spec

WRONG_VALUES: tuple[object, ...] = (None, {}, [], "text", 1.5, 7, True)


def _paths(node: object, path: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    yield path
    if isinstance(node, dict):
        for key, value in node.items():
            yield from _paths(value, (*path, key))
    elif isinstance(node, list) and node:
        yield from _paths(node[0], (*path, 0))


def _set(body: object, path: tuple[Any, ...], value: object) -> object:
    if not path:
        return value
    changed = copy.deepcopy(body)
    node: Any = changed
    for part in path[:-1]:
        node = node[part]
    node[path[-1]] = value
    return changed


def _drop(body: object, path: tuple[Any, ...]) -> object:
    changed = copy.deepcopy(body)
    node: Any = changed
    for part in path[:-1]:
        node = node[part]
    del node[path[-1]]
    return changed


def mutations(example: object) -> Iterator[object]:
    """The example and variants of it, some valid and most not."""
    yield example
    yield [example]
    if isinstance(example, list) and example:
        yield example[0]
    for path in _paths(example):
        if path:
            yield _drop(example, path)
        for value in WRONG_VALUES:
            yield _set(example, path, value)
        target: Any = example
        for part in path:
            target = target[part]
        if isinstance(target, dict):
            yield _set(example, (*path, "not_a_sitoo_field"), "x")


def _sandbox_refuses(check: OperationCheck, body: object, query: bytes = b"") -> bool:
    try:
        check.check({}, query, json.dumps(body).encode())
    except BadRequestShape:
        return True
    return False


def _checks() -> list[tuple[Operation, OperationCheck]]:
    spec = load_contract_spec()
    rules = request_rules()
    found = []
    for operation in spec.operations.values():
        check = rules.for_route(operation.method, operation.path)
        assert check is not None, operation.operation_id
        found.append((operation, check))
    return found


CHECKS = _checks()
WITH_BODIES = [(o, c) for o, c in CHECKS if o.has_request_body]


@pytest.mark.parametrize(
    ("operation", "check"), WITH_BODIES, ids=[o.operation_id for o, _ in WITH_BODIES]
)
def test_body_verdicts_agree(
    spec: ContractSpec, operation: Operation, check: OperationCheck
) -> None:
    """Each mutation of the operation's example is refused by both validators or by neither."""
    disagreements = []
    judged = 0
    for body in mutations(spec.request_example(operation.operation_id)):
        independent = bool(spec.request_body_errors(operation, body))
        if independent != _sandbox_refuses(check, body):
            disagreements.append((body, spec.request_body_errors(operation, body)))
        judged += 1
    assert judged > 10
    assert not disagreements, disagreements[:3]


def _query_values(schema: dict[str, Any]) -> list[str]:
    kind = schema.get("type")
    item_kind = schema.get("items", {}).get("type")
    values = ["", "x", "1", "-3", "1.5", "true", "1,2", "a,b"]
    if kind == "array" and item_kind == "integer":
        values += ["1,2,3", "1,,2"]
    return values


@pytest.mark.parametrize(("operation", "check"), CHECKS, ids=[o.operation_id for o, _ in CHECKS])
def test_query_verdicts_agree(
    spec: ContractSpec, operation: Operation, check: OperationCheck
) -> None:
    """Typed and mistyped values of each query parameter, and an unknown one, judged alike."""
    placeholders = {name: "1" for (where, name) in operation.parameters if where == "path"}
    path = operation.path.format(**placeholders)
    disagreements = []
    for (where, name), declared in operation.parameters.items():
        if where != "query":
            continue
        for raw in _query_values(declared["schema"]):
            independent = bool(spec.parameter_errors(operation, path, {name: raw}))
            refused = _sandbox_refuses_query(check, f"{name}={raw}".encode())
            if independent != refused:
                disagreements.append((name, raw))
    assert _sandbox_refuses_query(check, b"not_a_parameter=1")
    assert spec.parameter_errors(operation, path, {"not_a_parameter": "1"})
    assert not disagreements, disagreements


def _sandbox_refuses_query(check: OperationCheck, query: bytes) -> bool:
    try:
        check.check({}, query, b"")
    except BadRequestShape as problem:
        return "body" not in str(problem)  # the missing body of a write is not the point here
    return False
