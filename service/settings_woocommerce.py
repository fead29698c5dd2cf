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
