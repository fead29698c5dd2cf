"""Configuration of the built-in Sitoo sandbox and of the faults it injects."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr

ApplyThenFailMode = Literal["500", "drop", "stall"]


class FaultConfig(BaseModel):
    """Deterministic fault injection; every decision comes from random.Random(seed)."""

    model_config = ConfigDict(extra="forbid")

    seed: int = 0
    latency_ms: float = Field(default=0.0, ge=0, description="Fixed delay before handling.")
    jitter_ms: float = Field(default=0.0, ge=0, description="Extra uniform random delay.")
    error_before_rate: float = Field(
        default=0.0, ge=0, le=1, description="Share answered 500/503 before anything is applied."
    )
    error_before_statuses: list[int] = Field(default_factory=lambda: [500, 503])
    apply_then_fail_rate: float = Field(
        default=0.0, ge=0, le=1, description="Share applied and then failed in the chosen mode."
    )
    apply_then_fail_mode: ApplyThenFailMode = "500"
    stall_s: float = Field(default=30.0, ge=0, description="How long a stall withholds the answer.")
    extra_429_rate: float = Field(
        default=0.0, ge=0, le=1, description="Share answered 429 although nothing is in flight."
    )
    writes_only: bool = Field(default=False, description="Only POST, PUT and DELETE get faults.")
    path_contains: str | None = Field(
        default=None, description="Only requests whose path contains this text get faults."
    )


class SandboxConfig(BaseModel):
    """Everything that shapes one sandbox instance."""

    model_config = ConfigDict(extra="forbid")

    account_id: int = Field(default=90001, ge=1)
    site_id: int = Field(default=1, ge=1)
    credentials: dict[str, SecretStr] = Field(
        default_factory=lambda: {"sandbox": SecretStr("sandbox")},
        description="API id -> password; each API user has its own in-flight budget.",
    )
    without_admin_rights: list[str] = Field(
        default_factory=list,
        description="API users lacking Administrator rights: every call of theirs is a 403.",
    )
    max_in_flight: int = Field(default=1, ge=1)
    retry_after_s: float | None = Field(
        default=None, ge=0, description="When set, 429 answers carry this Retry-After."
    )
    seed: str = "demo"
    allowed_ips: list[str] | None = Field(
        default=None, description="Client IPs allowed to call the API; None allows everyone."
    )
    ip_denied_status: int = Field(default=401, description="Status for a client IP not allowed.")
    faults: FaultConfig = Field(default_factory=FaultConfig)
    currency: str = Field(default="SEK", min_length=3, max_length=3)
    reservation_bumps_modified: bool = Field(
        default=False,
        description="Reserving or releasing stock moves the item's datelastmodified.",
    )
    giftcard_validity_days: int = Field(default=3 * 365, ge=1)
    giftcard_get_requires_pin: bool = Field(
        default=False,
        description="Reading a PIN card needs ?pin= (a given PIN is checked either way).",
    )
    max_page_size: int | None = Field(
        default=None, ge=1, description="Larger num values are clamped; None means no cap."
    )
    strict: bool = Field(
        default=True,
        description="Refuse (400) requests the Sitoo description does not allow; when False "
        "they are served, and still recorded as violations.",
    )
