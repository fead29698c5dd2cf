"""The service refuses to start with a location map naming what Sitoo does not have."""

from __future__ import annotations

import pytest
from pydantic import SecretStr

from service.app import create_app
from service.fakes.shopify import FakeShopifyConfig, serve_fake_shopify
from service.sandbox import SandboxConfig, serve_sandbox
from service.settings import (
    ConfigurationError,
    PollerSettings,
    RedisSettings,
    Settings,
    SitooSettings,
    StreamSettings,
)
from service.settings_shopify import ShopifySettings
from tests.integration.shopify_adapter.guide import documented_scopes

API_ID, API_PASSWORD = "shopify-start", "shopify-start-password"


async def test_an_unknown_store_stops_the_start_with_one_line(redis_url, unique):
    """Store 999 does not exist in the sandbox: the lifespan fails naming the setting."""
    config = SandboxConfig(credentials={API_ID: SecretStr(API_PASSWORD)}, seed="demo")
    async with serve_sandbox(config, port=0) as sandbox:
        settings = Settings(
            sitoo=SitooSettings(
                base_url=sandbox.base_url, api_id=API_ID, api_password=SecretStr(API_PASSWORD)
            ),
            redis=RedisSettings(url=SecretStr(redis_url), key_prefix=unique),
            streams=StreamSettings(outbound=f"{unique}.outbound", consumer=f"{unique}-1"),
            pollers=PollerSettings(enabled=False),
            shopify=ShopifySettings(
                admin_url="http://127.0.0.1:9",  # type: ignore[arg-type] - never called
                access_token=SecretStr("shpat_x"),
                webhook_secret=SecretStr("s"),
                webhook_stream=f"{unique}.shopify.webhooks",
                locations={  # type: ignore[dict-item]
                    "70000000001": {"store_id": 999, "warehouse_id": 1, "stock_master": "sitoo"}
                },
            ),
        )
        app = create_app(settings)
        with pytest.raises(ConfigurationError) as caught:
            async with app.start_lifespan_context():
                pass
    assert str(caught.value) == (
        "SITOO_SYNC_SHOPIFY__LOCATIONS: location 70000000001 names store 999, "
        "which is not a Sitoo store"
    )


async def test_mirroring_without_its_scope_stops_the_start_with_one_line(redis_url, unique):
    """MIRROR_GIFTCARDS on, the app granted every scope but read_gift_card_transactions
    (as Shopify's currentAppInstallation reports them): the start fails naming it."""
    config = SandboxConfig(credentials={API_ID: SecretStr(API_PASSWORD)}, seed="demo")
    granted = [s for s in documented_scopes() if s != "read_gift_card_transactions"]
    shop_config = FakeShopifyConfig(
        access_tokens={"main": SecretStr("shpat_scoped")}, token_scopes={"main": granted}
    )
    async with (
        serve_sandbox(config, port=0) as sandbox,
        serve_fake_shopify(shop_config, port=0) as shopify,
    ):
        settings = Settings(
            sitoo=SitooSettings(
                base_url=sandbox.base_url, api_id=API_ID, api_password=SecretStr(API_PASSWORD)
            ),
            redis=RedisSettings(url=SecretStr(redis_url), key_prefix=unique),
            streams=StreamSettings(outbound=f"{unique}.outbound", consumer=f"{unique}-1"),
            pollers=PollerSettings(enabled=False),
            shopify=ShopifySettings(
                admin_url=shopify.url,  # type: ignore[arg-type]
                access_token=SecretStr("shpat_scoped"),
                webhook_secret=SecretStr("s"),
                webhook_stream=f"{unique}.shopify.webhooks",
                mirror_giftcards=True,
            ),
        )
        app = create_app(settings)
        with pytest.raises(ConfigurationError) as caught:
            async with app.start_lifespan_context():
                pass
    assert str(caught.value) == (
        "SITOO_SYNC_SHOPIFY__MIRROR_GIFTCARDS: the app lacks the access scope "
        "read_gift_card_transactions"
    )
