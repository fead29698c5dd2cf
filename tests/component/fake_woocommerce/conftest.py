"""Fixtures: a fake store on a controllable clock, REST and admin clients, a web-hook receiver."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from service.fakes.woocommerce import (
    FakeWooCommerce,
    FakeWooCommerceConfig,
    create_fake_woocommerce_app,
    fake_woocommerce_transport,
)

KEY = "ck_fake_consumer_key_0000000000000000000000"
SECRET = "cs_fake_consumer_secret_00000000000000000000"
DATA = Path(__file__).parent / "data"
START = 1_780_000_000.0
HOOK_URL = "https://receiver.test/hooks"


class FakeTime:
    """A time source tests move by hand."""

    def __init__(self) -> None:
        self.value = START

    def __call__(self) -> float:
        return self.value


def example(name: str) -> Any:
    """One of the copied WooCommerce examples."""
    return json.loads((DATA / name).read_text(encoding="utf-8"))


class Receiver:
    """Records deliveries and answers with a status tests can change."""

    def __init__(self) -> None:
        self.received: list[tuple[dict[str, str], bytes]] = []
        self.status = 200

    async def endpoint(self, request: Request) -> Response:
        self.received.append((dict(request.headers), await request.body()))
        return Response(status_code=self.status)

    def deliveries(self) -> list[tuple[dict[str, str], bytes]]:
        """Everything but pings."""
        return [(h, b) for h, b in self.received if "x-wc-webhook-topic" in h]

    def bodies(self) -> list[dict[str, Any]]:
        """The JSON bodies of the deliveries."""
        return [json.loads(b) for _, b in self.deliveries()]


@pytest.fixture
def fake_time() -> FakeTime:
    """The fake's time source."""
    return FakeTime()


@pytest.fixture
def config() -> FakeWooCommerceConfig:
    """Default configuration; tests redefine this fixture to change it."""
    return FakeWooCommerceConfig()


@pytest.fixture
def app(config: FakeWooCommerceConfig, fake_time: FakeTime) -> Starlette:
    """A demo-seeded fake."""
    return create_fake_woocommerce_app(config, now=fake_time)


@pytest.fixture
def store(app: Starlette) -> FakeWooCommerce:
    """The fake's state object."""
    state: FakeWooCommerce = app.state.store
    return state


@pytest.fixture
async def api(app: Starlette) -> AsyncIterator[httpx.AsyncClient]:
    """A client of the REST API with the store's key (HTTP Basic)."""
    async with httpx.AsyncClient(
        transport=fake_woocommerce_transport(app),
        base_url="https://shop.example.com/wp-json/wc/v3",
        auth=(KEY, SECRET),
        timeout=5,
    ) as client:
        yield client


@pytest.fixture
async def anonymous(app: Starlette) -> AsyncIterator[httpx.AsyncClient]:
    """A client of the REST API without credentials."""
    async with httpx.AsyncClient(
        transport=fake_woocommerce_transport(app), base_url="https://shop.example.com", timeout=5
    ) as client:
        yield client


@pytest.fixture
async def admin(app: Starlette) -> AsyncIterator[httpx.AsyncClient]:
    """A client for the /_fake admin API."""
    async with httpx.AsyncClient(
        transport=fake_woocommerce_transport(app), base_url="https://shop.example.com/_fake"
    ) as client:
        yield client


@pytest.fixture
def receiver(store: FakeWooCommerce) -> Receiver:
    """A web-hook receiver the fake delivers to in-process."""
    found = Receiver()
    app = Starlette(routes=[Route("/hooks", found.endpoint, methods=["POST"])])
    store.sender.transport = httpx.ASGITransport(app=app)
    return found


async def product_id(api: httpx.AsyncClient, sku: str) -> int:
    """The id of the product (or variation) with this SKU."""
    found = (await api.get("/products", params={"sku": sku})).json()
    assert len(found) == 1
    number: int = found[0]["id"]
    return number


async def place(admin: httpx.AsyncClient, **body: Any) -> dict[str, Any]:
    """Place an order through the admin API; returns the REST order."""
    body.setdefault("line_items", [{"sku": "SKU-0001", "quantity": 1}])
    answer = await admin.post("/orders", json=body)
    assert answer.status_code == 201, answer.text
    order: dict[str, Any] = answer.json()["order"]
    return order
