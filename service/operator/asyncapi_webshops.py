"""The webshop adapters in the AsyncAPI document: their raw web-hook streams and writers.

A Shopify or WooCommerce web hook is not an event of the service's contract: the
adapter's endpoint stores the platform's delivery as it came (body, topic, identifying
headers) in the webshop's raw stream before it answers 200, and the adapter's own consumer
group translates it afterwards. The stored entry is documented here because it is what
an operator sees in Redis (and in `sitoo-sync dlq`), and the writers' consumer groups on
the outbound stream, because they are what a webshop integrator would otherwise build.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from service.adapters.common.intake import (
    BODY_BASE64_FIELD,
    BODY_FIELD,
    DELIVERY_FIELD,
    HEADERS_FIELD,
    RECEIVED_FIELD,
    TOPIC_FIELD,
)
from service.records.streams import outbound_group
from service.settings import ENV_PREFIX, Settings, StreamSettings

SCHEMA_NAME = "WebshopDelivery"
WEBSHOP_DELIVERY_SCHEMA: dict[str, Any] = {
    "type": "object",
    "title": SCHEMA_NAME,
    "description": "A webshop's web-hook delivery as its adapter stored it before answering "
    f"200. The body is kept byte for byte under `{BODY_FIELD}` (under `{BODY_BASE64_FIELD}`, "
    "base64-encoded, when it is not UTF-8), so its signature could be checked again.",
    "properties": {
        TOPIC_FIELD: {"type": "string", "description": "The platform's topic header."},
        BODY_FIELD: {"type": "string", "description": "The raw body."},
        BODY_BASE64_FIELD: {"type": "string", "description": "A non-UTF-8 body, base64."},
        HEADERS_FIELD: {
            "type": "string",
            "description": "The identifying headers as a JSON object (lower-case names, "
            "sorted); never the signature.",
        },
        RECEIVED_FIELD: {
            "type": "string",
            "pattern": "^[0-9]+$",
            "description": "Unix milliseconds.",
        },
        DELIVERY_FIELD: {
            "type": "string",
            "description": "The first id the delivery was de-duplicated by (empty when the "
            "platform sends none).",
        },
    },
    "required": [TOPIC_FIELD, HEADERS_FIELD, RECEIVED_FIELD, DELIVERY_FIELD],
    "additionalProperties": False,
}


@dataclass(frozen=True, slots=True)
class DeliveryExample:
    """A signed delivery as posted (signature left out) and the entry it is stored as."""

    webshop: str
    path: str
    headers: dict[str, str]
    body: str
    delivery: str

    def stored(self, received_ms: int) -> dict[str, str]:
        """The raw stream entry's fields, with the time it was received."""
        return {
            TOPIC_FIELD: next(v for k, v in self.headers.items() if k.endswith("-topic")),
            BODY_FIELD: self.body,
            HEADERS_FIELD: json.dumps(dict(sorted(self.headers.items()))),
            RECEIVED_FIELD: str(received_ms),
            DELIVERY_FIELD: self.delivery,
        }


EXAMPLE_RECEIVED_MS = 1767268800123
SHOPIFY_DELIVERY = DeliveryExample(
    webshop="shopify",
    path="/webhooks/shopify",
    headers={
        "x-shopify-topic": "orders/cancelled",
        "x-shopify-webhook-id": "b54557e4-bdd9-4b37-8a5f-bf7d70bcd043",
        "x-shopify-event-id": "98880550-7158-44d4-b7cd-2c97c8a091b5",
        "x-shopify-shop-domain": "example-shop.myshopify.com",
        "x-shopify-api-version": "2026-04",
        "x-shopify-triggered-at": "2026-01-01T12:00:00.000Z",
    },
    body='{"id":5902011777,"name":"#1042","cancelled_at":"2026-01-01T12:00:00+01:00",'
    '"cancel_reason":"customer"}',
    delivery="webhook:b54557e4-bdd9-4b37-8a5f-bf7d70bcd043",
)
WOOCOMMERCE_DELIVERY = DeliveryExample(
    webshop="woocommerce",
    path="/webhooks/woocommerce",
    headers={
        "x-wc-webhook-topic": "order.updated",
        "x-wc-webhook-source": "https://shop.example.com/",
        "x-wc-webhook-resource": "order",
        "x-wc-webhook-event": "updated",
        "x-wc-webhook-id": "12",
        "x-wc-webhook-delivery-id": "3f2a9c1d0b7e4e5f8a6b2c1d0e9f8a7b",
    },
    body='{"id":727,"status":"cancelled","currency":"SEK","total":"299.00"}',
    # WooCommerce's delivery id is not unique, so nothing de-duplicates by it.
    delivery="",
)
DELIVERIES = (SHOPIFY_DELIVERY, WOOCOMMERCE_DELIVERY)
_TITLES = {"shopify": "Shopify", "woocommerce": "WooCommerce"}


def _message_name(webshop: str) -> str:
    return f"{webshop}WebhookDelivery"


def schemas() -> dict[str, Any]:
    """The schema the delivery messages refer to."""
    return {SCHEMA_NAME: WEBSHOP_DELIVERY_SCHEMA}


def messages(schema_ref: str) -> dict[str, Any]:
    """One message per webshop: its stored delivery, with the example above."""
    found: dict[str, Any] = {}
    for example in DELIVERIES:
        title = _TITLES[example.webshop]
        name = _message_name(example.webshop)
        found[name] = {
            "name": name,
            "title": name,
            "summary": f"A {title} web-hook delivery, stored as received.",
            "contentType": "text/plain",
            "payload": {"$ref": schema_ref + SCHEMA_NAME},
            "examples": [
                {
                    "name": name,
                    "summary": f"What a signed POST {example.path} with these headers and "
                    "body leaves on the raw stream.",
                    "payload": example.stored(EXAMPLE_RECEIVED_MS),
                }
            ],
        }
    return found


def channels(streams: StreamSettings, message_ref: str) -> dict[str, Any]:
    """The raw stream of each webshop adapter (defaults as configured)."""
    settings = Settings()
    addresses = {
        "shopify": settings.shopify.webhook_stream,
        "woocommerce": settings.woocommerce.webhook_stream,
    }
    found: dict[str, Any] = {}
    for example in DELIVERIES:
        webshop, title = example.webshop, _TITLES[example.webshop]
        name = _message_name(webshop)
        found[f"{webshop}Webhooks"] = {
            "address": addresses[webshop],
            "title": f"{title} web hooks as received",
            "description": f"Written by `POST {example.path}` once the signature is checked "
            f"(`{ENV_PREFIX}{webshop.upper()}__WEBHOOK_STREAM`); its reconciliation poller "
            "stores what it finds here the same way. Read by consumer group "
            f"`{streams.group}`, which turns each delivery into the service's own events on "
            "the inbound streams; one that cannot be translated is dead-lettered with the "
            "reason (`sitoo-sync dlq list` shows it).",
            "messages": {name: {"$ref": message_ref + name}},
        }
    return found


def operations(channel_ref: str, all_channels: dict[str, Any]) -> dict[str, Any]:
    """Storing and translating each webshop's deliveries; each writer reading Sitoo's changes."""
    found: dict[str, Any] = {}
    outbound_messages = all_channels["sitooEvents"]["messages"]
    for example in DELIVERIES:
        webshop, title = example.webshop, _TITLES[example.webshop]
        channel = f"{webshop}Webhooks"
        refs = [
            {"$ref": f"{channel_ref}{channel}/messages/{name}"}
            for name in all_channels[channel]["messages"]
        ]
        found[f"store{title}Webhooks"] = {
            "action": "send",
            "summary": f"Store {title}'s signed web-hook deliveries.",
            "channel": {"$ref": channel_ref + channel},
            "messages": refs,
        }
        found[f"translate{title}Webhooks"] = {
            "action": "receive",
            "summary": f"Turn {title}'s deliveries into inbound events.",
            "channel": {"$ref": channel_ref + channel},
            "messages": refs,
        }
        found[f"write{title}"] = {
            "action": "receive",
            "summary": f"Apply Sitoo's changes to {title} (stock levels, pick-up progress), "
            f"read with consumer group `{outbound_group(webshop)}`.",
            "channel": {"$ref": channel_ref + "sitooEvents"},
            "messages": [
                {"$ref": f"{channel_ref}sitooEvents/messages/{name}"} for name in outbound_messages
            ],
        }
    return found
