"""A faithful fake of Shopify's Admin GraphQL API and web hooks, for tests and development."""

from service.fakes.common.ledger import LedgerEntry
from service.fakes.shopify.app import create_fake_shopify_app
from service.fakes.shopify.config import FakeShopifyConfig, FaultConfig, WebhookConfig
from service.fakes.shopify.server import (
    RunningFakeShopify,
    run_fake_shopify_forever,
    serve_fake_shopify,
)
from service.fakes.shopify.shop import FakeShopify
from service.fakes.shopify.transport import fake_shopify_transport
from service.fakes.shopify.webhook_sender import sign

__all__ = [
    "FakeShopify",
    "FakeShopifyConfig",
    "FaultConfig",
    "LedgerEntry",
    "RunningFakeShopify",
    "WebhookConfig",
    "create_fake_shopify_app",
    "fake_shopify_transport",
    "run_fake_shopify_forever",
    "serve_fake_shopify",
    "sign",
]
