"""The optional WooCommerce settings group: off when unset, complete when on, secrets masked."""

from __future__ import annotations

import pytest

from service.cli import masked_configuration
from service.settings import ConfigurationError, load_settings

PREFIX = "SITOO_SYNC_WOOCOMMERCE__"


def _complete(monkeypatch: pytest.MonkeyPatch, url: str = "https://shop.example.com") -> None:
    monkeypatch.setenv(f"{PREFIX}URL", url)
    monkeypatch.setenv(f"{PREFIX}CONSUMER_KEY", "ck_secret_key_value")
    monkeypatch.setenv(f"{PREFIX}CONSUMER_SECRET", "cs_secret_value")
    monkeypatch.setenv(f"{PREFIX}WEBHOOK_SECRET", "whsec_value")


def test_unset_means_the_adapter_is_off() -> None:
    """No SITOO_SYNC_WOOCOMMERCE__* variable: disabled, nothing required."""
    assert load_settings().woocommerce.enabled is False


def test_a_partial_group_fails_in_one_line_naming_the_variables(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Any variable turns the adapter on, and then all it needs must be there."""
    monkeypatch.setenv(f"{PREFIX}CONSUMER_KEY", "ck_x")
    with pytest.raises(ConfigurationError) as caught:
        load_settings()
    message = str(caught.value)
    assert "\n" not in message
    for name in ("URL", "CONSUMER_SECRET", "WEBHOOK_SECRET"):
        assert f"{PREFIX}{name}" in message
    assert f"{PREFIX}CONSUMER_KEY" not in message


@pytest.mark.parametrize(
    ("name", "value"),
    [("CONSUMER_KEY", "cs_swapped"), ("CONSUMER_SECRET", "ck_swapped"), ("BATCH_SIZE", "101")],
)
def test_bad_values_name_their_variable(
    monkeypatch: pytest.MonkeyPatch, name: str, value: str
) -> None:
    """Swapped key and secret, a batch over WooCommerce's 100."""
    _complete(monkeypatch)
    monkeypatch.setenv(f"{PREFIX}{name}", value)
    with pytest.raises(ConfigurationError) as caught:
        load_settings()
    assert str(caught.value).startswith(f"{PREFIX}{name}:")


def test_plain_http_is_refused_except_on_loopback_or_when_allowed(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The key goes with every request: http only for 127.0.0.1 or with ALLOW_PLAIN_HTTP."""
    _complete(monkeypatch, "http://shop.example.com")
    with pytest.raises(ConfigurationError) as caught:
        load_settings()
    assert f"{PREFIX}URL must use https" in str(caught.value)
    monkeypatch.setenv(f"{PREFIX}ALLOW_PLAIN_HTTP", "true")
    assert load_settings().woocommerce.api_url == "http://shop.example.com/wp-json/wc/v3"
    monkeypatch.delenv(f"{PREFIX}ALLOW_PLAIN_HTTP")
    monkeypatch.setenv(f"{PREFIX}URL", "http://127.0.0.1:8902")
    assert load_settings().woocommerce.api_url == "http://127.0.0.1:8902/wp-json/wc/v3"


def test_a_complete_group_masks_its_secrets(monkeypatch: pytest.MonkeyPatch) -> None:
    """Key, secret and web-hook secret are redacted in logs and never printed."""
    _complete(monkeypatch)
    settings = load_settings()
    assert settings.woocommerce.api_url == "https://shop.example.com/wp-json/wc/v3"
    secrets = {"ck_secret_key_value", "cs_secret_value", "whsec_value"}
    assert secrets <= set(settings.secret_values())
    printed = str(masked_configuration(settings))
    assert not any(secret in printed for secret in secrets)
