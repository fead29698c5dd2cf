"""`sitoo-sync config` prints the effective configuration with every secret masked."""

from __future__ import annotations

import subprocess
import sys

import pytest

SECRET = "s3cr3t-Pa55word-9f2c"


def _cli(*arguments: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "service", *arguments],
        capture_output=True,
        text=True,
        env=env,
        check=False,
        timeout=60,
    )


@pytest.fixture
def configured_env() -> dict[str, str]:
    return {
        "PATH": "/usr/bin:/bin",
        "SITOO_SYNC_SITOO__BASE_URL": "https://api.mysitoo.com/v2/accounts/10020",
        "SITOO_SYNC_SITOO__API_ID": "10020-140",
        "SITOO_SYNC_SITOO__API_PASSWORD": SECRET,
        "SITOO_SYNC_REDIS__URL": f"redis://:{SECRET}@cache:6379/0",
        "SITOO_SYNC_HTTP__WEBHOOK_PASSWORD": SECRET,
        "SITOO_SYNC_SITOO__EXTRA_CREDENTIALS": (
            f'[{{"api_id":"10020-141","api_password":"{SECRET}"}}]'
        ),
    }


@pytest.mark.parametrize("flags", [(), ("--json",)])
def test_config_masks_every_secret(configured_env: dict[str, str], flags: tuple[str, ...]) -> None:
    """The password, the Redis URL and the web-hook password never appear in the output."""
    result = _cli("config", *flags, env=configured_env)
    assert result.returncode == 0, result.stderr
    assert SECRET not in result.stdout + result.stderr
    assert "10020-140" in result.stdout
    assert "**********" in result.stdout


def test_config_lists_variables_by_name(configured_env: dict[str, str]) -> None:
    """Each line is VARIABLE=value, so it can be compared with the environment."""
    lines = _cli("config", env=configured_env).stdout.splitlines()
    assert "SITOO_SYNC_SITOO__API_ID=10020-140" in lines
    assert "SITOO_SYNC_SITOO__API_PASSWORD=**********" in lines
    assert "SITOO_SYNC_STREAMS__ORDERS=webshop.orders" in lines


def test_bad_setting_is_one_line_exit_2_without_traceback() -> None:
    """An invalid variable ends the command with exit code 2 and one line naming it."""
    env = {"PATH": "/usr/bin:/bin", "SITOO_SYNC_SITOO__PAGE_SIZE": "5000"}
    for command in ("config", "run"):
        result = _cli(command, env=env)
        assert result.returncode == 2
        assert result.stdout == ""
        assert result.stderr.count("\n") == 1
        assert result.stderr.startswith("configuration error: SITOO_SYNC_SITOO__PAGE_SIZE:")
        assert "Traceback" not in result.stderr


def test_a_claim_lease_shorter_than_a_call_stops_run_and_check() -> None:
    """`run` and `check` refuse, with one line naming the lease, before connecting anywhere."""
    env = {
        "PATH": "/usr/bin:/bin",
        "SITOO_SYNC_IDEMPOTENCY__LEASE_S": "61",
        "SITOO_SYNC_REDIS__CLAIM_REPLICAS": "1",
        "SITOO_SYNC_REDIS__CLAIM_REPLICA_TIMEOUT_S": "2",
    }
    for command in ("run", "check"):
        result = _cli(command, env=env)
        assert result.returncode == 2, result.stderr
        assert result.stdout == ""
        assert result.stderr.count("\n") == 1
        assert result.stderr.startswith(
            "configuration error: SITOO_SYNC_IDEMPOTENCY__LEASE_S (61s) must exceed "
            "SITOO_SYNC_SITOO__CALL_DEADLINE_S (60s) plus "
            "SITOO_SYNC_REDIS__CLAIM_REPLICA_TIMEOUT_S (2s)"
        )
        assert "Traceback" not in result.stderr
