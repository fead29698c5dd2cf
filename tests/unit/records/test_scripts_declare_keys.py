"""Every Lua script gets all of its keys through KEYS: none is built inside a script.

A Redis Cluster routes a script by its declared keys, so a key a script makes up itself
(``'x:' .. ARGV[1]``) could live on another node. The check reads each script the service
registers and accepts as a key argument of ``redis.call`` only ``KEYS[...]`` or a name
bound to one (a loop over ``ipairs(KEYS)``, ``local k = KEYS[i]``, or a function parameter
every caller passes such a key).
"""

from __future__ import annotations

import ast
import importlib
import inspect
import pkgutil
import re

import pytest

import service

# Commands without a key, and commands whose key comes after a subcommand.
NO_KEY = {"TIME"}
SUBCOMMAND = {"XINFO", "XGROUP", "OBJECT"}
SKIPPED_PACKAGES = ("service.sandbox", "service.fakes")
_KEYS_ITEM = re.compile(r"^KEYS\[[^\]]+\]$")


def registered_scripts() -> dict[str, str]:
    """Every script passed to ``register_script`` (a module-level constant), by module.NAME."""
    scripts: dict[str, str] = {}
    for info in pkgutil.walk_packages(service.__path__, "service."):
        if info.name.startswith(SKIPPED_PACKAGES) or info.name == "service.__main__":
            continue
        module = importlib.import_module(info.name)
        source = inspect.getsource(module)
        for call in ast.walk(ast.parse(source)):
            if (
                isinstance(call, ast.Call)
                and isinstance(call.func, ast.Attribute)
                and call.func.attr == "register_script"
            ):
                [argument] = call.args
                assert isinstance(argument, ast.Name), f"{info.name}: a script not a constant"
                scripts[f"{info.name}.{argument.id}"] = vars(module)[argument.id]
    return scripts


def _arguments(text: str, start: int) -> list[str]:
    """The top-level, comma-separated arguments of the call whose '(' is at ``start``."""
    depth, quote, current, args = 0, "", [], []
    for char in text[start + 1 :]:
        if quote:
            current.append(char)
            if char == quote:
                quote = ""
            continue
        if char in "'\"":
            quote = char
        elif char in "([{":
            depth += 1
        elif char in ")]}":
            if depth == 0:
                args.append("".join(current).strip())
                return args
            depth -= 1
        elif char == "," and depth == 0:
            args.append("".join(current).strip())
            current = []
            continue
        current.append(char)
    raise AssertionError("unbalanced call")


def _calls(script: str, name: str) -> list[list[str]]:
    """Arguments of every call of ``name(...)`` and of ``pcall(name, ...)``."""
    found = [
        _arguments(script, m.end() - 1) for m in re.finditer(rf"(?<![\w.]){name}\s*\(", script)
    ]
    found += (
        _arguments(script, m.start() + len("pcall"))
        for m in re.finditer(rf"pcall\(\s*{re.escape(name)}\s*,", script)
    )
    return [args[1:] if args and args[0] == name else args for args in found]


def key_bound_names(script: str) -> set[str]:
    """Names that only ever hold a declared key."""
    bound = set(re.findall(r"for\s+\w+\s*,\s*(\w+)\s+in\s+ipairs\(KEYS\)", script))
    assigned = r"(?:local\s+)?(\w+)\s*=\s*KEYS\[[^\]]+\]\s*$"
    bound |= set(re.findall(assigned, script, re.MULTILINE))
    functions = re.findall(r"local\s+function\s+(\w+)\(([^)]*)\)", script)
    changed = True
    while changed:
        changed = False
        for function, params in functions:
            first = params.split(",")[0].strip()
            calls = _calls(script.replace(f"function {function}(", "function _("), function)
            if (
                first
                and first not in bound
                and calls
                and all(args and is_declared(args[0], bound) for args in calls)
            ):
                bound.add(first)
                changed = True
    return bound


def is_declared(expression: str, bound: set[str]) -> bool:
    return bool(_KEYS_ITEM.match(expression)) or expression in bound


def undeclared_keys(script: str) -> list[str]:
    """Each ``redis.call`` whose key argument is not a declared key."""
    script = re.sub(r"--[^\n]*", "", script).replace("pcall(redis.call,", "redis.call(")
    bound = key_bound_names(script)
    offences = []
    for match in re.finditer(r"redis\.p?call\(", script):
        args = _arguments(script, match.end() - 1)
        command = args[0].strip("'\"").upper()
        if command in NO_KEY:
            continue
        key = args[2] if command in SUBCOMMAND else args[1]
        if not is_declared(key, bound):
            offences.append(f"redis.call({', '.join(args)})")
    return offences


SCRIPTS = registered_scripts()


def test_the_scan_finds_the_scripts() -> None:
    """The check below covers the scripts that exist (it would pass vacuously otherwise)."""
    assert len(SCRIPTS) >= 20
    for expected in ("operations._CLAIM", "limiter._ACQUIRE", "settlement._SETTLE", "_PARK"):
        assert any(name.endswith(expected) for name in SCRIPTS), expected


@pytest.mark.parametrize("name", sorted(SCRIPTS))
def test_script_declares_every_key(name: str) -> None:
    assert undeclared_keys(SCRIPTS[name]) == []


@pytest.mark.parametrize(
    "script",
    [
        "redis.call('GET', 'x:' .. ARGV[1])",
        "local k = ARGV[1]\nredis.call('SET', k, 1)",
        "redis.call('RPUSH', KEYS[1] .. ':wake', 1)",
        "local function f(key) return redis.call('GET', key) end\nf(ARGV[1])",
        "local ok = pcall(redis.call, 'XINFO', 'CONSUMERS', ARGV[1])",
    ],
)
def test_the_scan_catches_a_built_key(script: str) -> None:
    assert undeclared_keys(script) != []


def test_the_scan_accepts_declared_forms() -> None:
    script = """
local first = KEYS[1]
for _, key in ipairs(KEYS) do redis.call('DEL', key) end
local function touch(k) redis.call('PEXPIRE', k, 5) end
touch(first)
pcall(touch, KEYS[2])
redis.call('TIME')
"""
    assert undeclared_keys(script) == []
