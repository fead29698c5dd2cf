"""Fixtures: the WooCommerce client against a fake store over the in-process transport."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager

import httpx
import pytest
from pydantic import SecretStr
from starlette.applications import Starlette

from service.adapters.woocommerce import WooCommerceClient, build_http_client
from service.fakes.woocommerce import (
    FakeWooCommerce,
    FakeWooCommerceConfig,
    create_fake_woocommerce_app,
    fake_woocommerce_transport,
)
from service.settings_woocommerce import WooCommerceSettings

KEY = "ck_fake_consumer_key_0000000000000000000000"
SECRET = "cs_fake_consumer_secret_00000000000000000000"

ClientFactory = Callable[..., AbstractAsyncContextManager[WooCommerceClient]]


def settings_for(
    url: str, *, key: str = KEY, secret: str = SECRET, **extra: object
) -> WooCommerceSettings:
    """Client settings pointing at a fake."""
    return WooCommerceSettings(
        url=url,  # type: ignore[arg-type]
        consumer_key=SecretStr(key),
        consumer_secret=SecretStr(secret),
        webhook_secret=SecretStr("whsec-fake"),
        **extra,  # type: ignore[arg-type]
    )


class Recording(httpx.AsyncBaseTransport):
    """Passes requests on and keeps each one, to check what left the client."""

    def __init__(self, inner: httpx.AsyncBaseTransport) -> None:
        self.inner = inner
        self.sent: list[httpx.Request] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.sent.append(request)
        return await self.inner.handle_async_request(request)


@pytest.fixture
def fake_config() -> FakeWooCommerceConfig:
    """The fake's configuration (tests redefine it)."""
    return FakeWooCommerceConfig()


@pytest.fixture
def app(fake_config: FakeWooCommerceConfig) -> Starlette:
    """A demo-seeded fake."""
    return create_fake_woocommerce_app(fake_config)


@pytest.fixture
def store(app: Starlette) -> FakeWooCommerce:
    """The fake's state."""
    state: FakeWooCommerce = app.state.store
    return state


@pytest.fixture
def recording(app: Starlette) -> Recording:
    """Every request the client sends."""
    return Recording(fake_woocommerce_transport(app))


@pytest.fixture
def make_client(recording: Recording) -> ClientFactory:
    """Opens a client with adjustable settings."""

    @asynccontextmanager
    async def factory(**options: object) -> AsyncIterator[WooCommerceClient]:
        settings = settings_for("https://shop.example.com", **options)  # type: ignore[arg-type]
        async with build_http_client(settings, transport=recording) as http:
            yield WooCommerceClient(http=http, settings=settings)

    return factory


@pytest.fixture
async def client(make_client: ClientFactory) -> AsyncIterator[WooCommerceClient]:
    """A client with the default settings."""
    async with make_client() as opened:
        yield opened
