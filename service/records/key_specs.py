"""Every kind of Redis key the service owns: its pattern, type, owning module and retention.

:mod:`service.records.keys` builds the names from these patterns; the key table in
``docs/architecture.md`` is rendered from them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

PLACEHOLDER = re.compile(r"<([a-z_]+)>")


@dataclass(frozen=True, slots=True)
class KeySpec:
    """One kind of key: its pattern (``<base>`` plus placeholders), type, owner, retention."""

    name: str
    pattern: str
    type: str
    owner: str
    retention: str

    def parts(self) -> list[str]:
        """The placeholders after ``<base>``, in order."""
        return PLACEHOLDER.findall(self.pattern)[1:]


# Owners and retentions shared by several keys.
_IDEM = "service/records/operations.py"
_SETTLE = "service/brokers/redis/settlement.py"
_REPLY = "service/brokers/redis/replies.py"
_DEAD = "service/deadletters.py"
_STATE = "service/records/state.py"
_PUBLISH = "service/records/publishing.py"
_INTAKE = "service/webhooks/intake.py"
_LEASE = "service/pollers/lease.py"
_CURSOR = "service/pollers/cursors.py"
_RUNNER = "service/pollers/runner.py"
_TRACKING = "service/pollers/tracking.py"
_LIMITER = "service/sitoo/limiter.py"
_DEVSTACK = "service/devstack/snapshot.py"
_RETAINED = "`IDEMPOTENCY__RETENTION_DAYS` from the last write"
_QUEUED = "members leave when granted or their heartbeat lapses"

_WEBSHOP = "service/adapters/"
_MIRRORS = _WEBSHOP + "shopify/giftcard_mirrors.py"
_WRITTEN = "90 days (Shopify) or `IDEMPOTENCY__RETENTION_DAYS` (WooCommerce)"

KEY_SPECS: tuple[KeySpec, ...] = (
    KeySpec("operation", "<base>:idem:<op_key>", "hash", _IDEM, _RETAINED),
    KeySpec("settled_event", "<base>:settled:<event_id>", "hash", _SETTLE, _RETAINED),
    KeySpec(
        "settled_entry", "<base>:settled:entry:<stream>/<entry_id>", "hash", _SETTLE, _RETAINED
    ),
    KeySpec("replied", "<base>:replied:<digest>", "string", _REPLY, _RETAINED),
    KeySpec(
        "dead_lettered", "<base>:dead-lettered:<stream>:<entry_id>", "string", _DEAD, _RETAINED
    ),
    KeySpec("order_cancelled", "<base>:order-cancelled:<order_id>", "string", _STATE, _RETAINED),
    KeySpec("card_currency", "<base>:card-currency:<card_number>", "string", _STATE, _RETAINED),
    KeySpec("redemption", "<base>:redemption:<redeem_event_id>", "hash", _STATE, _RETAINED),
    KeySpec(
        "redemptions_of_order", "<base>:redemptions-of-order:<order_id>", "set", _STATE, _RETAINED
    ),
    KeySpec(
        "redemption_void", "<base>:redemption-void:<redeem_event_id>", "string", _STATE, _RETAINED
    ),
    KeySpec("stock_level", "<base>:stock-level:<warehouseid>:<sku>", "hash", _STATE, _RETAINED),
    KeySpec(
        "published",
        "<base>:published:<event_id>",
        "string",
        _PUBLISH,
        "`POLLERS__PUBLISHED_MARKER_DAYS`",
    ),
    KeySpec(
        "published_state",
        "<base>:last:<family>",
        "hash",
        _PUBLISH,
        "none (one field per warehouse or card)",
    ),
    KeySpec(
        "sitoo_event",
        "<base>:sitoo-event:<event_id>",
        "string",
        _INTAKE,
        "`HTTP__WEBHOOK_DEDUPE_DAYS`",
    ),
    KeySpec(
        "lease",
        "<base>:lease:<name>",
        "string",
        _LEASE,
        "`POLLERS__LEASE_TTL_S`, renewed by the holder",
    ),
    KeySpec(
        "lease_fence",
        "<base>:lease:<name>:fence",
        "string (counter)",
        _LEASE,
        "none (fencing numbers never repeat)",
    ),
    KeySpec("cursor", "<base>:cursor:<name>", "string (JSON)", _CURSOR, "none"),
    KeySpec(
        "poller_status",
        "<base>:poller-status:<name>",
        "hash",
        _RUNNER,
        "7 days from the last cycle",
    ),
    KeySpec(
        "tracked_giftcards",
        "<base>:giftcards:tracked",
        "set",
        _TRACKING + ", service/records/state.py",
        "none (a card Sitoo no longer knows leaves)",
    ),
    KeySpec(
        "open_pickups", "<base>:pickups:open", "set", _TRACKING, "none (orders leave when finished)"
    ),
    KeySpec(
        "limiter_wait_interactive",
        "<base>:limiter:wait:interactive",
        "sorted set",
        _LIMITER,
        _QUEUED,
    ),
    KeySpec("limiter_wait_bulk", "<base>:limiter:wait:bulk", "sorted set", _LIMITER, _QUEUED),
    KeySpec("limiter_alive", "<base>:limiter:alive", "sorted set", _LIMITER, _QUEUED),
    KeySpec("limiter_counters", "<base>:limiter:counters", "hash", _LIMITER, "none (two counters)"),
    KeySpec(
        "limiter_arrivals",
        "<base>:limiter:arrival-grants",
        "hash",
        _LIMITER,
        "fields leave with their waiter",
    ),
    KeySpec(
        "limiter_granted",
        "<base>:limiter:granted",
        "hash",
        _LIMITER,
        "fields leave when the slot is released or its lease lapses",
    ),
    KeySpec(
        "limiter_slots",
        "<base>:limiter:slots:<credential>",
        "sorted set",
        _LIMITER,
        "members leave on release or when their lease lapses",
    ),
    KeySpec("limiter_next", "<base>:limiter:next:<credential>", "string", _LIMITER, "60 s"),
    KeySpec("limiter_wake", "<base>:limiter:wake:<token>", "list", _LIMITER, "60 s"),
    KeySpec(
        "devstack_generation",
        "<base>:devstack:generation",
        "string",
        _DEVSTACK,
        "none (`sitoo-sync run` only)",
    ),
    KeySpec(
        "webshop_delivery",
        "<base>:webshop-delivery:<webshop>:<delivery_id>",
        "string",
        _WEBSHOP + "common/intake.py",
        "`HTTP__WEBHOOK_DEDUPE_DAYS` (Shopify) or `IDEMPOTENCY__RETENTION_DAYS`",
    ),
    KeySpec(
        "webshop_emitted",
        "<base>:webshop-emitted:<event_id>",
        "string",
        _WEBSHOP + "common/emitting.py",
        _RETAINED,
    ),
    KeySpec(
        "webshop_written",
        "<base>:webshop-written:<webshop>:<what>",
        "hash",
        "service/records/steps.py",
        _WRITTEN,
    ),
    KeySpec(
        "webshop_level",
        "<base>:webshop-level:<webshop>:<place>",
        "hash",
        "service/records/levels.py",
        _WRITTEN,
    ),
    KeySpec(
        "webshop_snapshot_due",
        "<base>:webshop-snapshot-due:<webshop>",
        "string",
        _WEBSHOP + "common/outbound.py",
        "none (until the writer's first snapshot is applied)",
    ),
    KeySpec(
        "shopify_giftcard_mirror",
        "<base>:shopify-giftcard-mirror:<card_number>",
        "hash",
        _MIRRORS,
        "none (as long as the Shopify card it names)",
    ),
    KeySpec(
        "shopify_giftcard_mirrored",
        "<base>:shopify-giftcard-mirrored:<giftcard_id>",
        "string",
        _MIRRORS,
        "none (as long as the Shopify card it names)",
    ),
    KeySpec(
        "webshop_write_claim",
        "<base>:webshop-written:<webshop>:<what>:claim",
        "hash",
        _MIRRORS,
        "the lease's time (`STREAMS__RECLAIM_IDLE_MS`), or until let go",
    ),
)
