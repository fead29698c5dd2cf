"""The AsyncAPI 3.0 document of every stream and event, built from the contract's pydantic models.

FastStream's own generator sees no payload models (the handlers take raw entries), so
the document is assembled here: each channel is a Redis stream (or, for gift-card
replies, a list), each message is the JSON held in an entry's ``event`` field, and every
schema comes from the same models that validate the events at run time.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from service import __version__
from service.contracts.envelope import EVENT_FIELD, REPLY_TO_FIELD
from service.contracts.outbound import OUTBOUND_KINDS
from service.contracts.registry import EVENT_KINDS, Channel
from service.operator import asyncapi_webshops
from service.operator.asyncapi_messages import SCHEMAS, camel, messages, schemas
from service.operator.asyncapi_schema import asyncapi_schema
from service.settings import ENV_PREFIX, StreamSettings

ASYNCAPI_VERSION = "3.0.0"
DEFAULT_PATH = Path("docs/asyncapi.json")
_MESSAGES = "#/components/messages/"
_CHANNEL_OF = {
    Channel.ORDERS: "webshopOrders",
    Channel.GIFTCARDS: "webshopGiftcards",
    Channel.GIFTCARD_REQUESTS: "webshopGiftcardRequests",
    Channel.STOCK: "webshopStock",
}
_STREAM_SETTING = {
    Channel.ORDERS: "orders",
    Channel.GIFTCARDS: "giftcards",
    Channel.GIFTCARD_REQUESTS: "giftcard_requests",
    Channel.STOCK: "stock",
}


def _message_refs(names: list[str]) -> dict[str, Any]:
    return {name: {"$ref": _MESSAGES + name} for name in names}


def _channels(streams: StreamSettings) -> dict[str, Any]:
    channels: dict[str, Any] = {}
    for channel, key in _CHANNEL_OF.items():
        setting = _STREAM_SETTING[channel]
        requests = channel is Channel.GIFTCARD_REQUESTS
        names = [
            camel(name + (".request" if requests else ""))
            for name, kind in EVENT_KINDS.items()
            if channel in kind.channels
        ]
        extra = f" and a `{REPLY_TO_FIELD}` field" if requests else ""
        channels[key] = {
            "address": getattr(streams, setting),
            "title": f"Inbound {setting.replace('_', ' ')}",
            "description": (
                f"Redis stream (`{ENV_PREFIX}STREAMS__{setting.upper()}`). Each entry has one "
                f"field `{EVENT_FIELD}` holding the JSON envelope{extra}. Read by consumer "
                f"group `{streams.group}`."
            ),
            "messages": _message_refs(names),
        }
    channels["giftcardReplies"] = {
        "address": None,
        "title": "Gift-card replies",
        "description": "The Redis list a request named in `reply_to`; one JSON reply is LPUSHed "
        f"and the list expires after `{ENV_PREFIX}CONSUMERS__REPLY_TTL_S`.",
        "messages": _message_refs(["giftCardReply"]),
    }
    channels["results"] = {
        "address": streams.results,
        "title": "Results",
        "description": f"One result event per inbound event (`{ENV_PREFIX}STREAMS__RESULTS`).",
        "messages": _message_refs(["result"]),
    }
    channels["deadLetters"] = {
        "address": "{stream}" + streams.dead_letter_suffix,
        "title": "Dead letters",
        "description": "Per inbound stream; inspect and replay with `sitoo-sync dlq`.",
        "parameters": {
            "stream": {
                "enum": [getattr(streams, s) for s in _STREAM_SETTING.values()],
                "description": "The inbound stream the entry came from.",
            }
        },
        "messages": _message_refs(["deadLetter"]),
    }
    channels["sitooEvents"] = {
        "address": streams.outbound,
        "title": "Changes seen in Sitoo",
        "description": f"Outbound events (`{ENV_PREFIX}STREAMS__OUTBOUND`), one field "
        f"`{EVENT_FIELD}` per entry.",
        "messages": _message_refs([camel("sitoo." + n) for n in OUTBOUND_KINDS]),
    }
    channels["sitooWebhooks"] = {
        "address": streams.sitoo_webhooks,
        "title": "Sitoo web hooks as received",
        "description": "Events SPI events stored by `POST /sitoo/events` before it answers "
        "200, then read back by the service's own consumer group.",
        "messages": _message_refs(["sitooWebhookEvent"]),
    }
    channels["sitooWebhooksDeadLetters"] = {
        "address": streams.sitoo_webhooks + streams.dead_letter_suffix,
        "title": "Unusable web hooks",
        "description": "Malformed batches and stored events that kept failing.",
        "messages": _message_refs(["sitooWebhookDeadLetter"]),
    }
    channels.update(asyncapi_webshops.channels(streams, _MESSAGES))
    return channels


def _operation(action: str, channel: str, summary: str, channels: dict[str, Any]) -> dict[str, Any]:
    names = channels[channel]["messages"]
    return {
        "action": action,
        "summary": summary,
        "channel": {"$ref": f"#/channels/{channel}"},
        "messages": [{"$ref": f"#/channels/{channel}/messages/{name}"} for name in names],
    }


def _operations(channels: dict[str, Any]) -> dict[str, Any]:
    operations = {
        "consumeOrders": _operation(
            "receive", "webshopOrders", "Create and cancel Sitoo orders.", channels
        ),
        "consumeGiftcards": _operation(
            "receive", "webshopGiftcards", "Issue, redeem, refund and read gift cards.", channels
        ),
        "answerGiftcardRequests": _operation(
            "receive",
            "webshopGiftcardRequests",
            "Redeem or read a gift card while the checkout waits.",
            channels,
        ),
        "consumeStock": _operation(
            "receive", "webshopStock", "Apply stock adjustments and levels.", channels
        ),
        "publishResults": _operation(
            "send", "results", "Report each inbound event's outcome.", channels
        ),
        "parkDeadLetters": _operation(
            "send", "deadLetters", "Park entries that cannot be processed.", channels
        ),
        "publishSitooEvents": _operation(
            "send", "sitooEvents", "Publish what changed in Sitoo.", channels
        ),
        "storeSitooWebhooks": _operation(
            "send", "sitooWebhooks", "Store Sitoo's web-hook events.", channels
        ),
        "consumeSitooWebhooks": _operation(
            "receive", "sitooWebhooks", "Read the stored events back through Sitoo.", channels
        ),
        "parkSitooWebhooks": _operation(
            "send", "sitooWebhooksDeadLetters", "Keep unusable web hooks.", channels
        ),
    }
    operations.update(asyncapi_webshops.operations("#/channels/", channels))
    operations["answerGiftcardRequests"]["reply"] = {
        "address": {
            "location": f"$message.header#/{REPLY_TO_FIELD}",
            "description": "The list named by the request's reply_to field.",
        },
        "channel": {"$ref": "#/channels/giftcardReplies"},
        "messages": [{"$ref": "#/channels/giftcardReplies/messages/giftCardReply"}],
    }
    return operations


def _schemas() -> dict[str, Any]:
    """The models' schemas in AsyncAPI's dialect (see :mod:`service.operator.asyncapi_schema`)."""
    every = {**schemas(), **asyncapi_webshops.schemas()}
    return {name: asyncapi_schema(schema) for name, schema in every.items()}


def _messages() -> dict[str, Any]:
    """The messages, their payload and header schemas in AsyncAPI's dialect."""
    converted: dict[str, Any] = {}
    for name, message in {**messages(), **asyncapi_webshops.messages(SCHEMAS)}.items():
        converted[name] = {
            key: asyncapi_schema(value) if key in {"payload", "headers"} else value
            for key, value in message.items()
        }
    return converted


def build_asyncapi() -> dict[str, Any]:
    """The whole document (stream names are the defaults)."""
    streams = StreamSettings(consumer="replica-1")
    channels = _channels(streams)
    return {
        "asyncapi": ASYNCAPI_VERSION,
        "info": {
            "title": "sitoo-sync",
            "version": __version__,
            "description": "Redis Streams interface between a webshop and Sitoo POS. Every "
            f"entry carries one field `{EVENT_FIELD}` with a JSON envelope (dead letters "
            "excepted). Generated by `sitoo-sync docs asyncapi`; do not edit by hand.",
        },
        "defaultContentType": "application/json",
        "servers": {
            "redis": {
                "host": "localhost:6379",
                "protocol": "redis",
                "description": f"The Redis of `{ENV_PREFIX}REDIS__URL`.",
            }
        },
        "channels": channels,
        "operations": _operations(channels),
        "components": {"schemas": _schemas(), "messages": _messages()},
    }


def render_asyncapi() -> str:
    """The document as stable, indented JSON."""
    return json.dumps(build_asyncapi(), indent=2, ensure_ascii=False) + "\n"


def write_asyncapi(path: Path = DEFAULT_PATH) -> Path:
    """Write the document to ``path``; the path written."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(render_asyncapi(), encoding="utf-8")
    return path
