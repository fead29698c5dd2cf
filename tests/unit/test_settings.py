"""Settings: environment nesting, secrets from files, and one-line errors naming the variable."""

from __future__ import annotations

from pathlib import Path

import pytest

from service.settings import ConfigurationError, Settings, load_settings


def test_nested_variables_fill_nested_groups(monkeypatch: pytest.MonkeyPatch) -> None:
    """SITOO_SYNC_SITOO__BASE_URL and friends land in settings.sitoo."""
    monkeypatch.setenv("SITOO_SYNC_SITOO__BASE_URL", "https://api.mysitoo.com/v2/accounts/10020")
    monkeypatch.setenv("SITOO_SYNC_SITOO__API_ID", "10020-140")
    monkeypatch.setenv("SITOO_SYNC_SITOO__API_PASSWORD", "pw-from-env")
    monkeypatch.setenv("SITOO_SYNC_SITOO__SITE_ID", "3")
    monkeypatch.setenv("SITOO_SYNC_REDIS__URL", "redis://cache:6379/2")
    settings = load_settings()
    assert str(settings.sitoo.base_url) == "https://api.mysitoo.com/v2/accounts/10020"
    assert settings.sitoo.site_id == 3
    assert settings.sitoo.api_password is not None
    assert settings.sitoo.api_password.get_secret_value() == "pw-from-env"
    assert settings.redis.url is not None
    assert settings.redis.url.get_secret_value() == "redis://cache:6379/2"
    assert not settings.sitoo.uses_sandbox


def test_defaults_mean_sandbox_and_embedded_redis() -> None:
    """With nothing configured the sandbox and the embedded Redis stand in."""
    settings = load_settings()
    assert settings.sitoo.uses_sandbox
    assert settings.redis.url is None


def test_dotenv_file_is_read(tmp_path: Path) -> None:
    """A .env file in the working directory is a configuration source."""
    (tmp_path / ".env").write_text("SITOO_SYNC_STREAMS__ORDERS=shop.orders\n")
    assert load_settings().streams.orders == "shop.orders"


def test_nested_secret_read_from_secrets_dir(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A file named like the variable in the secrets dir sets a nested secret."""
    secrets = tmp_path / "secrets"
    secrets.mkdir()
    (secrets / "SITOO_SYNC_SITOO__API_PASSWORD").write_text("pw-from-file\n")
    monkeypatch.setenv("SITOO_SYNC_SITOO__BASE_URL", "https://api.mysitoo.com/v2/accounts/1")
    monkeypatch.setenv("SITOO_SYNC_SITOO__API_ID", "1-1")
    settings = Settings(_secrets_dir=secrets)  # type: ignore[call-arg]
    assert settings.sitoo.api_password is not None
    assert settings.sitoo.api_password.get_secret_value() == "pw-from-file"


@pytest.mark.parametrize(
    ("variable", "value", "expected"),
    [
        ("SITOO_SYNC_SITOO__READ_TIMEOUT_S", "-1", "SITOO_SYNC_SITOO__READ_TIMEOUT_S: "),
        ("SITOO_SYNC_STREAMS__MAX_DELIVERIES", "many", "SITOO_SYNC_STREAMS__MAX_DELIVERIES: "),
        ("SITOO_SYNC_REDIS__URL", "http://nope", "SITOO_SYNC_REDIS__URL: must start with"),
        ("SITOO_SYNC_LOG__LEVEL", "LOUD", "SITOO_SYNC_LOG__LEVEL: "),
        ("SITOO_SYNC_SITOO__BASE_URL", "not a url", "SITOO_SYNC_SITOO__BASE_URL: "),
    ],
)
def test_invalid_value_names_the_variable(
    monkeypatch: pytest.MonkeyPatch, variable: str, value: str, expected: str
) -> None:
    """An invalid value becomes one line that starts with the variable's name."""
    monkeypatch.setenv(variable, value)
    with pytest.raises(ConfigurationError) as raised:
        load_settings()
    message = str(raised.value)
    assert message.startswith(expected)
    assert "\n" not in message


def test_partial_credentials_name_the_missing_variables(monkeypatch: pytest.MonkeyPatch) -> None:
    """An API id without the URL and password names both missing variables."""
    monkeypatch.setenv("SITOO_SYNC_SITOO__API_ID", "1-1")
    with pytest.raises(ConfigurationError) as raised:
        load_settings()
    assert "SITOO_SYNC_SITOO__BASE_URL" in str(raised.value)
    assert "SITOO_SYNC_SITOO__API_PASSWORD" in str(raised.value)


def _primary_api_user(monkeypatch: pytest.MonkeyPatch, *, password: str) -> None:
    """A real Sitoo account with API user 1-1."""
    monkeypatch.setenv("SITOO_SYNC_SITOO__BASE_URL", "https://api.mysitoo.com/v2/accounts/1")
    monkeypatch.setenv("SITOO_SYNC_SITOO__API_ID", "1-1")
    monkeypatch.setenv("SITOO_SYNC_SITOO__API_PASSWORD", password)


def test_credential_pool_lists_primary_first(monkeypatch: pytest.MonkeyPatch) -> None:
    """Extra API users follow the primary one in the pool."""
    _primary_api_user(monkeypatch, password="a")
    monkeypatch.setenv(
        "SITOO_SYNC_SITOO__EXTRA_CREDENTIALS", '[{"api_id": "1-2", "api_password": "b"}]'
    )
    pool = load_settings().sitoo.credentials()
    assert [c.api_id for c in pool] == ["1-1", "1-2"]
    assert "b" not in repr(pool)


def test_interactive_only_api_users_come_last(monkeypatch: pytest.MonkeyPatch) -> None:
    """The limiter reserves the last ones: after the primary and the extra pool."""
    _primary_api_user(monkeypatch, password="a")
    monkeypatch.setenv(
        "SITOO_SYNC_SITOO__INTERACTIVE_CREDENTIALS", '[{"api_id": "1-9", "api_password": "t"}]'
    )
    monkeypatch.setenv(
        "SITOO_SYNC_SITOO__EXTRA_CREDENTIALS", '[{"api_id": "1-2", "api_password": "b"}]'
    )
    assert [c.api_id for c in load_settings().sitoo.credentials()] == ["1-1", "1-2", "1-9"]


def test_one_api_user_twice_is_a_configuration_error(monkeypatch: pytest.MonkeyPatch) -> None:
    """Two budgets for one API user would let two requests fly at once: refused at start."""
    _primary_api_user(monkeypatch, password="a")
    monkeypatch.setenv(
        "SITOO_SYNC_SITOO__INTERACTIVE_CREDENTIALS", '[{"api_id": "1-1", "api_password": "a"}]'
    )
    with pytest.raises(ConfigurationError) as raised:
        load_settings()
    assert "1-1" in str(raised.value)
    assert "SITOO_SYNC_SITOO__" in str(raised.value)


def test_every_api_password_is_handed_to_the_redactor(monkeypatch: pytest.MonkeyPatch) -> None:
    """Passwords of the extra and of the reserved API users are masked in logs like the first."""
    _primary_api_user(monkeypatch, password="first-pw")
    monkeypatch.setenv(
        "SITOO_SYNC_SITOO__EXTRA_CREDENTIALS", '[{"api_id": "1-2", "api_password": "pool-pw"}]'
    )
    monkeypatch.setenv(
        "SITOO_SYNC_SITOO__INTERACTIVE_CREDENTIALS",
        '[{"api_id": "1-9", "api_password": "till-pw"}]',
    )
    assert {"first-pw", "pool-pw", "till-pw"} <= set(load_settings().secret_values())


def test_the_ops_port_must_differ_from_the_web_hook_port(monkeypatch: pytest.MonkeyPatch) -> None:
    """Both ports the same: one line naming the ops port, before anything starts."""
    monkeypatch.setenv("SITOO_SYNC_HTTP__PORT", "8080")
    monkeypatch.setenv("SITOO_SYNC_HTTP__OPS_PORT", "8080")
    with pytest.raises(ConfigurationError) as raised:
        load_settings()
    assert "SITOO_SYNC_HTTP__OPS_PORT must differ from SITOO_SYNC_HTTP__PORT" in str(raised.value)
    monkeypatch.setenv("SITOO_SYNC_HTTP__OPS_PORT", "8081")
    assert load_settings().http.ops_port == 8081


@pytest.mark.parametrize(
    ("lease_s", "deadline_s", "replicas", "refused"),
    [
        ("120", "60", "0", False),  # the defaults
        ("60", "60", "0", True),  # the claim could run out on the call's last second
        ("30", "60", "0", True),
        ("60.5", "60", "1", True),  # the wait for a replica comes before the call
        ("61.5", "60", "1", False),
        ("60.5", "60", "0", False),  # no replica wait configured: nothing to add
    ],
)
def test_a_claim_must_outlast_its_replica_wait_and_its_call(
    monkeypatch: pytest.MonkeyPatch, lease_s: str, deadline_s: str, replicas: str, refused: bool
) -> None:
    """A claim that can run out mid-write would let a takeover make the write again."""
    monkeypatch.setenv("SITOO_SYNC_IDEMPOTENCY__LEASE_S", lease_s)
    monkeypatch.setenv("SITOO_SYNC_SITOO__CALL_DEADLINE_S", deadline_s)
    monkeypatch.setenv("SITOO_SYNC_REDIS__CLAIM_REPLICAS", replicas)
    if not refused:
        assert load_settings().idempotency.lease_s == float(lease_s)
        return
    with pytest.raises(ConfigurationError) as caught:
        load_settings()
    message = str(caught.value)
    assert message.startswith("SITOO_SYNC_IDEMPOTENCY__LEASE_S (")
    assert "SITOO_SYNC_SITOO__CALL_DEADLINE_S" in message
    assert ("SITOO_SYNC_REDIS__CLAIM_REPLICA_TIMEOUT_S" in message) == (replicas != "0")
    assert "\n" not in message


@pytest.mark.parametrize(
    "waits", ["SITOO_SYNC_REDIS__CLAIM_REPLICAS", "SITOO_SYNC_REDIS__CLAIM_FSYNC"]
)
def test_claims_wait_on_a_cluster_too(monkeypatch: pytest.MonkeyPatch, waits: str) -> None:
    """On a cluster the wait goes to the master of the deployment's slot: both are accepted."""
    monkeypatch.setenv("SITOO_SYNC_REDIS__CLUSTER", "true")
    monkeypatch.setenv(waits, "1")
    redis = load_settings().redis
    assert redis.cluster
    assert redis.claim_replicas == 1 or redis.claim_fsync


def test_claim_fsync_counts_its_wait_against_the_lease(monkeypatch: pytest.MonkeyPatch) -> None:
    """WAITAOF waits too (even with no replica to wait for): the lease must cover it."""
    monkeypatch.setenv("SITOO_SYNC_IDEMPOTENCY__LEASE_S", "60.5")
    monkeypatch.setenv("SITOO_SYNC_REDIS__CLAIM_FSYNC", "true")
    with pytest.raises(ConfigurationError, match="CLAIM_REPLICA_TIMEOUT_S"):
        load_settings()


def test_a_reclaim_may_come_before_the_event_lease_runs_out(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """An early reclaim finds the event leased and leaves it pending (docs/architecture.md)."""
    monkeypatch.setenv("SITOO_SYNC_STREAMS__RECLAIM_IDLE_MS", "3000")
    monkeypatch.setenv("SITOO_SYNC_IDEMPOTENCY__LEASE_S", "120")
    settings = load_settings()
    assert settings.streams.reclaim_idle_ms / 1000 < settings.idempotency.lease_s
