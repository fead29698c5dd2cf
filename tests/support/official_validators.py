"""Finding the official validators (AsyncAPI parser, promtool) that some tests run.

Elsewhere a missing validator skips its test with the reason; in CI (``.ci/run`` sets
``REQUIRE_OFFICIAL_VALIDATORS=1``) it fails the test, so a broken CI set-up cannot pass
by skipping.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

REQUIRED_VARIABLE = "REQUIRE_OFFICIAL_VALIDATORS"
ASYNCAPI_DIR = Path(__file__).resolve().parent / "asyncapi"


def unavailable(reason: str) -> None:
    """Skip the calling test, or fail it when the validators are required."""
    if os.environ.get(REQUIRED_VARIABLE) == "1":
        pytest.fail(f"{reason} ({REQUIRED_VARIABLE}=1)")
    pytest.skip(reason)


def asyncapi_parser() -> list[str]:
    """The command that runs the official AsyncAPI parser on a file given after it."""
    node = shutil.which("node")
    if node is None:
        unavailable("needs Node.js for the official AsyncAPI parser")
    if not (ASYNCAPI_DIR / "node_modules" / "@asyncapi" / "parser").is_dir():
        unavailable(
            "the official AsyncAPI parser is not installed: "
            f"npm ci --ignore-scripts --prefix {ASYNCAPI_DIR}"
        )
    return [str(node), str(ASYNCAPI_DIR / "validate.mjs")]


def promtool() -> str:
    """The path of promtool (Debian's ``prometheus`` package)."""
    found = shutil.which("promtool")
    if found is None:
        unavailable("needs promtool (apt-get install prometheus)")
    assert found is not None
    return found
