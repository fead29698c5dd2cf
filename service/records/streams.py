"""The deployment's streams as Redis keys: the configured names, hash-tagged on a cluster.

See :mod:`service.records.keys` for the rule; the streams are the webshop's interface, so
an untagged deployment uses the configured names exactly as written.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from service.records.key_specs import KeySpec
from service.records.keys import DeploymentKeys

if TYPE_CHECKING:
    from service.settings import Settings

_INBOX = "service/inbox/"
_WEBSHOP = "trimmed by the webshop"
_CAPPED = "`MAXLEN ~ 1,000,000`"
# A stream's pattern is its setting (tagged as the module docstring says).
STREAM_SPECS: tuple[KeySpec, ...] = (
    KeySpec("orders", "<stream>", "stream", _INBOX, _WEBSHOP),
    KeySpec("giftcards", "<stream>", "stream", _INBOX, _WEBSHOP),
    KeySpec("stock", "<stream>", "stream", _INBOX, _WEBSHOP),
    KeySpec("giftcard_requests", "<stream>", "stream", _INBOX, _WEBSHOP),
    KeySpec("results", "<stream>", "stream", "service/brokers/redis/settlement.py", _CAPPED),
    KeySpec("outbound", "<stream>", "stream", "service/records/publishing.py", _CAPPED),
    KeySpec("sitoo_webhooks", "<stream>", "stream", "service/webhooks/", "none"),
    KeySpec("shopify_webhooks", "<stream>", "stream", "service/adapters/shopify/", "none"),
    KeySpec("woocommerce_webhooks", "<stream>", "stream", "service/adapters/woocommerce/", "none"),
    KeySpec(
        "webshop_writes_dead_letters",
        "<outbound>.<webshop>.dlq",
        "stream",
        "service/deadletters.py",
        _CAPPED,
    ),
    KeySpec(
        "dead_letters", "<stream><dead_letter_suffix>", "stream", "service/deadletters.py", _CAPPED
    ),
)


@dataclass(frozen=True, slots=True)
class StreamNames:
    """The deployment's streams as Redis keys (the configured names, tagged when needed)."""

    orders: str
    giftcards: str
    stock: str
    giftcard_requests: str
    results: str
    outbound: str
    sitoo_webhooks: str
    dead_letter_suffix: str
    # The raw web-hook stream of each webshop adapter, by webshop (configured, on or off).
    webshop_webhooks: Mapping[str, str] = field(default_factory=dict)

    def dead_letters(self, stream: str) -> str:
        """Where ``stream``'s dead letters go."""
        return stream + self.dead_letter_suffix

    def webshop_writes_dead_letters(self, webshop: str) -> str:
        """Outbound events a webshop's writer could not apply, e.g. ``sitoo.events.shopify.dlq``."""
        return f"{self.outbound}.{webshop}.dlq"

    def inbound(self) -> dict[str, str]:
        """The webshop's inbound streams by event family."""
        return {
            "orders": self.orders,
            "giftcards": self.giftcards,
            "stock": self.stock,
            "giftcard_requests": self.giftcard_requests,
        }

    def consumed(self) -> list[str]:
        """Every stream read in the consumer group: the inbound ones and the web hooks."""
        return [*self.inbound().values(), self.sitoo_webhooks]

    def all(self) -> set[str]:
        """Every stream the service reads or writes, dead-letter streams included."""
        return {
            *self.consumed(),
            self.results,
            self.outbound,
            *(self.dead_letters(stream) for stream in self.consumed()),
        }


def stream_names(settings: Settings) -> StreamNames:
    """The configured deployment's streams as Redis keys."""
    keys = DeploymentKeys.from_settings(settings)
    s = settings.streams
    env = "SITOO_SYNC_STREAMS__"
    return StreamNames(
        orders=keys.stream(s.orders, setting=f"{env}ORDERS"),
        giftcards=keys.stream(s.giftcards, setting=f"{env}GIFTCARDS"),
        stock=keys.stream(s.stock, setting=f"{env}STOCK"),
        giftcard_requests=keys.stream(s.giftcard_requests, setting=f"{env}GIFTCARD_REQUESTS"),
        results=keys.stream(s.results, setting=f"{env}RESULTS"),
        outbound=keys.stream(s.outbound, setting=f"{env}OUTBOUND"),
        sitoo_webhooks=keys.stream(s.sitoo_webhooks, setting=f"{env}SITOO_WEBHOOKS"),
        dead_letter_suffix=s.dead_letter_suffix,
        webshop_webhooks={
            "shopify": keys.stream(
                settings.shopify.webhook_stream, setting="SITOO_SYNC_SHOPIFY__WEBHOOK_STREAM"
            ),
            "woocommerce": keys.stream(
                settings.woocommerce.webhook_stream,
                setting="SITOO_SYNC_WOOCOMMERCE__WEBHOOK_STREAM",
            ),
        },
    )


def outbound_group(webshop: str) -> str:
    """The consumer group a webshop's writer reads the outbound stream with."""
    return f"sitoo-sync-{webshop}"
