"""The tests run on the runtime dependencies the image ships, not on whatever is newest.

deploy/local.py installs the test environment under constraints taken from the image's lock. A
new upstream release (a library whose type hints changed, say) then cannot change what the lint,
type and test steps judge until the lock is refreshed on purpose.
"""

from __future__ import annotations

import importlib.util
import re
from importlib import metadata
from types import ModuleType

from packaging.markers import Marker
from packaging.utils import canonicalize_name

from tests.unit.deploy.deployfiles import DEPLOY, RUNTIME_LOCK


def _launcher() -> ModuleType:
    spec = importlib.util.spec_from_file_location("local_launcher", DEPLOY / "local.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _pins(text: str) -> dict[str, tuple[str, str]]:
    """name -> (version, marker) for each ``name==version [; marker]`` line."""
    found: dict[str, tuple[str, str]] = {}
    for line in text.splitlines():
        pin = re.fullmatch(r"([A-Za-z0-9._-]+)==(\S+?)(?:\s*;\s*(.+))?", line.strip())
        if pin is not None:
            found[canonicalize_name(pin[1])] = (pin[2], pin[3] or "")
    return found


def test_constraints_carry_every_pin_of_the_lock_and_no_hash() -> None:
    lock = RUNTIME_LOCK.read_text(encoding="utf-8")
    constraints = _launcher().constraints(lock)

    assert "--hash" not in constraints
    assert all(line.strip() for line in constraints.splitlines())
    locked = _pins(re.sub(r"\s*\\\n\s*--hash=\S+", "", lock))
    assert locked, "the lock holds no pins"
    assert _pins(constraints) == locked


def test_the_environment_running_the_tests_has_the_locked_versions() -> None:
    """Fails in an environment installed without deploy/local.py: run it to reinstall."""
    locked = _pins(_launcher().constraints(RUNTIME_LOCK.read_text(encoding="utf-8")))
    differing = {}
    for name, (version, marker) in locked.items():
        if marker and not Marker(marker).evaluate():
            continue
        installed = metadata.version(name)
        if installed != version:
            differing[name] = f"{installed} installed, {version} locked"
    assert not differing, differing
