"""The messages and schemas of the AsyncAPI document: one per event type, from the models."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel
from pydantic.json_schema import JsonSchemaMode, models_json_schema

from service.contracts.envelope import EVENT_FIELD, REPLY_TO_FIELD, Envelope
from service.contracts.examples import EXAMPLES, Example, primary
from service.contracts.giftcards import GiftCardReply
from service.contracts.outbound import OUTBOUND_KINDS, OUTBOUND_SOURCE, derive_event_id
from service.contracts.outbound_examples import outbound_example
from service.contracts.registry import EVENT_KINDS, Channel
from service.contracts.results import RESULT_SOURCE, ResultData, result_event_id
from service.webhooks.intake import SitooEvent

SCHEMAS = "#/components/schemas/"
_REPLY_LIST = "checkout:5521:reply"


def camel(name: str) -> str:
    """``order.placed`` → ``orderPlaced``: the key of a message or example."""
    parts = name.replace("-", ".").replace("_", ".").split(".")
    return parts[0] + "".join(part[:1].upper() + part[1:] for part in parts[1:])


DEAD_LETTER_SCHEMA: dict[str, Any] = {
    "type": "object",
    "title": "DeadLetter",
    "description": "A parked entry: its original fields under `original:<name>` "
    "plus why and when it was parked. Plain stream fields, not JSON in `event`.",
    "properties": {
        "stream": {"type": "string", "description": "The stream it came from."},
        "entry_id": {"type": "string", "description": "Its entry id there."},
        "type": {"type": "string", "description": "Event type, empty when unreadable."},
        "event_id": {"type": "string", "description": "Event id, empty when unreadable."},
        "reason_code": {"type": "string", "description": "Machine-readable reason."},
        "reason": {"type": "string", "description": "Human-readable reason."},
        "deliveries": {"type": "string", "pattern": "^[0-9]+$"},
        "dead_lettered_at": {
            "type": "string",
            "pattern": "^[0-9]+$",
            "description": "Unix milliseconds.",
        },
        "digest": {
            "type": "string",
            "description": "A conflict (reused event id): this entry's content digest.",
        },
        "first_digest": {
            "type": "string",
            "description": "A conflict: the digest the event id was first seen with.",
        },
    },
    "patternProperties": {"^original:": {"type": "string"}},
    "required": [
        "stream",
        "entry_id",
        "type",
        "event_id",
        "reason_code",
        "reason",
        "deliveries",
        "dead_lettered_at",
    ],
    "additionalProperties": False,
}


def _ref(model: type[BaseModel]) -> dict[str, str]:
    return {"$ref": SCHEMAS + model.__name__}


def schemas() -> dict[str, Any]:
    """Every schema the messages refer to, keyed by model name."""
    models: list[tuple[type[BaseModel], JsonSchemaMode]] = [
        (Envelope, "validation"),
        (ResultData, "validation"),
        (GiftCardReply, "validation"),
        (SitooEvent, "validation"),
        *((kind.payload, "validation") for kind in EVENT_KINDS.values()),
        *((kind.payload, "serialization") for kind in OUTBOUND_KINDS.values()),
    ]
    _, top = models_json_schema(models, ref_template=SCHEMAS + "{model}")
    schemas: dict[str, Any] = dict(sorted(top["$defs"].items()))
    schemas["DeadLetter"] = DEAD_LETTER_SCHEMA
    return schemas


def _envelope_of(payload: dict[str, Any], **fixed: dict[str, Any]) -> dict[str, Any]:
    """An envelope whose ``data`` has the payload's schema (and some fields pinned)."""
    return {
        "allOf": [
            {"$ref": SCHEMAS + "Envelope"},
            {
                "type": "object",
                "properties": {**fixed, "data": payload},
                "required": ["type", "data"],
            },
        ]
    }


def _example(model: type[BaseModel]) -> dict[str, Any]:
    example: dict[str, Any] = model.model_json_schema()["examples"][0]
    return example


def _inbound_example(name: str, *, request: bool) -> Example:
    """The catalogue's example of the type: one sent as a request when the channel asks."""
    if request:
        for example in EXAMPLES.values():
            if example.event_type == name and example.reply_to is not None:
                return example
    return primary(name)


def _inbound_message(name: str, model: type[BaseModel], *, request: bool) -> dict[str, Any]:
    example = _inbound_example(name, request=request)
    envelope = example.envelope()
    message: dict[str, Any] = {
        "name": name,
        "title": name,
        "summary": (model.__doc__ or name).strip().splitlines()[0],
        "contentType": "application/json",
        "payload": _envelope_of(_ref(model), type={"const": name}),
        "examples": [
            {
                "name": camel(example.name),
                "summary": f"On the demo seed: {example.result_text()}",
                "payload": envelope,
            }
        ],
    }
    if request:
        message["headers"] = {
            "type": "object",
            "description": "Extra stream fields beside `event`.",
            "properties": {
                REPLY_TO_FIELD: {
                    "type": "string",
                    "minLength": 1,
                    "description": "The Redis list the reply is LPUSHed to.",
                }
            },
            "required": [REPLY_TO_FIELD],
        }
        message["examples"][0]["headers"] = {REPLY_TO_FIELD: example.reply_to or _REPLY_LIST}
    return message


def _outbound_message(name: str, model: type[BaseModel]) -> dict[str, Any]:
    envelope = {
        "event_id": derive_event_id(name, "example"),
        "type": name,
        "schema_version": 1,
        "occurred_at": "2026-03-01T12:00:05Z",
        "source": OUTBOUND_SOURCE,
        "correlation_id": None,
        "data": outbound_example(name).payload(),
    }
    return {
        "name": name,
        "title": name,
        "summary": (model.__doc__ or name).strip().splitlines()[0],
        "contentType": "application/json",
        "payload": _envelope_of(
            _ref(model), type={"const": name}, source={"const": OUTBOUND_SOURCE}
        ),
        "examples": [
            {
                "name": camel("sitoo." + name),
                "summary": outbound_example(name).scenario_text().replace("**", ""),
                "payload": envelope,
            }
        ],
    }


def _result_message() -> dict[str, Any]:
    data = _example(ResultData)
    envelope = {
        "event_id": result_event_id(
            data["inbound_event_id"], data["stream"], data["entry_id"], data["status"]
        ),
        "type": f"{data['inbound_type']}.{data['status']}",
        "schema_version": 1,
        "occurred_at": "2026-03-01T12:00:02Z",
        "source": RESULT_SOURCE,
        "correlation_id": "checkout-5521",
        "data": data,
    }
    return {
        "name": "result",
        "title": "<inbound type>.succeeded | <inbound type>.failed",
        "summary": "The outcome of one inbound event; the same event always yields the same id.",
        "contentType": "application/json",
        "payload": _envelope_of(
            _ref(ResultData),
            type={"type": "string", "pattern": r"^[a-z][a-z0-9_.-]*\.(succeeded|failed)$"},
            source={"const": RESULT_SOURCE},
        ),
        "examples": [
            {
                "name": "orderPlacedSucceeded",
                "summary": "On the demo seed: the result of example order-placed.",
                "payload": envelope,
            }
        ],
    }


def _plain_message(
    name: str, summary: str, schema: str, example: dict[str, Any], *, content: str, seen: str
) -> dict[str, Any]:
    return {
        "name": name,
        "title": name,
        "summary": summary,
        "contentType": content,
        "payload": {"$ref": SCHEMAS + schema},
        "examples": [{"name": name, "summary": seen, "payload": example}],
    }


def _dead_letter_example(example: Example) -> dict[str, Any]:
    """The dead letter an example that is dead-lettered leaves (entry id and time sampled)."""
    expected = example.expected
    return {
        "stream": "webshop.orders",
        "entry_id": "1767268800000-0",
        "type": example.event_type,
        "event_id": example.event_id,
        "reason_code": expected.reason_code,
        "reason": expected.reason,
        "deliveries": "1",
        "dead_lettered_at": "1767268800123",
        f"original:{EVENT_FIELD}": example.fields()[EVENT_FIELD],
    }


def messages() -> dict[str, Any]:
    """Every message of the document, keyed by its camel-case name."""
    messages: dict[str, Any] = {}
    for name, kind in EVENT_KINDS.items():
        messages[camel(name)] = _inbound_message(name, kind.payload, request=False)
        if Channel.GIFTCARD_REQUESTS in kind.channels:
            messages[camel(name + ".request")] = _inbound_message(name, kind.payload, request=True)
    for name, outbound in OUTBOUND_KINDS.items():
        messages[camel("sitoo." + name)] = _outbound_message(name, outbound.payload)
    messages["result"] = _result_message()
    messages["giftCardReply"] = _plain_message(
        "giftCardReply",
        "The answer to a gift-card request, LPUSHed to its reply_to list as JSON.",
        "GiftCardReply",
        _example(GiftCardReply),
        content="application/json",
        seen="On the demo seed: the reply to example giftcard-redeem-request.",
    )
    messages["deadLetter"] = _plain_message(
        "deadLetter",
        "An inbound entry parked with its reason.",
        "DeadLetter",
        _dead_letter_example(EXAMPLES["order-placed-invalid"]),
        content="text/plain",
        seen="On the demo seed: what example order-placed-invalid leaves.",
    )
    messages["sitooWebhookEvent"] = _plain_message(
        "sitooWebhookEvent",
        "One event of a Sitoo Events SPI batch, stored as received before the 200.",
        "SitooEvent",
        {
            "event_id": "5f0c6d1e-0b7a-4c33-9d51-2f7a1c9e8b10",
            "event_type": "order",
            "event_date": 1767268800,
            "account_id": 90001,
            "data": {
                "eshop_id": 1,
                "order_id": 1001,
                "warehouse_id": 1,
                "order_event_type": "ready-for-pickup",
            },
        },
        content="application/json",
        seen="On the demo seed, after example order-placed (Sitoo order 1001) and the store "
        "marking it ready: stored on sitoo.webhooks as received; the service then reads order "
        "1001 and publishes order.pickup_ready.",
    )
    messages["sitooWebhookDeadLetter"] = _plain_message(
        "sitooWebhookDeadLetter",
        "A malformed web-hook batch (kept whole under `original:body`, named after its "
        "digest), or a stored Sitoo event that kept failing; the format of every dead letter.",
        "DeadLetter",
        {
            "stream": "sitoo.webhooks",
            "entry_id": "body-183622c4adbf479cdeeaef569cd8ffb1",
            "type": "",
            "event_id": "",
            "reason_code": "invalid",
            "reason": "body is not a JSON array",
            "deliveries": "1",
            "dead_lettered_at": "1767268800123",
            "original:body": '{"not": "an array"}',
        },
        content="text/plain",
        seen='Posting the body {"not": "an array"}: answered 200 and kept here.',
    )
    return messages
