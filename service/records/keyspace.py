"""The keys the service owns: no one else may make it write there (a reply target, say).

One rule, applied wherever a key name comes from outside: the service owns every key that
starts with its base (the key prefix ``SITOO_SYNC_REDIS__KEY_PREFIX``, hash-tagged on a
cluster: its records, leases, markers, limiter state, and the default result stream
``sitoo-sync.results``), every configured stream and each of those streams' dead-letter
stream, as the deployment names them in Redis (:mod:`service.records.streams`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from service.records.keys import DeploymentKeys
from service.records.streams import StreamNames, stream_names

if TYPE_CHECKING:
    from service.settings import Settings


@dataclass(frozen=True, slots=True)
class Keyspace:
    """The deployment's key base and stream names."""

    base: str
    streams: frozenset[str]

    @classmethod
    def of(cls, keys: DeploymentKeys, streams: StreamNames) -> Keyspace:
        """The keyspace of these keys and streams, every dead-letter stream included."""
        named = {*streams.consumed(), streams.results, streams.outbound}
        named |= set(streams.webshop_webhooks.values())
        writes = {streams.webshop_writes_dead_letters(shop) for shop in streams.webshop_webhooks}
        return cls(keys.base, frozenset(named | writes | {streams.dead_letters(s) for s in named}))

    @classmethod
    def from_settings(cls, settings: Settings) -> Keyspace:
        """Every stream the settings name: inbound, result, outbound, web hooks (webshops too)."""
        return cls.of(DeploymentKeys.from_settings(settings), stream_names(settings))

    def why_reserved(self, key: str) -> str | None:
        """Why ``key`` belongs to the service, or None when it does not."""
        if key.startswith(self.base):
            return f"starts with the service's key prefix {self.base!r}"
        if key in self.streams:
            return "names a stream the service uses"
        return None
