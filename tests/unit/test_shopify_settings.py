"""The optional Shopify settings group: off when unset, complete when on, secrets masked."""

from __future__ import annotations

import pytest

from service.cli import masked_configuration
from service.settings import ConfigurationError, load_settings


def test_unset_means_the_adapter_is_off() -> None:
    """No SITOO_SYNC_SHOPIFY__* variable: disabled, nothing required."""
    assert load_settings().shopify.enabled is False


def test_a_partial_group_fails_in_one_line_naming_the_variables(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Any variable turns the adapter on, and then all it needs must be there."""
    monkeypatch.setenv("SITOO_SYNC_SHOPIFY__ACCESS_TOKEN", "shpat_x")
    with pytest.raises(ConfigurationError) as caught:
        load_settings()
    message = str(caught.value)
    assert "\n" not in message
    assert "SITOO_SYNC_SHOPIFY__SHOP_DOMAIN (or ADMIN_URL)" in message
    assert "SITOO_SYNC_SHOPIFY__WEBHOOK_SECRET" in message


@pytest.mark.parametrize(
    ("name", "value"),
    [("API_VERSION", "2026-05"), ("SHOP_DOMAIN", "example.com"), ("INVENTORY_BATCH_SIZE", "251")],
)
def test_bad_values_name_their_variable(
    monkeypatch: pytest.MonkeyPatch, name: str, value: str
) -> None:
    """A wrong version, a domain that is not *.myshopify.com, a batch over 250."""
    monkeypatch.setenv(f"SITOO_SYNC_SHOPIFY__{name}", value)
    with pytest.raises(ConfigurationError) as caught:
        load_settings()
    assert str(caught.value).startswith(f"SITOO_SYNC_SHOPIFY__{name}:")


def test_a_complete_group_builds_the_endpoint_and_masks_secrets(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Shop domain or admin URL; the token and secret never show in the printed configuration."""
    monkeypatch.setenv("SITOO_SYNC_SHOPIFY__SHOP_DOMAIN", "example.myshopify.com")
    monkeypatch.setenv("SITOO_SYNC_SHOPIFY__ACCESS_TOKEN", "shpat_secret_value")
    monkeypatch.setenv("SITOO_SYNC_SHOPIFY__WEBHOOK_SECRET", "whsec_value")
    settings = load_settings()
    assert (
        settings.shopify.graphql_url
        == "https://example.myshopify.com/admin/api/2026-04/graphql.json"
    )
    assert {"shpat_secret_value", "whsec_value"} <= set(settings.secret_values())
    printed = str(masked_configuration(settings))
    assert "shpat_secret_value" not in printed
    assert "whsec_value" not in printed
    monkeypatch.setenv("SITOO_SYNC_SHOPIFY__ADMIN_URL", "http://127.0.0.1:8901")
    assert (
        load_settings().shopify.graphql_url
        == "http://127.0.0.1:8901/admin/api/2026-04/graphql.json"
    )
