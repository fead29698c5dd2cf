"""Fixtures: a fake shop on a controllable clock, and clients for its Admin API and admin API."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette

from service.fakes.shopify import (
    FakeShopify,
    FakeShopifyConfig,
    create_fake_shopify_app,
    fake_shopify_transport,
)

TOKEN = "shpat_fake_access_token"
DATA = Path(__file__).parent / "data"
START = 1_780_000_000.0


class FakeTime:
    """A time source tests move by hand."""

    def __init__(self) -> None:
        self.value = START

    def __call__(self) -> float:
        return self.value


def example(name: str) -> Any:
    """One of the copied Shopify examples."""
    return json.loads((DATA / name).read_text(encoding="utf-8"))


@pytest.fixture
def fake_time() -> FakeTime:
    """The fake's time source."""
    return FakeTime()


@pytest.fixture
def config() -> FakeShopifyConfig:
    """Default configuration; tests redefine this fixture to change it."""
    return FakeShopifyConfig()


@pytest.fixture
def app(config: FakeShopifyConfig, fake_time: FakeTime) -> Starlette:
    """A demo-seeded fake."""
    return create_fake_shopify_app(config, now=fake_time)


@pytest.fixture
def shop(app: Starlette) -> FakeShopify:
    """The fake's state object."""
    state: FakeShopify = app.state.shop
    return state


@pytest.fixture
async def http(app: Starlette) -> AsyncIterator[httpx.AsyncClient]:
    """A raw client over the in-process transport."""
    async with httpx.AsyncClient(
        transport=fake_shopify_transport(app), base_url="http://shop.test", timeout=5
    ) as client:
        yield client


GraphQL = Callable[..., Any]


@pytest.fixture
def gql(http: httpx.AsyncClient) -> GraphQL:
    """Posts a query: gql(query, variables, version=, token=) -> httpx.Response."""

    async def post(
        query: str,
        variables: dict[str, Any] | None = None,
        *,
        version: str = "2026-04",
        token: str | None = TOKEN,
    ) -> httpx.Response:
        headers = {"X-Shopify-Access-Token": token} if token is not None else {}
        return await http.post(
            f"/admin/api/{version}/graphql.json",
            json={"query": query, "variables": variables or {}},
            headers=headers,
        )

    return post


@pytest.fixture
async def admin(app: Starlette) -> AsyncIterator[httpx.AsyncClient]:
    """A client for the /_fake admin API."""
    async with httpx.AsyncClient(
        transport=fake_shopify_transport(app), base_url="http://shop.test/_fake"
    ) as client:
        yield client
