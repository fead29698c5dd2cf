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

Each :class:`KeySpec` (:mod:`service.records.key_specs`) is the one definition of a key:
the builders format it, the key table in ``docs/architecture.md`` is checked against it,
and a test hashes every one.
"""

from __future__ import annotations

import hashlib
from functools import cached_property
from typing import TYPE_CHECKING

from redis.crc import key_slot

from service.records.key_specs import KEY_SPECS, PLACEHOLDER, KeySpec

if TYPE_CHECKING:
    from service.settings import Settings

# The table of key kinds is named here too, for the callers of the builders.
__all__ = ["KEY_SPECS", "DeploymentKeys", "KeySpec", "MisplacedStream", "hash_tag", "short_id"]


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


def short_id(text: str) -> str:
    """An id as it is when short and plain; anything else hashed (bounded key length)."""
    if len(text) <= 120 and text.isascii() and " " not in text:  # noqa: PLR2004
        return text
    return "h-" + hashlib.blake2b(text.encode(), digest_size=16).hexdigest()


class _Template:
    """A key pattern with the base filled in: literal pieces around the remaining parts."""

    __slots__ = ("pieces",)

    def __init__(self, spec: KeySpec, base: str) -> None:
        text = spec.pattern.replace("<base>", base)
        self.pieces = PLACEHOLDER.split(text)[::2]

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

    # The webshop adapters (service/adapters/).
    def webshop_delivery(self, webshop: str, delivery_id: str) -> str:
        """Marks a webshop's delivery id as stored (its retries and copies are dropped)."""
        return self.build("webshop_delivery", webshop, short_id(delivery_id))

    def webshop_emitted(self, event_id: str) -> str:
        """Marks a canonical event id as appended, whichever path (web hook, poller) came first."""
        return self.build("webshop_emitted", short_id(event_id))

    def webshop_written(self, webshop: str, what: str) -> str:
        """A one-time write at the webshop (a pick-up step): made, or its writer's lease."""
        return self.build("webshop_written", webshop, short_id(what))

    def webshop_level(self, webshop: str, place: str) -> str:
        """A stock level at the webshop: the version written last, and its writer's lease."""
        return self.build("webshop_level", webshop, short_id(place))

    def shopify_giftcard_mirror(self, card_number: str) -> str:
        """The Shopify card mirroring a Sitoo card, and the balance event applied to it last."""
        return self.build("shopify_giftcard_mirror", card_number)

    def shopify_giftcard_mirrored(self, giftcard_id: str) -> str:
        """The Sitoo card a Shopify card (numeric id) mirrors."""
        return self.build("shopify_giftcard_mirrored", giftcard_id)

    def webshop_write_claim(self, webshop: str, what: str) -> str:
        """Held (the one lease) while one replica adjusts a webshop-side record (a card)."""
        return self.build("webshop_write_claim", webshop, short_id(what))

    def webshop_snapshot_due(self, webshop: str) -> str:
        """Notes that a webshop writer's first snapshot of stock levels is still to be applied."""
        return self.build("webshop_snapshot_due", webshop)
