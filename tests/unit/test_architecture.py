"""Layering rules of the code base, checked on the source tree itself."""

from __future__ import annotations

import ast
import re
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


def _all_imports(path: Path) -> set[str]:
    """Every module ``path`` imports, including imports inside functions and TYPE_CHECKING."""
    return _imports(path)  # ast.walk reaches nested imports too


def test_the_sitoo_client_owns_its_claims_port() -> None:
    """sitoo/ depends on its own claims port, never on the store or the key module."""
    offenders = {
        _relative(path): sorted(
            name
            for name in _all_imports(path)
            if name == "service.idempotency" or name.startswith("service.records")
        )
        for path in (SERVICE / "sitoo").rglob("*.py")
    }
    assert {k: v for k, v in offenders.items() if v} == {}


# Modules that name the prefix or the dead-letter suffix without building a key: the
# settings that define them, the dev stack that records and reports the prefix, and the
# AsyncAPI document that describes the configured stream names.
KEY_SETTING_READERS = {
    "service/settings.py",
    "service/launcher.py",
    "service/devstack/state.py",
    "service/devstack/stack.py",
    "service/operator/asyncapi.py",
}
NOT_THE_SERVICE = ("service/records/", "service/sandbox/", "service/fakes/")


def _key_segments() -> set[str]:
    """The fixed text right after ``<base>`` of every key kind (``:idem:``, ``:lease:`` …)."""
    from service.records.keys import KEY_SPECS  # noqa: PLC0415 - the rule's own data

    return {re.split(r"<[a-z_]+>", spec.pattern.replace("<base>", "", 1))[0] for spec in KEY_SPECS}


def _key_offences(relative: str, source: str) -> list[str]:
    """Where ``source`` spells a key kind or reads the prefix (or dead-letter suffix)."""
    segments = _key_segments()
    offences: list[str] = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            offences += (
                f"{relative}:{node.lineno} spells {s!r}" for s in segments if s in node.value
            )
        elif (
            isinstance(node, ast.Attribute)
            and node.attr in {"key_prefix", "dead_letter_suffix"}
            and relative not in KEY_SETTING_READERS
        ):
            offences.append(f"{relative}:{node.lineno} reads .{node.attr}")
    return offences


def test_only_records_builds_key_names() -> None:
    """No module outside service/records spells a key kind or puts the prefix into a name."""
    offenders = [
        offence
        for path in MODULES
        if not _relative(path).startswith(NOT_THE_SERVICE)
        for offence in _key_offences(_relative(path), path.read_text(encoding="utf-8"))
    ]
    assert offenders == []


def test_the_key_rule_catches_a_built_key() -> None:
    """The rule above is not vacuous: an f-string key and a prefix read are both caught."""
    source = 'key = f"{settings.redis.key_prefix}:idem:{op}"\nlease = prefix + ":lease:x"\n'
    assert sorted(_key_offences("service/x.py", source)) == [
        "service/x.py:1 reads .key_prefix",
        "service/x.py:1 spells ':idem:'",
        "service/x.py:2 spells ':lease:'",
    ]
