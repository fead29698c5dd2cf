"""docs/asyncapi.json: every message example is sent, or compared with what the service emits.

Inbound examples are appended to their channel as they stand in the document (with their
headers) and must give the documented result of the catalogue example they are. The
result, reply and dead-letter examples are compared with what those examples really
produce; the web-hook examples are posted to the service's Events SPI endpoint.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

import httpx

from service.contracts.examples import EXAMPLES, Example, in_order
from service.contracts.outbound_examples import OUTBOUND_EXAMPLES, outbound_example
from service.contracts.registry import EVENT_KINDS
from service.settings import StreamSettings
from tests.integration.examples.docblocks import ROOT
from tests.integration.examples.stack import ExampleStack, example_stack
from tests.integration.examples.test_outbound_examples import differences

DOCUMENT: dict[str, Any] = json.loads((ROOT / "docs" / "asyncapi.json").read_text("utf-8"))
MESSAGES: dict[str, Any] = DOCUMENT["components"]["messages"]
HOOK_PASSWORD = "hook-secret"


def _example(message: str) -> dict[str, Any]:
    [example] = MESSAGES[message]["examples"]
    return dict(example)


def _inbound() -> list[tuple[str, Example, dict[str, Any]]]:
    """(channel address, catalogue example, document example) of every inbound message."""
    defaults = StreamSettings(consumer="x")
    inbound = {
        getattr(defaults, name) for name in ("orders", "giftcards", "giftcard_requests", "stock")
    }
    found = []
    for channel in DOCUMENT["channels"].values():
        if channel["address"] not in inbound:
            continue
        for ref in channel["messages"].values():
            example = _example(ref["$ref"].rsplit("/", 1)[-1])
            [catalogue] = [
                e for e in EXAMPLES.values() if e.event_id == example["payload"]["event_id"]
            ]
            assert example["payload"] == catalogue.envelope(), catalogue.name
            found.append((channel["address"], catalogue, example))
    order = [e.name for e in in_order()]
    return sorted(found, key=lambda item: order.index(item[1].name))


async def _send(stack: ExampleStack, address: str, example: dict[str, Any]) -> None:
    fields = {"event": json.dumps(example["payload"])}
    for name, value in example.get("headers", {}).items():
        fields[name] = stack.rename(value)
    await stack.redis.xadd(stack.rename(address), fields)  # type: ignore[arg-type]


async def test_inbound_result_reply_and_dead_letter_examples(redis_url: str) -> None:
    """Each inbound example gives its documented result; the others are what came out."""
    inbound = _inbound()
    assert {e.event_type for _, e, _ in inbound} == set(EVENT_KINDS)
    replies: dict[str, dict[str, Any]] = {}
    async with example_stack(redis_url) as stack:
        for address, catalogue, example in inbound:
            await _send(stack, address, example)
            result = await stack.result_of(catalogue.event_id)
            reply = None
            if "headers" in example:
                answer = await stack.redis.blpop([stack.rename(example["headers"]["reply_to"])], 10)
                assert answer is not None, catalogue.name
                reply = replies[catalogue.name] = json.loads(answer[1])
            problems = await stack.problems(catalogue, result, reply)
            assert problems == [], f"{catalogue.name}: {problems}"

        documented = _example("result")["payload"]
        actual = await stack.result_of(documented["data"]["inbound_event_id"])
        varying = frozenset({"occurred_at", "data.entry_id", "data.stream", "data.sitoo.orderid"})
        assert differences(documented, actual, varying) == []
        assert actual["data"]["stream"] == stack.rename(documented["data"]["stream"])

        reply_example = _example("giftCardReply")["payload"]
        actual_reply = replies[EXAMPLES["giftcard-redeem-request"].name]
        assert differences(reply_example, actual_reply, frozenset({"transaction_ids"})) == []

        parked = _example("deadLetter")["payload"]
        invalid = EXAMPLES["order-placed-invalid"]
        await stack.redis.xadd(invalid.stream(stack.settings.streams), invalid.fields())
        await stack.result_of(invalid.event_id)
        [actual_letter] = [
            d
            for d in await stack.dead_letters(invalid.stream(stack.settings.streams))
            if d["event_id"] == invalid.event_id
        ]
        varying = frozenset({"entry_id", "dead_lettered_at", "stream"})
        assert differences(parked, actual_letter, varying) == []
        assert actual_letter["stream"] == stack.rename(parked["stream"])


def test_outbound_message_examples_are_the_played_ones() -> None:
    """The document's outbound examples are those the outbound scenarios check, with their steps."""
    for name, message in MESSAGES.items():
        if not name.startswith("sitoo") or name.startswith("sitooWebhook"):
            continue
        [example] = message["examples"]
        played = outbound_example(example["payload"]["type"])
        assert example["payload"]["data"] == played.payload()
        assert "published on the demo seed after these steps" in example["summary"].lower()
    assert len(OUTBOUND_EXAMPLES) == sum(
        1 for n in MESSAGES if n.startswith("sitoo") and not n.startswith("sitooWebhook")
    )


async def test_webhook_examples(redis_url: str) -> None:
    """The Events SPI example is stored as sent and becomes order.pickup_ready.

    The malformed body is answered 200 and kept in the web hooks' dead letters.
    """
    async with example_stack(redis_url, webhook_password=HOOK_PASSWORD) as stack:
        placed = EXAMPLES["order-placed"]
        await stack.redis.xadd(placed.stream(stack.settings.streams), placed.fields())
        await stack.result_of(placed.event_id)
        [order] = (
            await stack.admin.get("/_sandbox/state/orders", params={"externalid": "100234"})
        ).json()
        answer = await stack.admin.post(
            "/_sandbox/actions/ready-for-pickup", json={"orderid": order["orderid"]}
        )
        assert answer.status_code == 200

        event = _example("sitooWebhookEvent")["payload"]
        assert event["data"]["order_id"] == order["orderid"]
        transport = httpx.ASGITransport(app=stack.app)
        async with httpx.AsyncClient(transport=transport, base_url="http://service") as http:
            auth = (stack.settings.http.webhook_username, HOOK_PASSWORD)
            path = stack.settings.http.webhook_path
            stored = await http.post(path, json=[event], auth=auth)
            assert stored.json() == {"outcome": "stored", "events": 1, "new": 1}
            malformed = _example("sitooWebhookDeadLetter")["payload"]
            kept = await http.post(path, content=malformed["original:body"], auth=auth)
            assert kept.status_code == 200
            assert kept.json()["outcome"] == "dead_lettered"

        [(_, fields)] = await stack.redis.xrange(stack.settings.streams.sitoo_webhooks)
        assert json.loads(fields[b"event"]) == event
        ready = outbound_example("order.pickup_ready")
        await _published(stack, ready.event_type)
        published = [
            json.loads(f[b"event"])["data"]
            for _, f in await stack.redis.xrange(stack.settings.streams.outbound)
        ]
        assert any(not differences(ready.data, p, ready.varying) for p in published), published

        [letter] = await stack.dead_letters(stack.settings.streams.sitoo_webhooks)
        assert differences(malformed, letter, frozenset({"dead_lettered_at", "stream"})) == []
        assert letter["stream"] == stack.settings.streams.sitoo_webhooks


async def _published(stack: ExampleStack, event_type: str) -> None:
    """Wait for the web-hook consumer to publish an event of the type (pollers are off)."""
    async with asyncio.timeout(20):
        while True:
            for _, fields in await stack.redis.xrange(stack.settings.streams.outbound):
                if json.loads(fields[b"event"])["type"] == event_type:
                    return
            await asyncio.sleep(0.05)
