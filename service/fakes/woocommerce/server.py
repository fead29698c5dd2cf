"""Serving the fake WooCommerce over real HTTP (web hooks sent in the background)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass

from service.fakes.common.server import run_until_interrupted, serve_app
from service.fakes.woocommerce.app import create_fake_woocommerce_app
from service.fakes.woocommerce.config import FakeWooCommerceConfig
from service.fakes.woocommerce.store import FakeWooCommerce


@dataclass(frozen=True)
class RunningFakeWooCommerce:
    """A fake store being served on a real port."""

    url: str
    port: int
    store: FakeWooCommerce

    @property
    def api_url(self) -> str:
        """The wc/v3 base: ``{url}/wp-json/wc/v3``."""
        return f"{self.url}/wp-json/wc/v3"


@contextlib.asynccontextmanager
async def serve_fake_woocommerce(
    config: FakeWooCommerceConfig,
    host: str = "127.0.0.1",
    port: int = 0,
    *,
    send_webhooks: bool = True,
) -> AsyncIterator[RunningFakeWooCommerce]:
    """Run the fake on a real socket in this event loop until the block ends."""
    app = create_fake_woocommerce_app(config)
    store: FakeWooCommerce = app.state.store

    async def send_due() -> None:
        await store.deliver_webhooks()

    try:
        async with serve_app(
            app,
            host,
            port,
            background=send_due if send_webhooks else None,
            interval_s=lambda: store.config.webhooks.poll_interval_s,
        ) as actual_port:
            yield RunningFakeWooCommerce(
                url=f"http://{host}:{actual_port}", port=actual_port, store=store
            )
    finally:
        await store.sender.aclose()


async def _serve_until_cancelled(config: FakeWooCommerceConfig, host: str, port: int) -> None:
    async with serve_fake_woocommerce(config, host, port) as running:
        logging.getLogger(__name__).info(
            "fake WooCommerce listening on %s (REST API %s)", running.url, running.api_url
        )
        await asyncio.Event().wait()


def run_fake_woocommerce_forever(
    config: FakeWooCommerceConfig, host: str = "127.0.0.1", port: int = 8902
) -> None:
    """Serve the fake until the process is interrupted (for the CLI)."""
    run_until_interrupted(lambda: _serve_until_cancelled(config, host, port))
