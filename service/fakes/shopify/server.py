"""Serving the fake Shopify over real HTTP (web hooks sent in the background)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass

from service.fakes.common.server import run_until_interrupted, serve_app
from service.fakes.shopify.app import create_fake_shopify_app
from service.fakes.shopify.config import FakeShopifyConfig
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


@contextlib.asynccontextmanager
async def serve_fake_shopify(
    config: FakeShopifyConfig, host: str = "127.0.0.1", port: int = 0, *, send_webhooks: bool = True
) -> AsyncIterator[RunningFakeShopify]:
    """Run the fake on a real socket in this event loop until the block ends."""
    app = create_fake_shopify_app(config)
    shop: FakeShopify = app.state.shop

    async def send_due() -> None:
        await shop.sender.deliver_due()

    try:
        async with serve_app(
            app,
            host,
            port,
            background=send_due if send_webhooks else None,
            interval_s=lambda: shop.config.webhooks.poll_interval_s,
        ) as actual_port:
            yield RunningFakeShopify(
                url=f"http://{host}:{actual_port}", port=actual_port, shop=shop
            )
    finally:
        await shop.sender.aclose()


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
    run_until_interrupted(lambda: _serve_until_cancelled(config, host, port))
