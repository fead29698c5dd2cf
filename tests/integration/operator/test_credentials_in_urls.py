"""A user and password inside a URL never reach a command's output or a log line.

Every command is run as an operator would, with Redis, Sitoo's base URL and the tracing
endpoint all carrying credentials: once with nothing reachable (the connection-failure
paths) and once with a reachable Redis that refuses the user.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

REDIS_PASSWORD = "RedisPw7731"
SITOO_PASSWORD = "SitooUrlPw8842"
OTLP_PASSWORD = "OtlpPw5513"
SECRETS = (REDIS_PASSWORD, SITOO_PASSWORD, OTLP_PASSWORD)
COMMANDS = [
    ["config"],
    ["config", "--json"],
    ["check"],
    ["status"],
    ["dlq", "list"],
    ["tail", "--seconds", "1"],
    ["send", "order-placed", "--wait", "1"],
    ["resync", "stock"],
    ["go-live", "--webhook-url", f"https://hook:{SITOO_PASSWORD}@127.0.0.1:1/sitoo/events"],
    ["run"],
]


def _environment(redis_host: str) -> dict[str, str]:
    keep = {k: v for k, v in os.environ.items() if not k.startswith("SITOO_SYNC_")}
    return {
        **keep,
        "SITOO_SYNC_REDIS__URL": f"redis://someone:{REDIS_PASSWORD}@{redis_host}/0",
        "SITOO_SYNC_SITOO__BASE_URL": f"http://u:{SITOO_PASSWORD}@127.0.0.1:1/v2/accounts/1",
        "SITOO_SYNC_SITOO__API_ID": "api",
        "SITOO_SYNC_SITOO__API_PASSWORD": "ApiPw-not-in-a-url",
        "SITOO_SYNC_TRACING__OTLP_ENDPOINT": f"http://o:{OTLP_PASSWORD}@127.0.0.1:1/v1/traces",
        "SITOO_SYNC_HTTP__PORT": "18093",
        "SITOO_SYNC_LOG__LEVEL": "DEBUG",
    }


@pytest.mark.timeout(300)
@pytest.mark.parametrize("redis_host", ["127.0.0.1:1", "127.0.0.1:6379"], ids=["down", "up"])
@pytest.mark.parametrize("command", COMMANDS, ids=[" ".join(c[:2]) for c in COMMANDS])
def test_no_command_prints_a_password_from_a_url(
    command: list[str], redis_host: str, tmp_path: Path
) -> None:
    """Output, errors and log lines; whatever the exit status."""
    try:
        done = subprocess.run(
            [sys.executable, "-m", "service", *command],
            env=_environment(redis_host),
            cwd=tmp_path,  # no dev stack nearby
            capture_output=True,
            text=True,
            timeout=25,
            check=False,
        )
        output = done.stdout + done.stderr
    except subprocess.TimeoutExpired as slow:  # `run` keeps going while Redis is up
        output = str(slow.stdout or "") + str(slow.stderr or "")
    assert output.strip(), "the command printed nothing to judge"
    assert "configuration error" not in output, output
    for secret in SECRETS:
        assert secret not in output, f"{secret} printed by {' '.join(command)}"
