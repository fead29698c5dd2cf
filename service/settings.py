"""Typed configuration read from SITOO_SYNC_* variables, a .env file and /run/secrets."""

from __future__ import annotations

import socket
from pathlib import Path
from typing import Literal

from pydantic import (
    AnyHttpUrl,
    BaseModel,
    Field,
    SecretStr,
    ValidationError,
    model_validator,
)
from pydantic_settings import (
    BaseSettings,
    NestedSecretsSettingsSource,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    SettingsError,
)

from service.http_settings import HttpSettings
from service.records.streams import stream_names
from service.settings_checks import (
    env_name,
    our_variables,
    unknown_setting,
    unparsable_variable,
)
from service.settings_redis import RedisSettings
from service.settings_rules import lease_outruns_write
from service.settings_sandbox import SandboxSettings
from service.settings_shopify import ShopifySettings
from service.settings_woocommerce import WooCommerceSettings

ENV_PREFIX = "SITOO_SYNC_"
ENV_NESTED_DELIMITER = "__"
SECRETS_DIR = Path("/run/secrets")


class SitooCredential(BaseModel):
    """One Sitoo API user; each has its own one-request-in-flight budget."""

    api_id: str = Field(min_length=1)
    api_password: SecretStr


class SitooSettings(BaseModel):
    """Where and how to reach the Sitoo REST API."""

    base_url: AnyHttpUrl | None = Field(
        default=None,
        description="Whole base URL including the account, e.g. "
        "https://api.mysitoo.com/v2/accounts/12345. Unset: the built-in sandbox is started.",
    )
    api_id: str | None = Field(default=None, description="API ID (username) of the API user.")
    api_password: SecretStr | None = Field(default=None, description="API password.")
    extra_credentials: list[SitooCredential] = Field(
        default_factory=list,
        description="More API users of the same account, used as a pool (JSON list of "
        '{"api_id": ..., "api_password": ...}).',
    )
    interactive_credentials: list[SitooCredential] = Field(
        default_factory=list,
        description="API users reserved for interactive calls (gift cards at a checkout), "
        "JSON like EXTRA_CREDENTIALS: stock, orders and polling never use them, so a "
        "checkout never waits behind a bulk request.",
    )
    site_id: int = Field(default=1, ge=1, description="The site's integer eshopid.")
    connect_timeout_s: float = Field(default=5.0, gt=0, description="TCP/TLS connect timeout.")
    read_timeout_s: float = Field(default=20.0, gt=0, description="Timeout waiting for bytes.")
    call_deadline_s: float = Field(
        default=60.0, gt=0, description="Total deadline for one call, retries included."
    )
    max_in_flight: int = Field(
        default=1, ge=1, description="Requests in flight per API user, across all replicas."
    )
    max_requests_per_s: float | None = Field(
        default=None, gt=0, description="Optional cap on requests per second per API user."
    )
    page_size: int = Field(default=1000, ge=1, le=1000, description="Items per list page.")

    @model_validator(mode="after")
    def _credentials_come_in_pairs(self) -> SitooSettings:
        given = [self.base_url is not None, self.api_id is not None, self.api_password is not None]
        if any(given) and not all(given):
            missing = [
                name
                for name, present in zip(("BASE_URL", "API_ID", "API_PASSWORD"), given, strict=True)
                if not present
            ]
            raise ValueError(
                "base_url, api_id and api_password go together; missing "
                + ", ".join(f"{ENV_PREFIX}SITOO__{m}" for m in missing)
            )
        return self

    @model_validator(mode="after")
    def _api_users_differ(self) -> SitooSettings:
        names = [credential.api_id for credential in self.credentials()]
        twice = sorted({name for name in names if names.count(name) > 1})
        if twice:
            # Two budgets for one API user would let two requests in flight: Sitoo's 429.
            raise ValueError(
                f"API user(s) {', '.join(twice)} configured more than once across "
                f"{ENV_PREFIX}SITOO__API_ID, __EXTRA_CREDENTIALS and __INTERACTIVE_CREDENTIALS"
            )
        return self

    @property
    def uses_sandbox(self) -> bool:
        """True when no real Sitoo is configured and the built-in sandbox stands in."""
        return self.base_url is None

    def credentials(self) -> list[SitooCredential]:
        """The configured API users: primary, the extra pool, then the interactive-only ones."""
        shared = list(self.extra_credentials)
        if self.api_id is not None and self.api_password is not None:
            shared.insert(0, SitooCredential(api_id=self.api_id, api_password=self.api_password))
        return [*shared, *self.interactive_credentials]


class StreamSettings(BaseModel):
    """Stream and consumer-group names; the public interface towards the webshop."""

    orders: str = Field(default="webshop.orders", description="Inbound order events.")
    giftcards: str = Field(default="webshop.giftcards", description="Inbound gift-card events.")
    stock: str = Field(default="webshop.stock", description="Inbound stock events.")
    giftcard_requests: str = Field(
        default="webshop.giftcard-requests",
        description="Gift-card balance/redeem requests answered on their reply_to list.",
    )
    results: str = Field(
        default="sitoo-sync.results", description="One result event per inbound event."
    )
    outbound: str = Field(default="sitoo.events", description="Changes seen in Sitoo.")
    sitoo_webhooks: str = Field(
        default="sitoo.webhooks",
        description="Sitoo Events SPI events as received, one entry per event.",
    )
    dead_letter_suffix: str = Field(
        default=".dlq", description="Appended to a stream's name for its dead letters."
    )
    group: str = Field(default="sitoo-sync", description="Consumer group shared by replicas.")
    consumer: str = Field(
        default_factory=socket.gethostname,
        description="Consumer name; unique per replica (defaults to the host name).",
    )
    max_deliveries: int = Field(
        default=5, ge=1, description="Deliveries of a failing entry before it is dead-lettered."
    )
    reclaim_idle_ms: int = Field(
        default=180_000,
        ge=1000,
        description="Idle time before a pending entry is taken over; above the worst-case "
        "handler time.",
    )
    max_entry_bytes: int = Field(
        default=256 * 1024, ge=1024, description="Larger inbound entries are dead-lettered."
    )
    max_future_skew_s: float = Field(
        default=300.0,
        ge=0,
        description="How far ahead of this replica's clock an inbound timestamp may be; "
        "events dated further ahead are dead-lettered (a far-future stock.set would "
        "otherwise win over every later one).",
    )
    remove_idle_consumers_s: float = Field(
        default=3600.0,
        ge=1,
        description="Consumers of our groups idle this long with nothing pending are removed "
        "(those of pods gone in a rollout); checked and removed atomically, never this "
        "replica's own.",
    )


ConsumedChannel = Literal["orders", "giftcards", "giftcard_requests", "stock"]


class ConsumerSettings(BaseModel):
    """How the consumers turn webshop events into Sitoo calls."""

    pickup_reservation_hours: float = Field(
        default=72.0, gt=0, description="Click-and-collect stock is reserved for this long."
    )
    directory_cache_s: float = Field(
        default=300.0, ge=0, description="How long Sitoo's stores and warehouses are cached."
    )
    reply_ttl_s: int = Field(
        default=60, ge=1, description="A gift-card reply list expires after this if unread."
    )
    stock_batch_size: int = Field(
        default=1000, ge=1, le=1000, description="Stock entries read (and coalesced) at once."
    )
    channels: list[ConsumedChannel] = Field(
        default=["orders", "giftcards", "giftcard_requests", "stock"],
        description="Inbound streams this replica consumes, as a JSON list; e.g. "
        '`["giftcard_requests", "giftcards", "orders"]` for checkout replicas that never wait '
        "behind stock batches, `[]` for a replica that only polls and takes web hooks.",
    )


class PollerSettings(BaseModel):
    """How often and how much the Sitoo pollers read."""

    enabled: bool = Field(default=True, description="Run the pollers in this replica.")
    stock_interval_s: float = Field(default=30.0, gt=0, description="Stock poll period.")
    orders_interval_s: float = Field(default=15.0, gt=0, description="Order poll period.")
    giftcards_interval_s: float = Field(
        default=300.0, gt=0, description="Re-read period of tracked gift cards."
    )
    full_snapshot_interval_s: float = Field(
        default=3600.0, gt=0, description="Period of full stock snapshots (catch reservations)."
    )
    modified_margin_s: int = Field(
        default=120, ge=0, description="Safety margin subtracted from modified-since cursors."
    )
    lease_ttl_s: float = Field(
        default=30.0, gt=1, description="Leader lease; another replica takes over after it."
    )
    orders_max_pages: int = Field(
        default=5, ge=1, description="Pages of new orders read per order poll cycle at most."
    )
    orders_start_id: int | None = Field(
        default=None,
        ge=1,
        description="Order id the order poller starts from when it has no cursor yet; unset: "
        "after the newest order at that moment, so history is not replayed (backfill it with "
        "`sitoo-sync resync orders --since`).",
    )
    open_orders_batch: int = Field(
        default=100,
        ge=1,
        description="Open click-and-collect orders re-read per order poll cycle at most.",
    )
    giftcards_per_cycle: int = Field(
        default=1000, ge=1, description="Tracked gift cards re-read per gift-card poll cycle."
    )
    published_marker_days: float = Field(
        default=60.0,
        gt=0,
        description="How long 'already published' markers of order lifecycle events are kept.",
    )


class IdempotencySettings(BaseModel):
    """How long write outcomes are remembered and how long a claim is held."""

    retention_days: float = Field(
        default=30.0, gt=0, description="How long a completed write's result is remembered."
    )
    lease_s: float = Field(
        default=120.0, gt=1, description="Claim lease; a crashed claimant's claim expires after it."
    )


class LogSettings(BaseModel):
    """Log level and format."""

    level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = Field(
        default="INFO", description="Minimum level logged."
    )
    format: Literal["auto", "json", "console"] = Field(
        default="auto", description="auto: JSON lines unless stdout is a terminal."
    )

    @property
    def json_output(self) -> bool | None:
        """True/False when forced, None to decide by the terminal."""
        return None if self.format == "auto" else self.format == "json"


class TracingSettings(BaseModel):
    """OpenTelemetry tracing of consume → Sitoo calls → publish; off unless enabled."""

    enabled: bool = Field(default=False, description="Export traces over OTLP/HTTP.")
    otlp_endpoint: AnyHttpUrl | None = Field(
        default=None,
        description="OTLP/HTTP traces endpoint, e.g. http://collector:4318/v1/traces; unset: "
        "the exporter's standard OTEL_EXPORTER_OTLP_* variables decide.",
    )
    service_name: str = Field(default="sitoo-sync", description="service.name of the spans.")
    sample_ratio: float = Field(
        default=1.0, ge=0, le=1, description="Share of traces started here that are kept."
    )


class Settings(BaseSettings):
    """All configuration of sitoo-sync."""

    model_config = SettingsConfigDict(
        env_prefix=ENV_PREFIX,
        env_nested_delimiter=ENV_NESTED_DELIMITER,
        env_file=".env",
        env_file_encoding="utf-8",
        secrets_dir=SECRETS_DIR,
        secrets_nested_delimiter=ENV_NESTED_DELIMITER,
        secrets_dir_missing="ok",
        extra="ignore",
        frozen=True,
    )

    sitoo: SitooSettings = SitooSettings()
    redis: RedisSettings = RedisSettings()
    streams: StreamSettings = StreamSettings()
    consumers: ConsumerSettings = ConsumerSettings()
    pollers: PollerSettings = PollerSettings()
    http: HttpSettings = HttpSettings()
    idempotency: IdempotencySettings = IdempotencySettings()
    log: LogSettings = LogSettings()
    tracing: TracingSettings = TracingSettings()
    sandbox: SandboxSettings = SandboxSettings()
    shopify: ShopifySettings = ShopifySettings()
    woocommerce: WooCommerceSettings = WooCommerceSettings()

    @model_validator(mode="after")
    def _rules_across_groups(self) -> Settings:
        stream_names(self)  # raises naming the setting
        for rule in (lease_outruns_write,):
            if (problem := rule(self)) is not None:
                raise ValueError(problem)
        return self

    def secret_values(self) -> list[str]:
        """Every configured secret in clear, for the log redactor to mask."""
        candidates = [
            self.sitoo.api_password,
            self.redis.url,
            self.http.webhook_password,
            self.shopify.access_token,
            self.shopify.webhook_secret,
            *self.woocommerce.secrets(),
            *(credential.api_password for credential in self.sitoo.credentials()),
        ]
        return [c.get_secret_value() for c in candidates if c is not None]

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        # Files in /run/secrets are named like the variables, so nested secrets
        # (SITOO_SYNC_SITOO__API_PASSWORD) work the same way in both places.
        return (
            init_settings,
            env_settings,
            dotenv_settings,
            NestedSecretsSettingsSource(file_secret_settings),
        )


class ConfigurationError(Exception):
    """Configuration is invalid; the message is one line naming the setting."""


def load_settings(**overrides: object) -> Settings:
    """Read the settings; any problem is one :class:`ConfigurationError` naming the variable:
    a bad value, JSON that does not parse, a name of a group that is no setting (a typo)."""
    variables = our_variables(ENV_PREFIX)
    unknown = unknown_setting(variables, Settings, prefix=ENV_PREFIX, delimiter="__")
    if unknown is not None:
        raise ConfigurationError(f"{unknown}: no such setting (docs/configuration.md lists all)")
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        first = exc.errors(include_url=False, include_input=False)[0]
        message = str(first["msg"]).removeprefix("Value error, ")
        name = env_name(first["loc"], prefix=ENV_PREFIX, delimiter=ENV_NESTED_DELIMITER)
        where = f"{name}: " if first["loc"] else ""  # rules across groups name their own
        raise ConfigurationError(f"{where}{message}") from None
    except SettingsError as exc:
        problem = unparsable_variable(str(exc), variables, prefix=ENV_PREFIX, delimiter="__")
        raise ConfigurationError(problem) from None
