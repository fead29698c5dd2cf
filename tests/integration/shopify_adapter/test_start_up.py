"""The service refuses to start with a location map naming what Sitoo does not have."""

from __future__ import annotations

import pytest
from pydantic import SecretStr

from service.app import create_app
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
