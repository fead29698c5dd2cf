"""Configuration of the fake WooCommerce: site, API keys, web hooks, faults."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr

from service.fakes.common.faults import BaseFaultConfig

Permissions = Literal["read", "write", "read_write"]


class ApiKey(BaseModel):
    """One REST API key (WooCommerce → Settings → Advanced → REST API)."""

    model_config = ConfigDict(extra="forbid")

    consumer_key: SecretStr
    consumer_secret: SecretStr
    permissions: Permissions = "read_write"


class FaultConfig(BaseFaultConfig):
    """Faults on the REST API (hosts and WAFs in front of a store answer 429/503 too)."""

    writes_only: bool = Field(default=False, description="Only POST/PUT/DELETE get faults.")
    path_contains: str | None = Field(
        default=None, description="Only requests whose route contains this (e.g. /batch)."
    )
    retry_after_s: float | None = Field(
        default=1.0, ge=0, description="Retry-After sent with an injected 429 or 503."
    )


class WebhookConfig(BaseModel):
    """How the fake queues and delivers web hooks (FACTS.md §2)."""

    model_config = ConfigDict(extra="forbid")

    queue_delay_s: float = Field(
        default=2.0,
        ge=0,
        description="How long a queued delivery waits for WP-Cron / Action Scheduler; changes "
        "to the same resource meanwhile merge into it (the body is built when it is sent).",
    )
    timeout_s: float = Field(default=60.0, gt=0, description="A slower receiver has failed.")
    max_failures: int = Field(
        default=5,
        ge=0,
        description="woocommerce_max_webhook_delivery_failures: a failure while the count is "
        "already above this disables the hook (the 7th consecutive failure with 5).",
    )
    poll_interval_s: float = Field(
        default=0.05, gt=0, description="How often the background sender looks for due deliveries."
    )
    drop_rate: float = Field(
        default=0.0, ge=0, le=1, description="Share of queued deliveries that are never sent."
    )
    duplicate_rate: float = Field(
        default=0.0, ge=0, le=1, description="Share of deliveries queued twice (sent twice)."
    )
    max_delay_s: float = Field(
        default=0.0, ge=0, description="Each delivery is held back a further U(0, max) seconds."
    )
    seed: int = 0


class FakeWooCommerceConfig(BaseModel):
    """Everything that shapes one fake store."""

    model_config = ConfigDict(extra="forbid")

    home_url: str = Field(
        default="https://shop.example.com/",
        description="home_url('/'): sent as X-WC-Webhook-Source and used in links.",
    )
    currency: str = Field(default="SEK", min_length=3, max_length=3)
    utc_offset_minutes: int = Field(
        default=60, ge=-720, le=840, description="The site's time zone (local date_* fields)."
    )
    api_keys: dict[str, ApiKey] = Field(
        default_factory=lambda: {
            "main": ApiKey(
                consumer_key=SecretStr("ck_fake_consumer_key_0000000000000000000000"),
                consumer_secret=SecretStr("cs_fake_consumer_secret_00000000000000000000"),
            )
        },
        description="Key name -> consumer key, secret and permissions.",
    )
    assume_https: bool = Field(
        default=True,
        description="Treat plain-http requests as HTTPS (as behind a TLS-terminating proxy); "
        "False: Basic and query-string keys are only read over https or with "
        "X-Forwarded-Proto: https, as WordPress's is_ssl() decides.",
    )
    manage_stock: bool = Field(
        default=True, description="The site option woocommerce_manage_stock ('yes')."
    )
    batch_limit: int = Field(
        default=100, ge=1, description="woocommerce_rest_batch_items_limit: items per batch."
    )
    wc_version: str = "9.9.0"
    wp_version: str = "6.8.1"
    seed: str = "demo"
    webhooks: WebhookConfig = Field(default_factory=WebhookConfig)
    faults: FaultConfig = Field(default_factory=FaultConfig)
