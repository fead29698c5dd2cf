"""Every operation the sandbox serves is in the description and has a contract test."""

from __future__ import annotations

import importlib
import inspect
import pkgutil
import re
from collections.abc import Iterator
from pathlib import Path

from starlette.applications import Starlette
from starlette.routing import BaseRoute, Mount, Route

from .spec import API_PREFIX, ContractSpec

_CONVERTER = re.compile(r"\{([^}:]+)(:[^}]*)?\}")


def _routes(routes: list[BaseRoute], prefix: str = "") -> Iterator[tuple[str, str]]:
    for route in routes:
        if isinstance(route, Mount):
            yield from _routes(list(route.routes), prefix + route.path)
        elif isinstance(route, Route):
            for method in route.methods or ():
                if method != "HEAD":
                    yield method, _CONVERTER.sub(r"{\1}", prefix + route.path)


def served_api_routes(app: Starlette) -> set[tuple[str, str]]:
    """(method, path template below the account) for every Sitoo route of the app."""
    prefix = re.compile(r"^/v2/accounts/\{[^}]+\}")
    return {
        (method, prefix.sub("", template))
        for method, template in _routes(list(app.routes))
        if prefix.match(template)
    }


def claimed_operations() -> dict[str, list[str]]:
    """operationId -> the tests in this folder that claim to cover it."""
    claims: dict[str, list[str]] = {}
    folder = Path(__file__).parent
    for module_info in pkgutil.iter_modules([str(folder)]):
        if not module_info.name.startswith("test_"):
            continue
        module = importlib.import_module(f"{__package__}.{module_info.name}")
        for name, function in inspect.getmembers(module, inspect.isfunction):
            for mark in getattr(function, "pytestmark", []):
                if mark.name == "covers":
                    for operation_id in mark.args:
                        claims.setdefault(operation_id, []).append(f"{module_info.name}.{name}")
    return claims


def test_the_sandbox_serves_sitoo_routes(sandbox_app: Starlette) -> None:
    """The route listing finds the account-level API (guards the coverage check below)."""
    served = served_api_routes(sandbox_app)
    assert ("GET", "/sites.json") in served
    assert len(served) >= 20


def test_every_served_operation_is_described_and_covered(
    sandbox_app: Starlette, spec: ContractSpec
) -> None:
    """Each route under /v2/accounts/{accountid} maps to a spec operation some test covers."""
    claims = claimed_operations()
    undescribed: list[str] = []
    uncovered: list[str] = []
    for method, template in sorted(served_api_routes(sandbox_app)):
        operation = spec.find_template(method, template)
        if operation is None:
            undescribed.append(f"{method} {API_PREFIX}{template}")
        elif operation.operation_id not in claims:
            uncovered.append(f"{operation.operation_id} ({method} {template})")
    assert not undescribed, f"served but not in the description subset: {undescribed}"
    assert not uncovered, f"served without a contract test: {uncovered}"


def test_every_claimed_operation_exists(spec: ContractSpec) -> None:
    """A covers marker naming an unknown operationId is a typo, not coverage."""
    assert set(claimed_operations()) <= set(spec.operations)
