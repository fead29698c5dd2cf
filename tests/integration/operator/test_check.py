"""`sitoo-sync check` against the sandbox over HTTP: one clear line and exit status per failure."""

from __future__ import annotations

import socket

import pytest
import redis.asyncio as aioredis

from service.operator.check import Failure
from service.sandbox import SandboxConfig, serve_sandbox
from tests.integration.operator.conftest import invoke, point_at_sitoo

pytestmark = pytest.mark.usefixtures("operator_env")


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def test_check_passes_and_says_what_it_reached(monkeypatch: pytest.MonkeyPatch) -> None:
    """Right credentials, account and site: exit 0 and a line naming account and site."""
    async with serve_sandbox(SandboxConfig(), port=0) as running:
        point_at_sitoo(monkeypatch, running.base_url)
        result = await invoke("check")
    assert result.exit_code == 0, result.output
    assert "ok      redis: reached" in result.stdout
    assert "ok      sitoo (sandbox): reached account 90001" in result.stdout
    assert "site 1" in result.stdout


async def test_wrong_password(monkeypatch: pytest.MonkeyPatch) -> None:
    """A refused password names the API user, the variables to fix, and never the password."""
    async with serve_sandbox(SandboxConfig(), port=0) as running:
        point_at_sitoo(monkeypatch, running.base_url, password="not-the-password")
        result = await invoke("check")
    assert result.exit_code == Failure.WRONG_CREDENTIALS.exit_status, result.output
    line = result.stdout.splitlines()[-1]
    assert line.startswith("FAILED  sitoo (sandbox): Sitoo refused API user 'sandbox'")
    assert "API id or password is wrong" in line
    assert "HTTP 401: Authentication failed" in line
    assert "not-the-password" not in result.output


async def test_wrong_account(monkeypatch: pytest.MonkeyPatch) -> None:
    """Credentials of another account: the message names the account in the base URL."""
    async with serve_sandbox(SandboxConfig(), port=0) as running:
        point_at_sitoo(monkeypatch, running.base_url.replace("90001", "90002"))
        result = await invoke("check")
    assert result.exit_code == Failure.WRONG_ACCOUNT.exit_status, result.output
    line = result.stdout.splitlines()[-1]
    assert "does not know account 90002" in line
    assert "Account not found" in line


async def test_ip_not_allow_listed(monkeypatch: pytest.MonkeyPatch) -> None:
    """A refused client address is told apart from a wrong password though both are 401s."""
    config = SandboxConfig(allowed_ips=["192.0.2.10"])
    async with serve_sandbox(config, port=0) as running:
        point_at_sitoo(monkeypatch, running.base_url)
        result = await invoke("check")
    assert result.exit_code == Failure.IP_NOT_ALLOWED.exit_status, result.output
    line = result.stdout.splitlines()[-1]
    assert "refused this machine's IP address" in line
    assert "allow-list" in line


async def test_ip_refused_with_403_is_still_the_ip(monkeypatch: pytest.MonkeyPatch) -> None:
    """The IP refusal is recognised by its text whichever refusal status carries it."""
    config = SandboxConfig(allowed_ips=["192.0.2.10"], ip_denied_status=403)
    async with serve_sandbox(config, port=0) as running:
        point_at_sitoo(monkeypatch, running.base_url)
        result = await invoke("check")
    assert result.exit_code == Failure.IP_NOT_ALLOWED.exit_status, result.output


async def test_wrong_site(monkeypatch: pytest.MonkeyPatch) -> None:
    """A site id the account does not have is named with the sites that do exist."""
    async with serve_sandbox(SandboxConfig(), port=0) as running:
        point_at_sitoo(monkeypatch, running.base_url, site_id=7)
        result = await invoke("check")
    assert result.exit_code == Failure.WRONG_SITE.exit_status, result.output
    line = result.stdout.splitlines()[-1]
    assert "site 7 (SITOO_SYNC_SITOO__SITE_ID) does not exist in account 90001" in line
    assert "sites there: 1" in line


async def test_every_extra_credential_is_checked(monkeypatch: pytest.MonkeyPatch) -> None:
    """A pool member with a wrong password fails the check though the primary one works."""
    config = SandboxConfig(credentials={"sandbox": "sandbox", "second": "right"})
    async with serve_sandbox(config, port=0) as running:
        point_at_sitoo(monkeypatch, running.base_url)
        monkeypatch.setenv(
            "SITOO_SYNC_SITOO__EXTRA_CREDENTIALS",
            '[{"api_id": "second", "api_password": "wrong"}]',
        )
        result = await invoke("check")
    assert result.exit_code == Failure.WRONG_CREDENTIALS.exit_status, result.output
    assert "ok      sitoo (sandbox)" in result.stdout
    assert "FAILED  sitoo (second): Sitoo refused API user 'second'" in result.stdout


async def test_sitoo_unreachable(monkeypatch: pytest.MonkeyPatch) -> None:
    """Nothing listening at the base URL: its own message and exit status."""
    point_at_sitoo(monkeypatch, f"http://127.0.0.1:{_closed_port()}/v2/accounts/90001")
    result = await invoke("check")
    assert result.exit_code == Failure.SITOO_UNREACHABLE.exit_status, result.output
    assert "cannot reach Sitoo at http://127.0.0.1:" in result.stdout


async def test_redis_unreachable_hides_the_redis_password(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A Redis that does not answer fails the check without showing the URL's password."""
    async with serve_sandbox(SandboxConfig(), port=0) as running:
        point_at_sitoo(monkeypatch, running.base_url)
        url = f"redis://:hunter2-secret@127.0.0.1:{_closed_port()}/0"
        monkeypatch.setenv("SITOO_SYNC_REDIS__URL", url)
        result = await invoke("check")
    assert result.exit_code == Failure.REDIS_UNREACHABLE.exit_status, result.output
    assert "FAILED  redis: cannot reach 127.0.0.1:" in result.stdout
    assert "ok      sitoo (sandbox)" in result.stdout  # Sitoo is still checked
    assert "hunter2-secret" not in result.output


async def test_invalid_configuration_is_exit_2() -> None:
    """A malformed setting stops the check before anything is reached, naming the variable."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("SITOO_SYNC_SITOO__SITE_ID", "zero")
        result = await invoke("check")
    assert result.exit_code == Failure.CONFIGURATION.exit_status
    assert "SITOO_SYNC_SITOO__SITE_ID" in result.output


async def test_claim_replicas_without_replicas_fails(monkeypatch: pytest.MonkeyPatch) -> None:
    """CLAIM_REPLICAS above the replicas Redis has: no write would go out, so check fails."""
    monkeypatch.setenv("SITOO_SYNC_REDIS__CLAIM_REPLICAS", "5")
    async with serve_sandbox(SandboxConfig(), port=0) as running:
        point_at_sitoo(monkeypatch, running.base_url)
        result = await invoke("check")
    assert result.exit_code == Failure.TOO_FEW_REPLICAS.exit_status, result.output
    [line] = [line for line in result.stdout.splitlines() if "redis:" in line]
    assert line.startswith("FAILED  redis: reached")
    assert "SITOO_SYNC_REDIS__CLAIM_REPLICAS is 5: no Sitoo write would be sent" in line


async def test_claim_fsync_without_append_only_file_fails(
    monkeypatch: pytest.MonkeyPatch, redis: aioredis.Redis
) -> None:
    """CLAIM_FSYNC against a Redis without AOF (the test Redis): every claim would fail."""
    if int((await redis.info("persistence")).get("aof_enabled", 0)):
        pytest.skip("the test Redis runs with appendonly yes")
    monkeypatch.setenv("SITOO_SYNC_REDIS__CLAIM_FSYNC", "true")
    async with serve_sandbox(SandboxConfig(), port=0) as running:
        point_at_sitoo(monkeypatch, running.base_url)
        result = await invoke("check")
    assert result.exit_code == Failure.CONFIGURATION.exit_status, result.output
    assert "SITOO_SYNC_REDIS__CLAIM_FSYNC needs `appendonly yes`" in result.stdout
