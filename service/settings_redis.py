"""The Redis group of the settings (SITOO_SYNC_REDIS__*): where the service keeps its records."""

from __future__ import annotations

from pydantic import BaseModel, Field, SecretStr, field_validator


class RedisSettings(BaseModel):
    """The Redis that holds the streams, the idempotency records and the leases."""

    url: SecretStr | None = Field(
        default=None,
        description="redis:// or rediss:// URL (may carry a password). Unset: an embedded "
        "Redis is started (development only).",
    )
    key_prefix: str = Field(
        default="sitoo-sync",
        min_length=1,
        description="Prefix of every key we own; a {hash tag} in it puts them in one slot.",
    )
    cluster: bool = Field(
        default=False,
        description="The URL names a node of a Redis Cluster; keys get the prefix as hash tag.",
    )
    max_connections: int = Field(
        default=100,
        ge=2,
        description="Connections to Redis per replica. A command finding them all busy waits "
        "for one (a burst of web hooks queues) instead of failing.",
    )
    pool_timeout_s: float = Field(
        default=2.0,
        gt=0,
        description="Seconds a command waits for a free connection before it counts as Redis "
        "unavailable (a web hook is answered 503, an event is retried). On a cluster the "
        "client does not wait: a node's connections beyond the limit fail at once.",
    )
    claim_replicas: int = Field(
        default=0,
        ge=0,
        description="Replicas that must hold a write's claim (Redis WAIT) before the Sitoo "
        "write is sent (else it is retried later); 0 does not wait. On a cluster: replicas of "
        "the master serving the deployment's slot.",
    )
    claim_replica_timeout_s: float = Field(default=1.0, gt=0, description="Seconds a claim waits.")
    claim_fsync: bool = Field(default=False, description="Also wait for AOF fsync (WAITAOF, 7.2+).")

    @field_validator("url")
    @classmethod
    def _url_scheme(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and not value.get_secret_value().startswith(
            ("redis://", "rediss://", "unix://")
        ):
            raise ValueError("must start with redis://, rediss:// or unix://")
        return value
