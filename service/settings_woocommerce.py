"""The optional WooCommerce group of the settings (SITOO_SYNC_WOOCOMMERCE__*): unset, it is off."""

from __future__ import annotations

from pydantic import AnyHttpUrl, BaseModel, Field, SecretStr, field_validator, model_validator

_PREFIX = "SITOO_SYNC_WOOCOMMERCE__"  # settings.ENV_PREFIX + "WOOCOMMERCE" + the nested delimiter
_LOOPBACK = frozenset({"127.0.0.1", "localhost", "::1", "[::1]"})


class WooCommerceSettings(BaseModel):
    """The WooCommerce store the adapter talks to; everything unset means the adapter is off."""

    url: AnyHttpUrl | None = Field(
        default=None,
        description="The store's address (home URL), e.g. https://shop.example.com; "
        "/wp-json/wc/v3 is appended. http:// only for loopback or with ALLOW_PLAIN_HTTP.",
    )
    consumer_key: SecretStr | None = Field(
        default=None, description="REST API consumer key (ck_...), sent with HTTP Basic auth."
    )
    consumer_secret: SecretStr | None = Field(
        default=None, description="REST API consumer secret (cs_...)."
    )
    webhook_secret: SecretStr | None = Field(
        default=None,
        description="The secret set on the store's web hooks (signs X-WC-Webhook-Signature).",
    )
    allow_plain_http: bool = Field(
        default=False,
        description="Allow an http:// URL other than loopback (the key then crosses the network "
        "in clear; WooCommerce itself refuses Basic auth without HTTPS).",
    )
    connect_timeout_s: float = Field(default=5.0, gt=0, description="TCP/TLS connect timeout.")
    read_timeout_s: float = Field(default=30.0, gt=0, description="Timeout waiting for bytes.")
    call_deadline_s: float = Field(
        default=90.0, gt=0, description="Total deadline for one call, retries included."
    )
    batch_size: int = Field(
        default=100,
        ge=1,
        le=100,
        description="Items per products batch request (WooCommerce accepts at most 100).",
    )

    webhook_stream: str = Field(
        default="woocommerce.webhooks",
        min_length=1,
        description="The stream WooCommerce's web-hook deliveries are stored in before they are "
        "translated (its dead letters: the same name plus the dead-letter suffix).",
    )
    pickup_locations: dict[str, str] = Field(
        default_factory=dict,
        description="Pick-up location name -> Sitoo store externalid, as JSON, e.g. "
        '{"Store Stockholm": "STORE-1"}. WooCommerce names a pick-up location only by its '
        "name: renaming it in WooCommerce needs the same change here.",
    )
    local_pickup_store: str | None = Field(
        default=None,
        description="Sitoo store externalid for the legacy local_pickup shipping method, which "
        "names no location (unset: such orders are dead-lettered with the reason).",
    )
    stock_warehouse_id: int | None = Field(
        default=None,
        ge=1,
        description="The Sitoo warehouse whose available stock is the shop's single stock "
        "figure (Sitoo is the stock master). Unset: no stock is written to WooCommerce.",
    )
    ready_status: str | None = Field(
        default=None,
        description="Order status set when the store marks a pick-up order ready (core has no "
        "pick-up statuses; a plugin's status slug, without wc-). Unset: only the note.",
    )
    ready_note: str = Field(
        default="Your order is ready for pickup.",
        min_length=1,
        description="The order note added when the store marks the order ready.",
    )
    picked_up_status: str | None = Field(
        default="completed",
        description="Order status set when the customer has picked the order up (empty: none).",
    )
    picked_up_note: str = Field(
        default="Picked up in the store.",
        min_length=1,
        description="The order note added when the order was picked up.",
    )
    notify_customer: bool = Field(
        default=True,
        description="Add the ready note as a customer note (WooCommerce e-mails the customer).",
    )
    poll_interval_s: float = Field(
        default=60.0, gt=0, description="How often the reconciliation poller reads changed orders."
    )
    poll_overlap_s: float = Field(
        default=300.0,
        ge=1,
        description="How far before its cursor each scan starts again: WooCommerce compares whole "
        "seconds, and an order saved while a scan runs must not be missed.",
    )
    start_lookback_s: float = Field(
        default=86_400.0,
        ge=0,
        description="On the very first scan, how far back orders modified are read.",
    )

    @field_validator("ready_status", "picked_up_status", "local_pickup_store")
    @classmethod
    def _empty_is_none(cls, value: str | None) -> str | None:
        return value.strip() or None if value is not None else None

    @field_validator("pickup_locations")
    @classmethod
    def _names_unique(cls, value: dict[str, str]) -> dict[str, str]:
        seen: set[str] = set()
        for name, store in value.items():
            key = name.strip().casefold()
            if not key or not store.strip():
                raise ValueError("a pick-up location name and its store must not be empty")
            if key in seen:
                raise ValueError(f"pick-up location {name!r} is listed twice (names ignore case)")
            seen.add(key)
        return value

    @field_validator("consumer_key")
    @classmethod
    def _key_prefix(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and not value.get_secret_value().startswith("ck_"):
            raise ValueError("a consumer key starts with ck_")
        return value

    @field_validator("consumer_secret")
    @classmethod
    def _secret_prefix(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and not value.get_secret_value().startswith("cs_"):
            raise ValueError("a consumer secret starts with cs_")
        return value

    @model_validator(mode="after")
    def _complete_when_enabled(self) -> WooCommerceSettings:
        if not self.enabled:
            return self
        missing = [
            name
            for name, value in (
                ("URL", self.url),
                ("CONSUMER_KEY", self.consumer_key),
                ("CONSUMER_SECRET", self.consumer_secret),
                ("WEBHOOK_SECRET", self.webhook_secret),
            )
            if value is None
        ]
        if missing:
            raise ValueError(
                "the WooCommerce adapter needs " + ", ".join(f"{_PREFIX}{m}" for m in missing)
            )
        url = self.url
        insecure = url is not None and url.scheme == "http" and url.host not in _LOOPBACK
        if insecure and not self.allow_plain_http:
            raise ValueError(
                f"{_PREFIX}URL must use https (the consumer key is sent with every request); "
                f"set {_PREFIX}ALLOW_PLAIN_HTTP=true to accept http"
            )
        return self

    def secrets(self) -> list[SecretStr | None]:
        """The group's secrets, for the log redactor."""
        return [self.consumer_key, self.consumer_secret, self.webhook_secret]

    @property
    def enabled(self) -> bool:
        """True when any connection setting is given (the adapter then needs all of them)."""
        return any(
            value is not None
            for value in (self.url, self.consumer_key, self.consumer_secret, self.webhook_secret)
        )

    @property
    def api_url(self) -> str:
        """The REST API base: ``{url}/wp-json/wc/v3``."""
        if self.url is None:
            raise ValueError(f"no WooCommerce store: configure {_PREFIX}URL")
        return str(self.url).rstrip("/") + "/wp-json/wc/v3"
