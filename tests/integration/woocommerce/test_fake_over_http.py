"""The fake WooCommerce over real sockets: keys, a real receiver for pings and deliveries."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from service.fakes.common.server import serve_app
from service.fakes.woocommerce import (
    FakeWooCommerceConfig,
    FaultConfig,
    RunningFakeWooCommerce,
    WebhookConfig,
    serve_fake_woocommerce,
)

KEY = "ck_fake_consumer_key_0000000000000000000000"
SECRET = "cs_fake_consumer_secret_00000000000000000000"
HOOK_SECRET = "hook-secret-over-http"


class Receiver:
    """A real HTTP receiver: records what arrives."""

    def __init__(self) -> None:
        self.received: list[tuple[dict[str, str], bytes]] = []
        self.arrived = asyncio.Event()

    async def endpoint(self, request: Request) -> Response:
        self.received.append((dict(request.headers), await request.body()))
        self.arrived.set()
        return Response(status_code=200)


@asynccontextmanager
async def _stack(
    config: FakeWooCommerceConfig,
) -> AsyncIterator[tuple[RunningFakeWooCommerce, Receiver, str]]:
    receiver = Receiver()
    app = Starlette(routes=[Route("/hooks", receiver.endpoint, methods=["POST"])])
    async with serve_app(app) as port, serve_fake_woocommerce(config) as running:
        yield running, receiver, f"http://127.0.0.1:{port}/hooks"


async def _wait_for(receiver: Receiver, count: int) -> None:
    async with asyncio.timeout(10):
        while len(receiver.received) < count:
            receiver.arrived.clear()
            await receiver.arrived.wait()


async def test_ping_and_a_signed_delivery_reach_a_real_receiver() -> None:
    """REST create (Basic auth over the socket) pings; a placed order arrives signed, once."""
    config = FakeWooCommerceConfig(webhooks=WebhookConfig(queue_delay_s=0.2, poll_interval_s=0.02))
    async with (
        _stack(config) as (running, receiver, hook_url),
        httpx.AsyncClient(base_url=running.api_url, auth=(KEY, SECRET)) as api,
        httpx.AsyncClient(base_url=f"{running.url}/_fake") as admin,
    ):
        created = await api.post(
            "/webhooks",
            json={"topic": "order.created", "delivery_url": hook_url, "secret": HOOK_SECRET},
        )
        assert created.status_code == 201
        assert receiver.received[0][1] == f"webhook_id={created.json()['id']}".encode()
        placed = await admin.post(
            "/orders",
            json={"line_items": [{"sku": "SKU-0001"}], "pickup_location": "Store Stockholm"},
        )
        await _wait_for(receiver, 2)
    headers, raw = receiver.received[1]
    digest = hmac.new(HOOK_SECRET.encode(), raw, hashlib.sha256).digest()
    assert headers["x-wc-webhook-signature"] == base64.b64encode(digest).decode()
    assert json.loads(raw)["id"] == placed.json()["order"]["id"]
    assert len(receiver.received) == 2


async def test_lost_answers_over_a_real_socket() -> None:
    """A drop aborts the connection; a stall withholds the answer past the read timeout."""
    faults = FaultConfig(apply_then_fail_rate=1.0, apply_then_fail_mode="drop", writes_only=True)
    async with serve_fake_woocommerce(
        FakeWooCommerceConfig(faults=faults), send_webhooks=False
    ) as running:
        store = running.store
        async with httpx.AsyncClient(base_url=running.api_url, auth=(KEY, SECRET)) as api:
            with pytest.raises(httpx.TransportError):
                await api.put("/products/100", json={"stock_quantity": 3})
            store.set_faults(
                faults.model_copy(update={"apply_then_fail_mode": "stall", "stall_s": 2})
            )
            with pytest.raises(httpx.ReadTimeout):
                await api.put("/products/100", json={"stock_quantity": 4}, timeout=0.3)
            store.clear_faults()
            assert (await api.get("/products/100")).json()["stock_quantity"] == 4
    assert len(store.ledger_entries(kind="product.update")) == 2
