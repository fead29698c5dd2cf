"""A faithful fake of a WooCommerce store: REST API (wc/v3) and web hooks, for tests and dev."""

import httpx
from starlette.types import ASGIApp

from service.fakes.common.transport import FakeTransport
from service.fakes.common.webhook_http import sign
from service.fakes.woocommerce.app import create_fake_woocommerce_app
from service.fakes.woocommerce.config import (
    ApiKey,
    FakeWooCommerceConfig,
    FaultConfig,
    WebhookConfig,
)
from service.fakes.woocommerce.server import (
    RunningFakeWooCommerce,
    run_fake_woocommerce_forever,
    serve_fake_woocommerce,
)
from service.fakes.woocommerce.store import FakeWooCommerce
from service.fakes.woocommerce.webhooks import DeliveryFaults


def fake_woocommerce_transport(app: ASGIApp) -> httpx.AsyncBaseTransport:
    """The in-process transport: a drop raises RemoteProtocolError, a stall ReadTimeout."""
    return FakeTransport(app)


__all__ = [
    "ApiKey",
    "DeliveryFaults",
    "FakeWooCommerce",
    "FakeWooCommerceConfig",
    "FaultConfig",
    "RunningFakeWooCommerce",
    "WebhookConfig",
    "create_fake_woocommerce_app",
    "fake_woocommerce_transport",
    "run_fake_woocommerce_forever",
    "serve_fake_woocommerce",
    "sign",
]
