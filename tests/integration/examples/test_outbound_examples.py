"""docs/outbound-events.md: each example is what the service publishes after its scenario.

Every scenario runs against its own fresh demo sandbox with the whole service, pollers
included: inbound examples are sent as a webshop would, store staff act through the
sandbox's admin API over HTTP, and the published events are compared with the example
field by field, except the fields it lists as varying.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest

from service.contracts.examples import EXAMPLES
from service.contracts.outbound import OUTBOUND_KINDS, OUTBOUND_SOURCE
from service.contracts.outbound_examples import OUTBOUND_EXAMPLES, OutboundExample, Step
from service.records.keys import DeploymentKeys
from tests.integration.examples import runtimes
from tests.integration.examples.docblocks import blocks
from tests.integration.examples.senders import shell_runner
from tests.integration.examples.stack import ExampleStack, example_stack

POLLERS = ("stock", "orders", "giftcards")


def differences(
    documented: Mapping[str, Any],
    actual: Mapping[str, Any],
    varying: frozenset[str],
    path: str = "",
) -> list[str]:
    """Where ``actual`` differs from ``documented`` outside the varying fields (dotted paths)."""
    found = []
    for key in sorted(set(documented) | set(actual)):
        where = path + key
        if key not in actual or key not in documented:
            found.append(f"{where}: documented {documented.get(key)!r}, got {actual.get(key)!r}")
        elif where in varying:
            continue
        elif isinstance(documented[key], Mapping) and isinstance(actual[key], Mapping):
            found += differences(documented[key], actual[key], varying, where + ".")
        elif documented[key] != actual[key]:
            found.append(f"{where}: documented {documented[key]!r}, got {actual[key]!r}")
    return found


async def _cycles(stack: ExampleStack, name: str) -> int:
    key = DeploymentKeys(stack.settings.redis.key_prefix).poller_status(name)
    value = await stack.redis.hget(key, "cycles")
    return int(value or 0)


async def pollers_caught_up(stack: ExampleStack) -> None:
    """Wait for two more cycles of each poller in turn (one of them began after the wait did).

    In turn, so that the gift-card poller reads after the order poller tracked the cards
    paid with on a new POS order.
    """
    async with asyncio.timeout(30):
        for name in POLLERS:
            start = await _cycles(stack, name)
            while await _cycles(stack, name) < start + 2:
                await asyncio.sleep(0.05)


async def play(stack: ExampleStack, step: Step) -> None:
    """Send an inbound example (checking its own documented result) or act as store staff."""
    if isinstance(step, str):
        example = EXAMPLES[step]
        await stack.redis.xadd(example.stream(stack.settings.streams), example.fields())
        result = await stack.result_of(example.event_id)
        assert await stack.problems(example, result, None) == [], step
    else:
        body = dict(step.body)
        if step.order_externalid is not None:
            orders = await stack.admin.get(
                "/_sandbox/state/orders", params={"externalid": step.order_externalid}
            )
            [order] = orders.json()
            body["orderid"] = order["orderid"]
        answer = await stack.admin.post(step.admin_path, json=body)
        assert answer.status_code == 200, answer.text
    await pollers_caught_up(stack)


async def published(stack: ExampleStack, event_type: str) -> list[dict[str, Any]]:
    """The outbound envelopes of one type, oldest first."""
    import json  # noqa: PLC0415

    entries = await stack.redis.xrange(stack.settings.streams.outbound)
    events = [json.loads(fields[b"event"]) for _, fields in entries]
    return [e for e in events if e["type"] == event_type]


def _scenarios() -> dict[str, list[OutboundExample]]:
    grouped: dict[str, list[OutboundExample]] = {}
    for example in OUTBOUND_EXAMPLES.values():
        grouped.setdefault(repr(example.steps), []).append(example)
    return grouped


SCENARIOS = _scenarios()


def test_every_outbound_type_has_an_example() -> None:
    """Each event type the service publishes is documented by one played example."""
    assert sorted(e.event_type for e in OUTBOUND_EXAMPLES.values()) == sorted(OUTBOUND_KINDS)


@pytest.mark.parametrize(
    "scenario", list(SCENARIOS), ids=[", ".join(e.name for e in g) for g in SCENARIOS.values()]
)
async def test_scenario_publishes_the_documented_events(redis_url: str, scenario: str) -> None:
    """After the scenario's steps, each of its examples is on the outbound stream as shown."""
    examples = SCENARIOS[scenario]
    async with example_stack(redis_url, pollers=True) as stack:
        await pollers_caught_up(stack)  # the first cycles publish the seed; the steps follow
        for step in examples[0].steps:
            await play(stack, step)
        for example in examples:
            events = await published(stack, example.event_type)
            matching = [
                e for e in events if not differences(example.data, e["data"], example.varying)
            ]
            closest = sorted(
                (differences(example.data, e["data"], example.varying) for e in events), key=len
            )
            assert matching, (
                f"{example.name}: no published event is like it; closest: {closest[:3]}"
            )
            [event] = matching[-1:]
            assert event["source"] == OUTBOUND_SOURCE
            assert event["schema_version"] == 1
            assert event["correlation_id"] is None
            assert event["event_id"].startswith(example.event_type + "-")


async def test_the_reading_command_shows_published_events(redis_url: str, tmp_path: Path) -> None:
    """The page's redis-cli command prints the first events the pollers published."""
    redis_cli = runtimes.redis_cli()
    [text] = [b.text for b in blocks("docs/outbound-events.md") if b.language == "sh"]
    async with example_stack(redis_url, pollers=True) as stack:
        await pollers_caught_up(stack)
        ran = await shell_runner(tmp_path, stack, redis_cli)(None, text)
    assert ran.status == 0, ran.stderr
    assert ran.stdout.count('"type":"stock.changed"') == 10  # the seed's levels come first
