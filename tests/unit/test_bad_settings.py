"""Any bad setting stops any command at start: one line naming the variable, exit status 2.

A table of bad values, one per kind of setting (numbers, bounds, booleans, choices, URLs,
nested JSON lists and whole groups as JSON, the webshop groups, names that are no setting),
run against every command that reads the settings.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from service.cli import cli

EXIT_BAD_CONFIGURATION = 2
BAD = [
    ("SITOO_SYNC_STREAMS__MAX_DELIVERIES", "abc"),
    ("SITOO_SYNC_STREAMS__MAX_DELIVERIES", "0"),
    ("SITOO_SYNC_HTTP__PORT", "99999"),
    ("SITOO_SYNC_POLLERS__ENABLED", "maybe"),
    ("SITOO_SYNC_LOG__LEVEL", "LOUD"),
    ("SITOO_SYNC_REDIS__URL", "http://redis:6379"),
    ("SITOO_SYNC_SITOO__BASE_URL", "not a url"),
    ("SITOO_SYNC_SITOO__EXTRA_CREDENTIALS", "[{broken"),
    ("SITOO_SYNC_SITOO__EXTRA_CREDENTIALS", '[{"api_id": "no-password"}]'),
    ("SITOO_SYNC_SITOO__INTERACTIVE_CREDENTIALS", '{"not": "a list"}'),
    ("SITOO_SYNC_CONSUMERS__CHANNELS", '["orders", "nope"]'),
    ("SITOO_SYNC_CONSUMERS__CHANNELS", "[orders"),
    ("SITOO_SYNC_SITOO", "{"),
    ("SITOO_SYNC_SHOPIFY__SHOP_DOMAIN", "not a shop"),
    ("SITOO_SYNC_SHOPIFY__API_VERSION", "latest"),
    ("SITOO_SYNC_WOOCOMMERCE__URL", "ftp://shop.example.com"),
    ("SITOO_SYNC_WOOCOMMERCE__CONSUMER_KEY", "no-ck-prefix"),
    ("SITOO_SYNC_WOOCOMMERCE__GROUPS", "anything"),
    ("SITOO_SYNC_STREAMS__MAX_DELIVERY", "3"),
    ("SITOO_SYNC_NO_SUCH_GROUP__X", "1"),
]
COMMANDS = [
    ["run"],
    ["config"],
    ["config", "--json"],
    ["status"],
    ["check"],
    ["send", "order-placed"],
    ["tail", "--seconds", "1"],
    ["dlq", "list"],
    ["resync", "stock"],
]


@pytest.mark.parametrize("command", COMMANDS, ids=[" ".join(c[:2]) for c in COMMANDS])
@pytest.mark.parametrize(("variable", "value"), BAD, ids=[f"{n}={v}" for n, v in BAD])
def test_a_bad_setting_stops_the_command_with_one_line(
    command: list[str],
    variable: str,
    value: str,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    """Exit status 2, one line, the variable named, no traceback."""
    monkeypatch.chdir(tmp_path)  # no .env, no dev stack
    result = CliRunner().invoke(cli, command, env={variable: value})
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert result.exit_code == EXIT_BAD_CONFIGURATION, result.output
    assert len(lines) == 1, result.output
    # The variable itself, or its group where a rule spans the group's variables.
    group = variable.split("__", maxsplit=1)[0]
    assert lines[0].startswith(
        ("configuration error: " + variable, f"configuration error: {group}")
    )
    assert "Traceback" not in result.output


def test_kubernetes_service_links_are_not_settings(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """A Service named sitoo-sync makes Kubernetes set SITOO_SYNC_PORT and friends."""
    monkeypatch.chdir(tmp_path)
    env = {"SITOO_SYNC_PORT": "tcp://10.0.0.1:8080", "SITOO_SYNC_SERVICE_HOST": "10.0.0.1"}
    result = CliRunner().invoke(cli, ["config"], env=env)
    assert result.exit_code == 0, result.output
