"""The fake webshops `run --with-shopify` / `--with-woocommerce` starts beside the sandbox.

Each fake is served in this process on its port, the adapter is configured to talk to it with
the fixed development credentials below, and its location map points at the sandbox's demo
stores. Once the service answers, the fake's web hooks are subscribed to the service, so an
order created through the fake's ``/_fake/`` admin API reaches Sitoo (the sandbox) as it
would from a real shop. Loaded only by `run`'s dev stack, never in production.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import httpx
import structlog
from pydantic import AnyHttpUrl, SecretStr

from service.local.embedded import port_is_free
from service.settings import ENV_PREFIX, ConfigurationError, Settings
from service.settings_shopify import LocationMapping, ShopifySettings
from service.settings_woocommerce import WooCommerceSettings

if TYPE_CHECKING:
    from service.sandbox import RunningSandbox

log = structlog.get_logger(__name__)

# Fixed and documented (docs/shopify.md, docs/woocommerce.md): development only.
SHOPIFY_ACCESS_TOKEN = "shpat_fake_access_token"  # noqa: S105 - the fake's default token
SHOPIFY_WEBHOOK_SECRET = "fake-shopify-app-secret"  # noqa: S105 - the fake's default secret
WOOCOMMERCE_CONSUMER_KEY = "ck_fake_consumer_key_0000000000000000000000"
WOOCOMMERCE_CONSUMER_SECRET = "cs_fake_consumer_secret_00000000000000000000"  # noqa: S105
WOOCOMMERCE_WEBHOOK_SECRET = "devstackwebhooksecret"  # noqa: S105 - development only

# The fake Shopify's demo locations, and the sandbox's demo stores they stand for.
SHOPIFY_LOCATIONS = {"70000000001": "STORE-1", "70000000002": "STORE-2"}
SHOPIFY_TOPICS = ("orders/create", "orders/updated", "orders/cancelled", "refunds/create")
# The fake WooCommerce's demo pick-up locations (by name, as WooCommerce names them).
WOOCOMMERCE_PICKUPS = {"Store Stockholm": "STORE-1", "Store Gothenburg": "STORE-2"}
WOOCOMMERCE_STOCK_STORE = "STORE-1"
WOOCOMMERCE_TOPICS = ("order.created", "order.updated")


@dataclass(frozen=True, slots=True)
class WebshopChoice:
    """Which fake webshops `run` was asked to start."""

    shopify: bool = False
    woocommerce: bool = False

    @property
    def any(self) -> bool:
        """True when at least one was asked for."""
        return self.shopify or self.woocommerce


@dataclass(frozen=True, slots=True)
class FakeWebshop:
    """One fake webshop being served: where, and what the banner shows about it."""

    name: str
    url: str
    rows: list[tuple[str, str]] = field(default_factory=list)

    @property
    def admin_url(self) -> str:
        """The fake's admin API (no auth): creating orders, changing stock, its web hooks."""
        return f"{self.url}/_fake"


def _port(wanted: int, name: str, setting: str, notes: list[str]) -> int:
    if wanted == 0 or port_is_free(wanted):
        return wanted
    notes.append(
        f"port {wanted} was taken: the fake {name} is on another one "
        f"(set {ENV_PREFIX}SANDBOX__{setting} to choose)"
    )
    return 0


def _demo_ids(sandbox: RunningSandbox) -> tuple[dict[str, int], dict[int, int]]:
    """The sandbox's store ids by externalid, and each store's (first) warehouse."""
    catalog = sandbox.sandbox.catalog
    stores = {s.externalid: s.storeid for s in catalog.stores.values() if s.externalid}
    warehouses: dict[int, int] = {}
    for warehouse in sorted(catalog.warehouses.values(), key=lambda w: w.warehouseid):
        if warehouse.storeid is not None:
            warehouses.setdefault(warehouse.storeid, warehouse.warehouseid)
    missing = sorted({*SHOPIFY_LOCATIONS.values(), *WOOCOMMERCE_PICKUPS.values()} - set(stores))
    if missing or any(stores[s] not in warehouses for s in WOOCOMMERCE_PICKUPS.values()):
        raise ConfigurationError(
            f"{ENV_PREFIX}SANDBOX__SEED: the fake webshops map onto the demo seed's stores "
            f"{', '.join(sorted(set(WOOCOMMERCE_PICKUPS.values())))}, which this sandbox lacks"
        )
    return stores, warehouses


async def start_fake_webshops(
    stack: contextlib.AsyncExitStack,
    settings: Settings,
    sandbox: RunningSandbox,
    choice: WebshopChoice,
    notes: list[str],
) -> tuple[Settings, list[FakeWebshop]]:
    """Serve the chosen fakes and return the settings with their adapters pointed at them."""
    # Loaded only here: a production run never imports a fake.
    from service.fakes.shopify import FakeShopifyConfig, serve_fake_shopify  # noqa: PLC0415
    from service.fakes.woocommerce import (  # noqa: PLC0415
        FakeWooCommerceConfig,
        serve_fake_woocommerce,
    )

    if settings.shopify.enabled and choice.shopify:
        raise ConfigurationError(
            f"{ENV_PREFIX}SHOPIFY__*: --with-shopify configures the adapter itself; unset these"
        )
    if settings.woocommerce.enabled and choice.woocommerce:
        raise ConfigurationError(
            f"{ENV_PREFIX}WOOCOMMERCE__*: --with-woocommerce configures the adapter itself; "
            "unset these"
        )
    stores, warehouses = _demo_ids(sandbox)
    shops: list[FakeWebshop] = []
    update: dict[str, object] = {}
    if choice.shopify:
        port = _port(settings.sandbox.shopify_port, "Shopify", "SHOPIFY_PORT", notes)
        running = await stack.enter_async_context(
            serve_fake_shopify(FakeShopifyConfig(), host="127.0.0.1", port=port)
        )
        update["shopify"] = ShopifySettings(
            admin_url=AnyHttpUrl(running.url),
            access_token=SecretStr(SHOPIFY_ACCESS_TOKEN),
            webhook_secret=SecretStr(SHOPIFY_WEBHOOK_SECRET),
            locations={
                location: LocationMapping(
                    store_id=stores[store],
                    warehouse_id=warehouses[stores[store]],
                    stock_master="sitoo",
                )
                for location, store in SHOPIFY_LOCATIONS.items()
            },
        )
        shops.append(
            FakeWebshop(
                name="shopify",
                url=running.url,
                rows=[
                    ("Fake Shopify", f"{running.admin_url()}   (NOT a real Shopify)"),
                    ("  access token", f"{SHOPIFY_ACCESS_TOKEN}   (fixed, for development)"),
                    ("  web-hook secret", SHOPIFY_WEBHOOK_SECRET),
                    (
                        "  locations",
                        ", ".join(f"{loc} -> {st}" for loc, st in SHOPIFY_LOCATIONS.items()),
                    ),
                    ("  admin", f"{running.url}/_fake/orders   (docs/shopify.md: trying it)"),
                ],
            )
        )
    if choice.woocommerce:
        port = _port(settings.sandbox.woocommerce_port, "WooCommerce", "WOOCOMMERCE_PORT", notes)
        shop = await stack.enter_async_context(
            serve_fake_woocommerce(FakeWooCommerceConfig(), host="127.0.0.1", port=port)
        )
        stock_warehouse = warehouses[stores[WOOCOMMERCE_STOCK_STORE]]
        update["woocommerce"] = WooCommerceSettings(
            url=AnyHttpUrl(shop.url),
            consumer_key=SecretStr(WOOCOMMERCE_CONSUMER_KEY),
            consumer_secret=SecretStr(WOOCOMMERCE_CONSUMER_SECRET),
            webhook_secret=SecretStr(WOOCOMMERCE_WEBHOOK_SECRET),
            pickup_locations=dict(WOOCOMMERCE_PICKUPS),
            stock_warehouse_id=stock_warehouse,
        )
        shops.append(
            FakeWebshop(
                name="woocommerce",
                url=shop.url,
                rows=[
                    ("Fake WooCommerce", f"{shop.api_url}   (NOT a real WooCommerce)"),
                    (
                        "  REST key",
                        (
                            f"{WOOCOMMERCE_CONSUMER_KEY} / {WOOCOMMERCE_CONSUMER_SECRET}   "
                            "(fixed, for development)"
                        ),
                    ),
                    ("  web-hook secret", WOOCOMMERCE_WEBHOOK_SECRET),
                    (
                        "  pick-up",
                        ", ".join(f"{name} -> {st}" for name, st in WOOCOMMERCE_PICKUPS.items())
                        + f"; stock of warehouse {stock_warehouse}",
                    ),
                    ("  admin", f"{shop.url}/_fake/orders   (docs/woocommerce.md: trying it)"),
                ],
            )
        )
    log.info("devstack.fake_webshops", shops=[shop.name for shop in shops])
    return settings.model_copy(update=update), shops


async def subscribe_webhooks(shops: list[FakeWebshop], service_url: str) -> None:
    """Point the fakes' web hooks at the service, once it answers (WooCommerce pings it)."""
    async with httpx.AsyncClient(timeout=10.0) as client:
        for shop in shops:
            if shop.name == "shopify":
                for topic in SHOPIFY_TOPICS:
                    answer = await client.post(
                        f"{shop.admin_url}/webhooks/subscriptions",
                        json={"topic": topic, "uri": f"{service_url}/webhooks/shopify"},
                    )
                    answer.raise_for_status()
            else:
                for topic in WOOCOMMERCE_TOPICS:
                    answer = await client.post(
                        f"{shop.admin_url}/webhooks",
                        json={
                            "name": f"sitoo-sync {topic}",
                            "topic": topic,
                            "delivery_url": f"{service_url}/webhooks/woocommerce",
                            "secret": WOOCOMMERCE_WEBHOOK_SECRET,
                        },
                    )
                    answer.raise_for_status()
