"""The WooCommerce REST client: typed calls, one error tree, retries, each write once.

See ``docs/woocommerce-client.md`` for how each write is made safe to repeat or made once.
"""

from __future__ import annotations

import httpx

from service.adapters.common.transport import build_webshop_http_client
from service.adapters.woocommerce.engine import RestEngine
from service.adapters.woocommerce.models import Webhook, parsed
from service.adapters.woocommerce.orders import OrderCalls
from service.adapters.woocommerce.stock import StockCalls
from service.settings_woocommerce import WooCommerceSettings


def build_http_client(
    settings: WooCommerceSettings, transport: httpx.AsyncBaseTransport | None = None
) -> httpx.AsyncClient:
    """The process-wide WooCommerce HTTP client (the key is added per request, never here)."""
    return build_webshop_http_client(
        connect_timeout_s=settings.connect_timeout_s,
        read_timeout_s=settings.read_timeout_s,
        transport=transport,
        base_url=settings.api_url + "/",
    )


class WooCommerceClient(StockCalls, OrderCalls):
    """Typed access to one store's wc/v3 REST API (one per process)."""

    def __init__(self, *, http: httpx.AsyncClient, settings: WooCommerceSettings) -> None:
        super().__init__(RestEngine(http, settings), batch_size=settings.batch_size)

    @property
    def engine(self) -> RestEngine:
        """The request engine (its request count is useful to benchmarks)."""
        return self._engine

    async def webhooks(self) -> list[Webhook]:
        """Every web hook of the store."""
        rows = await self._engine.read_all("webhooks")
        return [parsed(Webhook.from_json, raw, what="webhooks") for raw in rows]

    async def disabled_webhooks(self) -> list[Webhook]:
        """Web hooks WooCommerce disabled after consecutive failed deliveries (FACTS.md §2.5)."""
        return [hook for hook in await self.webhooks() if hook.status == "disabled"]
