"""How Shopify signs and identifies its web-hook deliveries (FACTS.md §2.2, §2.4)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from pydantic import SecretStr

from service.adapters.common.intake import signature_matches

HMAC_HEADER = "x-shopify-hmac-sha256"
TOPIC_HEADER = "x-shopify-topic"
WEBHOOK_ID_HEADER = "x-shopify-webhook-id"
EVENT_ID_HEADER = "x-shopify-event-id"
_KEPT = (
    TOPIC_HEADER,
    WEBHOOK_ID_HEADER,
    EVENT_ID_HEADER,
    "x-shopify-shop-domain",
    "x-shopify-api-version",
    "x-shopify-triggered-at",
    "x-shopify-name",
)


@dataclass(frozen=True, slots=True)
class ShopifyWebhooks:
    """Shopify's signing (base64 HMAC-SHA256 of the raw body with the app's client secret)."""

    secrets: tuple[SecretStr, ...]
    webshop: str = "shopify"

    def authentic(self, headers: Mapping[str, str], body: bytes) -> bool:
        """The signature header matches the body under one of the secrets."""
        return signature_matches(headers.get(HMAC_HEADER, ""), body, self.secrets)

    def topic(self, headers: Mapping[str, str]) -> str:
        """``orders/create`` and the like."""
        return headers.get(TOPIC_HEADER, "").strip()

    def delivery_ids(self, headers: Mapping[str, str]) -> Sequence[str]:
        """The web-hook id, and the topic with the event id when sent.

        Shopify's documents name either header as the duplicate marker; a retry repeats
        both, and copies of one event to several subscriptions share the event id.
        """
        ids = []
        webhook_id = headers.get(WEBHOOK_ID_HEADER, "").strip()
        if webhook_id:
            ids.append(f"webhook:{webhook_id}")
        event_id = headers.get(EVENT_ID_HEADER, "").strip()
        if event_id:
            ids.append(f"event:{self.topic(headers)}:{event_id}")
        return ids

    def kept_headers(self, headers: Mapping[str, str]) -> dict[str, str]:
        """The identifying headers; never the signature."""
        return {name: headers[name] for name in _KEPT if name in headers}
