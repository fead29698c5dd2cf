"""Fixtures: the Shopify client against a fake shop over the in-process transport."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

import pytest
from pydantic import SecretStr
from starlette.applications import Starlette

from service.adapters.shopify import ShopifyClient, build_http_client
from service.fakes.shopify import (
    FakeShopify,
    FakeShopifyConfig,
    create_fake_shopify_app,
    fake_shopify_transport,
)
from service.settings_shopify import ShopifySettings

TOKEN = "shpat_fake_access_token"
STORE = "gid://shopify/Location/70000000001"


def settings_for(
    url: str, *, token: str = TOKEN, version: str = "2026-04", **extra: object
) -> ShopifySettings:
    """Client settings pointing at a fake."""
    return ShopifySettings(
        admin_url=url,  # type: ignore[arg-type]
        access_token=SecretStr(token),
        webhook_secret=SecretStr("fake-shopify-app-secret"),
        api_version=version,
        **extra,  # type: ignore[arg-type]
    )


@pytest.fixture
def fake_config() -> FakeShopifyConfig:
    """The fake's configuration (tests redefine it)."""
    return FakeShopifyConfig()


@pytest.fixture
def app(fake_config: FakeShopifyConfig) -> Starlette:
    """A demo-seeded fake."""
    return create_fake_shopify_app(fake_config)


@pytest.fixture
def shop(app: Starlette) -> FakeShopify:
    """The fake's state."""
    state: FakeShopify = app.state.shop
    return state


ClientFactory = Callable[..., "AsyncIterator[ShopifyClient]"]


@pytest.fixture
def make_client(app: Starlette):
    """Opens a client with adjustable settings."""

    @asynccontextmanager
    async def factory(**options: object) -> AsyncIterator[ShopifyClient]:
        settings = settings_for("http://fake.test", **options)  # type: ignore[arg-type]
        async with build_http_client(settings, transport=fake_shopify_transport(app)) as http:
            yield ShopifyClient(http=http, settings=settings)

    return factory


@pytest.fixture
async def client(make_client) -> AsyncIterator[ShopifyClient]:
    """A client speaking 2026-04."""
    async with make_client() as opened:
        yield opened
