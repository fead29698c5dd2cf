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
        "service/local/launcher.py",
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
            if name == "service.records.operations" or name.startswith("service.records")
        )
        for path in (SERVICE / "sitoo").rglob("*.py")
    }
    assert {k: v for k, v in offenders.items() if v} == {}


# Modules that name the prefix or the dead-letter suffix without building a key: the
# settings that define them, the dev stack that records and reports the prefix, and the
# AsyncAPI document that describes the configured stream names.
KEY_SETTING_READERS = {
    "service/settings.py",
    "service/local/launcher.py",
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


# The layers, lowest first (docs/architecture.md, "Layers"). A module may import its own
# layer and the layers below it, never one above. A module's layer is the longest prefix
# (a folder, or a file) of its path under service/ listed here; every module has one.
LAYERS: tuple[tuple[str, tuple[str, ...]], ...] = (
    (
        "foundation",
        (
            "__init__.py",
            "settings",
            "http_settings.py",
            "http_guard.py",
            "masking.py",
            "logs.py",
            "tracing.py",
            "tasks.py",
            "records/__init__.py",
            "records/key_specs.py",
            "records/keys.py",
            "records/keyspace.py",
            "records/streams.py",
            "records/table.py",
        ),
    ),
    ("stand-ins", ("sandbox/", "fakes/")),
    ("contracts", ("contracts/",)),
    ("sitoo", ("sitoo/",)),
    ("usecases", ("usecases/", "ports.py")),
    ("inbox", ("inbox/",)),
    ("records", ("records/", "deadletters.py", "deadletter_sources.py")),
    ("brokers", ("brokers/",)),
    ("pollers", ("pollers/",)),
    ("webhooks", ("webhooks/",)),
    ("observability", ("observability/", "health.py", "startup.py", "listeners.py")),
    ("adapters", ("adapters/",)),
    ("dev stack", ("devstack/", "local/embedded.py")),
    ("operator", ("operator/", "dlq_cli.py")),
    ("composition", ("app.py", "local/", "cli.py", "__main__.py")),
)
# Libraries that tie code to one broker: delivery reaches them only through its transport.
BROKER_LIBRARIES = {"redis", "faststream"}


def _layer_of(relative: str) -> int | None:
    """The index in LAYERS of a path relative to service/ (``inbox/delivery.py``)."""
    best: tuple[int, int] | None = None
    for index, (_, prefixes) in enumerate(LAYERS):
        for prefix in prefixes:
            if relative.startswith(prefix) and (best is None or len(prefix) > best[0]):
                best = (len(prefix), index)
    return None if best is None else best[1]


def _module_path(module: str) -> str | None:
    """``service.inbox.delivery`` as a path under service/ (a package as its folder)."""
    parts = module.split(".")
    if parts[0] != "service":
        return None
    if len(parts) == 1:
        return "__init__.py"
    if (SERVICE.joinpath(*parts[1:]) / "__init__.py").exists():
        return "/".join(parts[1:]) + "/"
    return "/".join(parts[1:]) + ".py"


def _layer_offences(relative: str, imports: set[str]) -> list[str]:
    """Where a module at ``relative`` (under service/) imports upward, or a broker from inbox."""
    own = _layer_of(relative)
    if own is None:
        return [f"{relative} is in no layer"]
    offences: list[str] = []
    for name in sorted(imports):
        if relative.startswith("inbox/") and name.split(".")[0] in BROKER_LIBRARIES:
            offences.append(
                f"{relative} imports {name}: inbox talks to brokers through its transport"
            )
        target = _module_path(name)
        layer = None if target is None else _layer_of(target)
        if layer is not None and layer > own:
            offences.append(f"{relative} ({LAYERS[own][0]}) imports {name} ({LAYERS[layer][0]})")
    return offences


def test_no_module_imports_a_layer_above_its_own() -> None:
    """The declared layering holds for every module, TYPE_CHECKING imports included."""
    offenders = [
        offence
        for path in MODULES
        for offence in _layer_offences(path.relative_to(SERVICE).as_posix(), _all_imports(path))
    ]
    assert offenders == []


def test_the_layer_rule_catches_an_upward_import() -> None:
    """The rule above is not vacuous: upward, broker and unplaced imports are all caught."""
    assert _layer_offences(
        "inbox/x.py", {"service.brokers.redis.wiring", "redis.asyncio", "service.contracts"}
    ) == [
        "inbox/x.py imports redis.asyncio: inbox talks to brokers through its transport",
        "inbox/x.py (inbox) imports service.brokers.redis.wiring (brokers)",
    ]
    assert _layer_offences("usecases/x.py", {"service.records.state"}) == [
        "usecases/x.py (usecases) imports service.records.state (records)"
    ]
    assert _layer_offences("records/keys.py", {"service.records.lease"}) == [
        "records/keys.py (foundation) imports service.records.lease (records)"
    ]
    assert _layer_offences("newfolder/x.py", set()) == ["newfolder/x.py is in no layer"]
