"""The settings of the service's own HTTP listeners: ports, request limits, web-hook credentials."""

from __future__ import annotations

from pydantic import BaseModel, Field, SecretStr, model_validator


class HttpSettings(BaseModel):
    """The service's own HTTP listeners (Sitoo web hooks; health and metrics)."""

    host: str = Field(
        default="0.0.0.0",  # noqa: S104 - a container must listen on all interfaces
        description="Listen address.",
    )
    port: int = Field(
        default=8080,
        ge=1,
        le=65535,
        description="Listen port: the web hook, and /healthz, /readyz, /metrics unless OPS_PORT "
        "is set.",
    )
    ops_port: int | None = Field(
        default=None,
        ge=1,
        le=65535,
        description="A second port for /healthz, /readyz and /metrics; then PORT serves only "
        "the web hook, so publishing the web hook publishes nothing else.",
    )
    max_header_bytes: int = Field(
        default=16 * 1024,
        ge=1024,
        le=1024 * 1024,
        description="Largest request line plus headers; a larger request is answered 431 and "
        "its connection closed.",
    )
    header_timeout_s: float = Field(
        default=10.0,
        gt=0,
        description="Time a client has to send the request line and headers from when it "
        "connects (or starts its next request); then 408 and the connection is closed.",
    )
    body_timeout_s: float = Field(
        default=15.0,
        gt=0,
        description="Time a client has to send the whole body after the headers; then the "
        "connection is closed.",
    )
    keep_alive_s: float = Field(
        default=5.0, gt=0, description="An idle kept-alive connection is closed after this."
    )
    max_connections: int = Field(
        default=100,
        ge=1,
        description="Open connections per port; requests beyond it are answered 503 at once.",
    )
    webhook_username: str = Field(
        default="sitoo", description="Basic-auth user Sitoo's web hooks must present."
    )
    webhook_password: SecretStr | None = Field(
        default=None, description="Basic-auth password Sitoo's web hooks must present."
    )
    webhook_path: str = Field(
        default="/sitoo/events", pattern=r"^/", description="Where Sitoo's Events SPI posts."
    )
    webhook_deadline_s: float = Field(
        default=10.0,
        gt=0,
        lt=15,
        description="Bound on answering a web-hook batch; Sitoo re-queues it after 15 s.",
    )
    webhook_dedupe_days: float = Field(
        default=7.0,
        gt=0,
        description="How long a received Sitoo event_id is remembered to drop replays.",
    )
    shutdown_grace_s: float = Field(
        default=30.0,
        gt=0,
        description="On SIGTERM: how long open HTTP requests, and then in-flight events, may "
        "finish before they are cancelled (cancelled events stay pending for another replica).",
    )

    @model_validator(mode="after")
    def _ports_differ(self) -> HttpSettings:
        if self.ops_port == self.port:
            raise ValueError(
                "SITOO_SYNC_HTTP__OPS_PORT must differ from SITOO_SYNC_HTTP__PORT "
                f"({self.port}); unset it to serve everything on one port"
            )
        return self
