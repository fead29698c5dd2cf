"""The keys the service owns: no one else may make it write there (a reply target, say).

One rule, applied wherever a key name comes from outside: the service owns every key that
starts with its key prefix (``SITOO_SYNC_REDIS__KEY_PREFIX``: its records, leases,
markers, limiter state, and the default result stream ``sitoo-sync.results``), every
configured stream and each of those streams' dead-letter stream.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from service.settings import Settings


@dataclass(frozen=True, slots=True)
class Keyspace:
    """The deployment's key prefix and stream names."""

    key_prefix: str
    streams: frozenset[str]

    @classmethod
    def of(cls, key_prefix: str, streams: Iterable[str], *, dead_letter_suffix: str) -> Keyspace:
        """The keyspace of these streams, their dead-letter streams included."""
        named = set(streams)
        return cls(key_prefix, frozenset(named | {s + dead_letter_suffix for s in named}))

    @classmethod
    def from_settings(cls, settings: Settings) -> Keyspace:
        """Every stream the settings name, inbound, result, outbound and web hook."""
        s = settings.streams
        named = [s.orders, s.giftcards, s.giftcard_requests, s.stock]
        named += [s.results, s.outbound, s.sitoo_webhooks]
        return cls.of(settings.redis.key_prefix, named, dead_letter_suffix=s.dead_letter_suffix)

    def why_reserved(self, key: str) -> str | None:
        """Why ``key`` belongs to the service, or None when it does not."""
        if key.startswith(self.key_prefix):
            return f"starts with the service's key prefix {self.key_prefix!r}"
        if key in self.streams:
            return "names a stream the service uses"
        return None
