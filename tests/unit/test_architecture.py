"""Layering rules of the code base, checked on the source tree itself."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

SERVICE = Path(__file__).resolve().parents[2] / "service"
MODULES = sorted(SERVICE.rglob("*.py"))
IO_LIBRARIES = {"faststream", "redis", "httpx", "starlette", "uvicorn"}
MAX_MODULE_LINES = 400


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


def _relative(path: Path) -> str:
    return path.relative_to(SERVICE.parent).as_posix()


@pytest.mark.parametrize("path", MODULES, ids=_relative)
def test_module_has_one_line_docstring(path: Path) -> None:
    """Every module opens with a one-line docstring saying what lives there."""
    docstring = ast.get_docstring(ast.parse(path.read_text(encoding="utf-8")))
    assert docstring, f"{_relative(path)} has no module docstring"
    assert "\n" not in docstring.split("\n\n")[0].strip(), "the summary is one line"


@pytest.mark.parametrize("path", MODULES, ids=_relative)
def test_module_is_small(path: Path) -> None:
    """A module past ~400 lines is more than one idea and gets split."""
    lines = len(path.read_text(encoding="utf-8").splitlines())
    assert lines <= MAX_MODULE_LINES, f"{_relative(path)} has {lines} lines"


def test_use_cases_do_no_io_themselves() -> None:
    """Use cases reach Redis, Sitoo and the broker only through the ports they are given."""
    offenders = {
        _relative(path): sorted(
            name for name in _imports(path) if name.split(".")[0] in IO_LIBRARIES
        )
        for path in (SERVICE / "usecases").rglob("*.py")
    }
    assert {k: v for k, v in offenders.items() if v} == {}


def test_sandbox_only_used_by_launcher_and_cli() -> None:
    """Production code never depends on the sandbox; only `run`/`sandbox` start it."""
    # The dev stack of `run` starts the sandbox and keeps its snapshot.
    allowed = {
        "service/launcher.py",
        "service/cli.py",
        "service/devstack/stack.py",
        "service/devstack/snapshot.py",
        "service/devstack/webshops.py",
    }
    users = {
        _relative(path)
        for path in MODULES
        if "sandbox" not in path.relative_to(SERVICE).parts
        and any(name.startswith("service.sandbox") for name in _imports(path))
    }
    assert users <= allowed


def test_fakes_only_used_by_the_cli() -> None:
    """Production code never depends on a fake; only the CLI and `run --with-*` serve one."""
    allowed = {"service/cli.py", "service/devstack/webshops.py"}
    users = {
        _relative(path)
        for path in MODULES
        if "fakes" not in path.relative_to(SERVICE).parts
        and any(name.startswith("service.fakes") for name in _imports(path))
    }
    assert users <= allowed
