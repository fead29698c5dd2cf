"""Every Redis key and stream name the service owns, built from the deployment's key prefix.

One deployment (one merchant) owns every key that starts with its *base*, and the
streams named in its settings. The base is the configured ``SITOO_SYNC_REDIS__KEY_PREFIX``:

* **Untagged** (the default, ``sitoo-sync``, on a single Redis): keys are
  ``sitoo-sync:<kind>:…`` and streams keep their configured names, exactly as before this
  module existed, so an upgrade finds every record where it left it.
* **Tagged**: when the prefix carries a Redis Cluster hash tag (``{shop-a}``), or when
  ``SITOO_SYNC_REDIS__CLUSTER=true`` (the prefix is then wrapped: ``sitoo-sync`` becomes
  ``{sitoo-sync}``). Every key *and every stream* then hashes on the tag alone, so the
  whole deployment lives in one hash slot: each Lua script's keys are co-located, and
  deployments with different prefixes spread over the cluster's nodes. A stream whose
  configured name has no tag is put under the base (``{sitoo-sync}:webshop.orders``); one
  that carries the deployment's tag already is used as written.

Each :class:`KeySpec` below is the one definition of a key: the builders format it, the
key table in ``docs/architecture.md`` is checked against it, and a test hashes every one.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING

from redis.crc import key_slot

if TYPE_CHECKING:
    from service.settings import Settings

_PLACEHOLDER = re.compile(r"<([a-z_]+)>")


def hash_tag(key: str) -> str | None:
    """The part of ``key`` Redis Cluster hashes, when it is not the whole key.

    Redis' rule: the text between the first ``{`` and the first ``}`` after it, if that
    text is not empty.
    """
    start = key.find("{")
    if start < 0:
        return None
    end = key.find("}", start + 1)
    if end <= start + 1:
        return None
    return key[start + 1 : end]


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
        return _PLACEHOLDER.findall(self.pattern)[1:]


# Owners and retentions shared by several keys.
_IDEM = "service/idempotency.py"
_SETTLE = "service/consumers/settlement.py"
_REPLY = "service/consumers/results.py"
_DEAD = "service/deadletters.py"
_STATE = "service/consumers/state.py"
_PUBLISH = "service/publisher.py"
_INTAKE = "service/webhooks/intake.py"
_LEASE = "service/pollers/lease.py"
_CURSOR = "service/pollers/cursors.py"
_RUNNER = "service/pollers/runner.py"
_TRACKING = "service/pollers/tracking.py"
_LIMITER = "service/sitoo/limiter.py"
_DEVSTACK = "service/devstack/snapshot.py"
_RETAINED = "`IDEMPOTENCY__RETENTION_DAYS` from the last write"
_QUEUED = "members leave when granted or their heartbeat lapses"

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
        _TRACKING,
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
)


class _Template:
    """A key pattern with the base filled in: literal pieces around the remaining parts."""

    __slots__ = ("pieces",)

    def __init__(self, spec: KeySpec, base: str) -> None:
        text = spec.pattern.replace("<base>", base)
        self.pieces = _PLACEHOLDER.split(text)[::2]

    def format(self, *parts: str) -> str:
        pieces = self.pieces
        if len(parts) != len(pieces) - 1:
            raise ValueError(f"expected {len(pieces) - 1} parts, got {len(parts)}")
        out = [pieces[0]]
        for part, piece in zip(parts, pieces[1:], strict=True):
            out += (part, piece)
        return "".join(out)


class MisplacedStream(ValueError):
    """A configured stream name carries another hash tag than the deployment's."""


class DeploymentKeys:
    """The key builders of one deployment; ``base`` is what every owned key starts with."""

    def __init__(self, prefix: str, *, cluster: bool = False) -> None:
        if not prefix:
            raise ValueError("the key prefix must not be empty")
        if hash_tag(prefix) is None and cluster:
            prefix = "{" + prefix + "}"
        self.base = prefix
        self.tag = hash_tag(prefix)
        self._templates = {spec.name: _Template(spec, prefix) for spec in KEY_SPECS}
        # The builders on hot paths keep a fixed head ("<base>:idem:" …) to add to.
        self._operation_head = self._templates["operation"].pieces[0]
        self._settled_head = self._templates["settled_event"].pieces[0]

    @classmethod
    def from_settings(cls, settings: Settings) -> DeploymentKeys:
        """The keys of the configured deployment."""
        return cls(settings.redis.key_prefix, cluster=settings.redis.cluster)

    @property
    def tagged(self) -> bool:
        """True when every key of the deployment hashes to one slot."""
        return self.tag is not None

    def build(self, name: str, *parts: str) -> str:
        """The key of kind ``name`` (a :data:`KEY_SPECS` name) for ``parts``."""
        return self._templates[name].format(*parts)

    def stream(self, configured: str, *, setting: str = "stream") -> str:
        """The Redis key of a stream configured as ``configured``.

        Untagged deployments use the name as written; tagged ones put an untagged name
        under the base, and refuse one tagged for another slot.
        """
        if self.tag is None:
            return configured
        tag = hash_tag(configured)
        if tag == self.tag:
            return configured
        if tag is not None:
            raise MisplacedStream(
                f"{setting} {configured!r} carries the hash tag {{{tag}}}, but the "
                f"deployment's keys use {{{self.tag}}}"
            )
        return f"{self.base}:{configured}"

    @cached_property
    def slot(self) -> int:
        """The Redis Cluster hash slot of the deployment's keys (when tagged)."""
        return key_slot(self.base.encode())

    def in_slot(self, key: str) -> bool:
        """True when ``key`` (one not built here, e.g. a reply list) hashes to our slot."""
        return self.tagged and key_slot(key.encode()) == self.slot

    def owns(self, key: str) -> bool:
        """True when ``key`` is in the deployment's own namespace (not a stream)."""
        return key.startswith(self.base + ":")

    # Exactly-once records.
    def operation(self, op_key: str) -> str:
        """The claim and result of one Sitoo write operation."""
        return self._operation_head + op_key

    def settled_event(self, event_id: str) -> str:
        """The lease and final result of one inbound event."""
        return self._settled_head + event_id

    def settled_entry(self, stream: str, entry_id: str) -> str:
        """The final result of an entry that could not be read (no event id to trust)."""
        return self.build("settled_entry", stream, entry_id)

    def replied(self, digest: str) -> str:
        """Marks one request answered on one reply list."""
        return self.build("replied", digest)

    def dead_lettered(self, stream: str, entry_id: str) -> str:
        """Marks one inbound entry parked."""
        return self.build("dead_lettered", stream, entry_id)

    # Per-aggregate state of the use cases.
    def order_cancelled(self, order_id: str) -> str:
        """Tombstone of a cancelled webshop order."""
        return self.build("order_cancelled", order_id)

    def card_currency(self, card_number: str) -> str:
        """The currency a gift card was issued in."""
        return self.build("card_currency", card_number)

    def redemption(self, redeem_event_id: str) -> str:
        """One recorded redemption."""
        return self.build("redemption", redeem_event_id)

    def redemptions_of_order(self, order_id: str) -> str:
        """The redemptions made for one order."""
        return self.build("redemptions_of_order", order_id)

    def redemption_void(self, redeem_event_id: str) -> str:
        """Tombstone of a voided redeem."""
        return self.build("redemption_void", redeem_event_id)

    def stock_level(self, warehouseid: int, sku: str) -> str:
        """The newest absolute stock level applied for (warehouse, sku)."""
        return self.build("stock_level", str(warehouseid), sku)

    # Outbound publishing and the web-hook intake.
    def published(self, event_id: str) -> str:
        """Marks one outbound event published."""
        return self.build("published", event_id)

    def published_state(self, family: str) -> str:
        """The last published state of a family of values (per warehouse, per card)."""
        return self.build("published_state", family)

    def sitoo_event(self, event_id: str) -> str:
        """Marks one Sitoo web-hook event stored."""
        return self.build("sitoo_event", event_id)

    # Pollers.
    def lease(self, name: str) -> str:
        """The leader lease of poller ``name``."""
        return self.build("lease", name)

    def lease_fence(self, name: str) -> str:
        """The fencing counter of poller ``name``'s lease."""
        return self.build("lease_fence", name)

    def cursor(self, name: str) -> str:
        """Where poller ``name`` has read up to."""
        return self.build("cursor", name)

    def poller_status(self, name: str) -> str:
        """What the leader of poller ``name`` did last."""
        return self.build("poller_status", name)

    @cached_property
    def tracked_giftcards(self) -> str:
        """The gift cards the gift-card poller re-reads."""
        return self.build("tracked_giftcards")

    @cached_property
    def open_pickups(self) -> str:
        """The open click-and-collect orders the order poller re-reads."""
        return self.build("open_pickups")

    # The shared Sitoo limiter.
    def limiter(self, name: str, *parts: str) -> str:
        """A limiter key: ``wait_interactive``, ``slots`` (per credential), ``wake`` …"""
        return self.build(f"limiter_{name}", *parts)

    @cached_property
    def devstack_generation(self) -> str:
        """The dev stack's generation id (`sitoo-sync run`)."""
        return self.build("devstack_generation")
