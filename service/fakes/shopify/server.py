"""Serving the fake over real HTTP with uvicorn (web hooks sent in the background)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
from collections.abc import AsyncIterator
from dataclasses import dataclass

import uvicorn

from service.fakes.shopify.app import create_fake_shopify_app
from service.fakes.shopify.config import FakeShopifyConfig
from service.fakes.shopify.responses import ConnectionDropped
from service.fakes.shopify.shop import FakeShopify


@dataclass(frozen=True)
class RunningFakeShopify:
    """A fake shop being served on a real port."""

    url: str
    port: int
    shop: FakeShopify

    def admin_url(self, version: str = "2026-04") -> str:
        """The Admin GraphQL endpoint of one API version."""
        return f"{self.url}/admin/api/{version}/graphql.json"


class _HideInjectedDrops(logging.Filter):
    """An injected drop is the point of the exercise, not an application error worth a trace."""

    def filter(self, record: logging.LogRecord) -> bool:
        exc = record.exc_info[1] if record.exc_info else None
        return not isinstance(exc, ConnectionDropped)


_DROP_FILTER = _HideInjectedDrops()


def _bind(host: str, port: int) -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    sock.listen(128)
    sock.setblocking(False)  # noqa: FBT003 - socket API
    return sock


@contextlib.asynccontextmanager
async def serve_fake_shopify(
    config: FakeShopifyConfig, host: str = "127.0.0.1", port: int = 0, *, send_webhooks: bool = True
) -> AsyncIterator[RunningFakeShopify]:
    """Run the fake on a real socket in this event loop until the block ends."""
    app = create_fake_shopify_app(config)
    shop: FakeShopify = app.state.shop
    sock = _bind(host, port)
    actual_port = sock.getsockname()[1]
    server = uvicorn.Server(
        uvicorn.Config(
            app, log_config=None, access_log=False, lifespan="off", timeout_graceful_shutdown=1
        )
    )
    logging.getLogger("uvicorn.error").addFilter(_DROP_FILTER)
    task = asyncio.create_task(server.serve(sockets=[sock]))
    sender = asyncio.create_task(_send_forever(shop)) if send_webhooks else None
    try:
        while not server.started:
            if task.done():
                task.result()  # surfaces the startup error
            await asyncio.sleep(0.01)
        yield RunningFakeShopify(url=f"http://{host}:{actual_port}", port=actual_port, shop=shop)
    finally:
        if sender is not None:
            sender.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await sender
        await shop.sender.aclose()
        server.should_exit = True
        await task
        sock.close()


async def _send_forever(shop: FakeShopify) -> None:
    # The shop's sender is replaced on reset, so look it up on every pass.
    while True:
        with contextlib.suppress(Exception):
            await shop.sender.deliver_due()
        await asyncio.sleep(shop.config.webhooks.poll_interval_s)


async def _serve_until_cancelled(config: FakeShopifyConfig, host: str, port: int) -> None:
    async with serve_fake_shopify(config, host, port) as running:
        logging.getLogger(__name__).info(
            "fake Shopify listening on %s (Admin API %s)", running.url, running.admin_url()
        )
        await asyncio.Event().wait()


def run_fake_shopify_forever(
    config: FakeShopifyConfig, host: str = "127.0.0.1", port: int = 8901
) -> None:
    """Serve the fake until the process is interrupted (for the CLI)."""
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(_serve_until_cancelled(config, host, port))
