"""Fixtures: the Shopify translator reading a fake shop through the real client."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from starlette.applications import Starlette

from service.adapters.shopify import ShopifyClient, build_http_client
from service.adapters.shopify.translator import ShopifyTranslator
from service.fakes.shopify import (
    FakeShopify,
    FakeShopifyConfig,
    create_fake_shopify_app,
    fake_shopify_transport,
)
from service.settings_shopify import ShopifySettings
from tests.component.shopify_client.conftest import settings_for

STORE, GOTHENBURG, WAREHOUSE = 70000000001, 70000000002, 70000000003
LOCATIONS = {
    str(STORE): {"store_id": 1, "warehouse_id": 1, "stock_master": "sitoo"},
    str(WAREHOUSE): {"warehouse_id": 9, "stock_master": "shopify"},
}


@pytest.fixture
def app() -> Starlette:
    """A demo-seeded fake."""
    return create_fake_shopify_app(FakeShopifyConfig())


@pytest.fixture
def shop(app: Starlette) -> FakeShopify:
    """The fake's state."""
    state: FakeShopify = app.state.shop
    return state


@pytest.fixture
def settings() -> ShopifySettings:
    """Adapter settings with two mapped locations (Gothenburg is not mapped)."""
    return settings_for("http://fake.test", locations=LOCATIONS)


@pytest.fixture
async def client(app: Starlette, settings: ShopifySettings) -> AsyncIterator[ShopifyClient]:
    """The real client over the in-process transport."""
    async with build_http_client(settings, transport=fake_shopify_transport(app)) as http:
        yield ShopifyClient(http=http, settings=settings)


@pytest.fixture
def translator(client: ShopifyClient, settings: ShopifySettings) -> ShopifyTranslator:
    """The translator under test."""
    return ShopifyTranslator(client, settings)
