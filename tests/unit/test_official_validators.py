"""A missing official validator skips its test on a laptop and fails it in CI."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support import official_validators
from tests.support.official_validators import REQUIRED_VARIABLE


def test_missing_parser_skips_with_the_install_command(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """No node_modules: skipped, and the reason says how to install the parser."""
    monkeypatch.delenv(REQUIRED_VARIABLE, raising=False)
    monkeypatch.setattr(official_validators, "ASYNCAPI_DIR", tmp_path)
    with pytest.raises(pytest.skip.Exception, match="npm ci --ignore-scripts --prefix"):
        official_validators.asyncapi_parser()


def test_missing_validators_fail_when_required(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """With REQUIRE_OFFICIAL_VALIDATORS=1 (.ci/run) a missing parser or promtool fails."""
    monkeypatch.setenv(REQUIRED_VARIABLE, "1")
    monkeypatch.setattr(official_validators, "ASYNCAPI_DIR", tmp_path)
    with pytest.raises(pytest.fail.Exception, match=REQUIRED_VARIABLE):
        official_validators.asyncapi_parser()
    monkeypatch.setattr(official_validators.shutil, "which", lambda _name: None)
    with pytest.raises(pytest.fail.Exception, match="promtool"):
        official_validators.promtool()


def test_ci_installs_and_requires_the_validators() -> None:
    """.ci/run requires the validators, installs promtool and the pinned parser."""
    script = (Path(__file__).resolve().parents[2] / ".ci" / "run").read_text(encoding="utf-8")
    assert f"export {REQUIRED_VARIABLE}=1" in script
    assert "apt-get install" in script
    assert "prometheus" in script
    assert f"npm ci --ignore-scripts --no-audit --no-fund --prefix {_relative_asyncapi_dir()}" in (
        script
    )


def _relative_asyncapi_dir() -> str:
    root = Path(__file__).resolve().parents[2]
    return official_validators.ASYNCAPI_DIR.relative_to(root).as_posix()
