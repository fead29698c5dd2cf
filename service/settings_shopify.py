"""The optional Shopify group of the settings (SITOO_SYNC_SHOPIFY__*): unset, the adapter is off."""

from __future__ import annotations

from typing import Literal

from pydantic import (
    AnyHttpUrl,
    BaseModel,
    ConfigDict,
    Field,
    SecretStr,
    field_validator,
    model_validator,
)

_PREFIX = "SITOO_SYNC_SHOPIFY__"  # settings.ENV_PREFIX + "SHOPIFY" + the nested delimiter


_GID_LOCATION = "gid://shopify/Location/"


class LocationMapping(BaseModel):
    """Where one Shopify location's orders and stock live in Sitoo, and who masters its stock."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    store_id: int | None = Field(
        default=None, ge=1, description="The Sitoo store customers collect pick-up orders in."
    )
    warehouse_id: int = Field(ge=1, description="The Sitoo warehouse holding the location's stock.")
    stock_master: Literal["sitoo", "shopify"] = Field(
        description="The one side whose stock counts are copied to the other."
    )


class ShopifySettings(BaseModel):
    """The Shopify shop the adapter talks to; everything unset means the adapter is off."""

    shop_domain: str | None = Field(
        default=None,
        pattern=r"^[a-z0-9][a-z0-9-]*\.myshopify\.com$",
        description="The shop's permanent domain, e.g. example.myshopify.com.",
    )
    admin_url: AnyHttpUrl | None = Field(
        default=None,
        description="Base URL of the Admin API instead of https://SHOP_DOMAIN, e.g. "
        "http://127.0.0.1:8901 for `sitoo-sync fake-shopify`; /admin/api/VERSION/graphql.json "
        "is appended.",
    )
    access_token: SecretStr | None = Field(
        default=None, description="The app's Admin API access token (X-Shopify-Access-Token)."
    )
    api_version: str = Field(
        default="2026-04",
        pattern=r"^\d{4}-(01|04|07|10)$",
        description="Admin API version; 2026-04 and later get changeFromQuantity and "
        "@idempotent inventory writes.",
    )
    webhook_secret: SecretStr | None = Field(
        default=None, description="The app's client secret, which signs Shopify's web hooks."
    )
    connect_timeout_s: float = Field(default=5.0, gt=0, description="TCP/TLS connect timeout.")
    read_timeout_s: float = Field(default=20.0, gt=0, description="Timeout waiting for bytes.")
    call_deadline_s: float = Field(
        default=60.0, gt=0, description="Total deadline for one call, retries included."
    )
    inventory_batch_size: int = Field(
        default=250,
        ge=1,
        le=250,
        description="Quantities per inventorySetQuantities call (Shopify caps inputs at 250).",
    )

    webhook_stream: str = Field(
        default="shopify.webhooks",
        description="Stream the web-hook deliveries are stored in before they are translated.",
    )
    locations: dict[str, LocationMapping] = Field(
        default_factory=dict,
        description="Shopify location id (numeric or gid) -> Sitoo store, warehouse and stock "
        'master, as JSON; e.g. {"70000000001": {"store_id": 1, "warehouse_id": 1, '
        '"stock_master": "sitoo"}}.',
    )
    vat_rate: float = Field(
        default=25.0,
        ge=0,
        le=100,
        description="VAT rate (percent) of order lines and shipping; prices include it.",
    )
    reconcile_interval_s: float = Field(
        default=300.0,
        gt=0,
        description="How often the reconciliation poller reads orders changed since its cursor.",
    )
    levels_interval_s: float = Field(
        default=3600.0,
        gt=0,
        description="How often every level of the Shopify-mastered locations is read, in case "
        "an inventory_levels/update web hook was lost.",
    )
    reconcile_margin_s: float = Field(
        default=120.0,
        ge=0,
        description="Overlap of each reconciliation read with the one before (clock skew).",
    )
    reconcile_start_s: float = Field(
        default=86_400.0,
        gt=0,
        description="How far back the reconciliation poller starts when it has no cursor.",
    )
    store_cancellation: Literal["cancel", "tag", "ignore"] = Field(
        default="tag",
        description="What an order cancelled in a Sitoo store does to the Shopify order: "
        "cancel it (restocked, not refunded), tag it sitoo-cancelled-in-store, or ignore it.",
    )

    mirror_giftcards: bool = Field(
        default=False,
        description="Mirror each tracked Sitoo gift card as a Shopify gift card (its number "
        "as the code) whose balance follows Sitoo's; needs the gift-card scopes.",
    )

    @field_validator("locations", mode="before")
    @classmethod
    def _location_ids(cls, value: object) -> object:
        if not isinstance(value, dict):
            return value
        normalised: dict[str, object] = {}
        for key, mapping in value.items():
            text = str(key).removeprefix(_GID_LOCATION)
            if not text.isdigit():
                raise ValueError(f"location id {key!r} is not a Shopify location id")
            normalised[text] = mapping
        return normalised

    @model_validator(mode="after")
    def _complete_when_enabled(self) -> ShopifySettings:
        if not self.enabled:
            return self
        missing = []
        if self.shop_domain is None and self.admin_url is None:
            missing.append("SHOP_DOMAIN (or ADMIN_URL)")
        if self.access_token is None:
            missing.append("ACCESS_TOKEN")
        if self.webhook_secret is None:
            missing.append("WEBHOOK_SECRET")
        if missing:
            raise ValueError(
                "the Shopify adapter needs " + ", ".join(f"{_PREFIX}{m}" for m in missing)
            )
        return self

    @property
    def enabled(self) -> bool:
        """True when any connection setting is given (the adapter then needs all of them)."""
        return any(
            value is not None
            for value in (self.shop_domain, self.admin_url, self.access_token, self.webhook_secret)
        )

    def location(self, location_id: str | int) -> LocationMapping | None:
        """The mapping of a location given by numeric id or gid (None: not mapped)."""
        return self.locations.get(str(location_id).removeprefix(_GID_LOCATION))

    @property
    def graphql_url(self) -> str:
        """The Admin GraphQL endpoint of the configured version."""
        if self.admin_url is not None:
            base = str(self.admin_url).rstrip("/")
        elif self.shop_domain is not None:
            base = f"https://{self.shop_domain}"
        else:
            raise ValueError(f"no Shopify shop: configure {_PREFIX}SHOP_DOMAIN")
        return f"{base}/admin/api/{self.api_version}/graphql.json"
