"""Configuration of the fake Shopify: shop, tokens, versions, cost bucket, web hooks, faults."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr

from service.fakes.common.faults import BaseFaultConfig

# Quarterly releases the fake serves (FACTS.md: 2025-01 ... 2026-07 are current).
SUPPORTED_VERSIONS = ("2025-01", "2025-04", "2025-07", "2025-10", "2026-01", "2026-04", "2026-07")

# Every access scope the fake knows; a token without a scope is refused the fields that need it.
ALL_SCOPES = (
    "read_locations",
    "read_products",
    "read_inventory",
    "write_inventory",
    "read_orders",
    "write_orders",
    "read_merchant_managed_fulfillment_orders",
    "write_merchant_managed_fulfillment_orders",
    "read_gift_cards",
    "write_gift_cards",
    "read_gift_card_transactions",
)


class FaultConfig(BaseFaultConfig):
    """Deterministic fault injection on the Admin API; decisions come from random.Random(seed)."""

    throttled_rate: float = Field(
        default=0.0, ge=0, le=1, description="Share answered THROTTLED whatever the bucket holds."
    )
    mutations_only: bool = Field(default=False, description="Only mutation requests get faults.")
    operation_contains: str | None = Field(
        default=None,
        description="Only requests whose query text contains this (e.g. a mutation name).",
    )


class WebhookConfig(BaseModel):
    """How the fake delivers web hooks."""

    model_config = ConfigDict(extra="forbid")

    secret: SecretStr = Field(
        default=SecretStr("fake-shopify-app-secret"), description="The app's client secret."
    )
    api_version: str = Field(default="2026-04", description="Version payloads are serialized in.")
    timeout_s: float = Field(default=5.0, gt=0, description="A delivery slower than this failed.")
    # 8 retries spread over 4 hours (FACTS.md §2.3; the exact intervals are unknown).
    retry_schedule_s: list[float] = Field(
        default_factory=lambda: [10.0, 30.0, 60.0, 300.0, 900.0, 1800.0, 3600.0, 7700.0]
    )
    remove_after_failures: int = Field(
        default=8,
        ge=1,
        description="Consecutive failed deliveries that delete an API subscription.",
    )
    poll_interval_s: float = Field(
        default=0.05, gt=0, description="How often the background sender looks for due deliveries."
    )
    insecure_hosts: list[str] = Field(
        default_factory=lambda: ["127.0.0.1", "localhost", "::1"],
        description="Hosts that may be called over plain http (Shopify itself requires https).",
    )
    drop_rate: float = Field(default=0.0, ge=0, le=1, description="Share of events never sent.")
    duplicate_rate: float = Field(
        default=0.0, ge=0, le=1, description="Share of deliveries sent twice (same ids)."
    )
    max_delay_s: float = Field(
        default=0.0, ge=0, description="Each delivery is held back U(0, max) seconds (reorders)."
    )
    seed: int = 0


class FakeShopifyConfig(BaseModel):
    """Everything that shapes one fake shop."""

    model_config = ConfigDict(extra="forbid")

    shop_domain: str = Field(default="sitoo-sync-dev.myshopify.com")
    shop_name: str = Field(default="Sitoo Sync Dev")
    currency: str = Field(default="SEK", min_length=3, max_length=3)
    access_tokens: dict[str, SecretStr] = Field(
        default_factory=lambda: {"main": SecretStr("shpat_fake_access_token")},
        description="App name -> Admin API access token; every token has its own cost bucket.",
    )
    token_scopes: dict[str, list[str]] = Field(
        default_factory=dict,
        description="App name -> granted scopes; an app not listed has every scope.",
    )
    versions: list[str] = Field(default_factory=lambda: list(SUPPORTED_VERSIONS))
    bucket_size: float = Field(default=1000.0, gt=0, description="Points the bucket holds.")
    restore_rate: float = Field(default=100.0, gt=0, description="Points restored per second.")
    max_query_cost: float = Field(
        default=1000.0, gt=0, description="A single query asking for more is refused."
    )
    throttle_status: Literal[200, 429] = Field(
        default=200, description="HTTP status of a THROTTLED answer (FACTS.md §10.1)."
    )
    seed: str = "demo"
    idempotency_retention_s: float = Field(default=24 * 3600.0, gt=0)
    webhooks: WebhookConfig = Field(default_factory=WebhookConfig)
    faults: FaultConfig = Field(default_factory=FaultConfig)
