"""Rules that tie settings of different groups together, checked when the settings are read."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from service.settings import Settings

_PREFIX = "SITOO_SYNC_"


def lease_outruns_write(settings: Settings) -> str | None:
    """Why a write's claim could run out before the write is done, or None when it cannot.

    A claim is not renewed: it must outlast the wait for replicas and the whole call, or
    another replica takes the claim over mid-write and, not finding the write yet, makes
    it a second time.
    """
    lease_s = settings.idempotency.lease_s
    deadline_s = settings.sitoo.call_deadline_s
    waits = settings.redis.claim_replicas or settings.redis.claim_fsync
    wait_s = settings.redis.claim_replica_timeout_s if waits else 0.0
    if lease_s > deadline_s + wait_s:
        return None
    waited = f" plus {_PREFIX}REDIS__CLAIM_REPLICA_TIMEOUT_S ({wait_s:g}s)" if wait_s else ""
    return (
        f"{_PREFIX}IDEMPOTENCY__LEASE_S ({lease_s:g}s) must exceed "
        f"{_PREFIX}SITOO__CALL_DEADLINE_S ({deadline_s:g}s){waited}: a claim that runs out "
        "mid-write lets a takeover write again"
    )
