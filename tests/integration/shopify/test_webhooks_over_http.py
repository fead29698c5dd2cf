"""The fake's background sender delivers signed web hooks to a real HTTP receiver."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import json
import socket

import httpx
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from service.fakes.shopify import FakeShopifyConfig, WebhookConfig, serve_fake_shopify


async def test_an_order_reaches_a_real_receiver_signed_and_a_failure_is_retried() -> None:
    """orders/create over a socket; the first delivery gets a 500 and is retried."""
    received: list[tuple[dict[str, str], bytes]] = []

    async def hook(request: Request) -> Response:
        received.append((dict(request.headers), await request.body()))
        return Response(status_code=500 if len(received) == 1 else 200)

    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    sock.listen(16)
    port = sock.getsockname()[1]
    receiver = uvicorn.Server(
        uvicorn.Config(
            Starlette(routes=[Route("/hooks", hook, methods=["POST"])]),
            log_config=None,
            lifespan="off",
        )
    )
    serving = asyncio.create_task(receiver.serve(sockets=[sock]))
    config = FakeShopifyConfig(
        webhooks=WebhookConfig(retry_schedule_s=[0.2] * 8, poll_interval_s=0.02)
    )
    try:
        async with serve_fake_shopify(config) as running:
            async with httpx.AsyncClient(base_url=f"{running.url}/_fake") as admin:
                await admin.post(
                    "/webhooks/subscriptions",
                    json={"topic": "orders/create", "uri": f"http://127.0.0.1:{port}/hooks"},
                )
                order = {"order": {"line_items": [{"sku": "SKU-0001", "quantity": 1}]}}
                created = (await admin.post("/orders", json=order)).json()
            for _ in range(200):
                if len(received) >= 2:
                    break
                await asyncio.sleep(0.02)
    finally:
        receiver.should_exit = True
        await serving
        sock.close()
    assert len(received) == 2
    (first_headers, first_body), (headers, body) = received
    assert first_body == body
    assert first_headers["x-shopify-webhook-id"] == headers["x-shopify-webhook-id"]
    secret = config.webhooks.secret.get_secret_value().encode()
    expected = base64.b64encode(hmac.new(secret, body, hashlib.sha256).digest()).decode()
    assert headers["x-shopify-hmac-sha256"] == expected
    assert json.loads(body)["id"] == created["order"]["id"]
