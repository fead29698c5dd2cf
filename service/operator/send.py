"""`sitoo-sync send`: put a documented example event on its stream and wait for its result."""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Annotated, Any

import redis.asyncio as aioredis
import typer
from redis.typing import EncodableT, FieldT

from service.contracts.envelope import EVENT_FIELD, REPLY_TO_FIELD
from service.contracts.examples import EXAMPLES, primary
from service.contracts.registry import EVENT_KINDS
from service.masking import mask_text
from service.operator.stream_reads import batches, entries, text
from service.records.keys import DeploymentKeys, hash_tag
from service.records.streams import stream_names
from service.settings import ConfigurationError, Settings, StreamSettings, load_settings

EXIT_FAILED = 1
EXIT_NO_RESULT = 4
_LOOK_BACK = 1000  # result entries searched for an earlier result of a re-sent event id
_RESEND_WAIT_S = 3.0


@dataclass(frozen=True, slots=True)
class Example:
    """One documented example (service/contracts/examples.py) under these stream settings."""

    name: str
    stream: str
    event: dict[str, Any]
    summary: str
    result: str
    reply_to: str | None


def examples(streams: StreamSettings) -> list[Example]:
    """Every documented example, from the catalogue the generated documents are made of."""
    return [
        Example(
            name=example.name,
            stream=example.stream(streams),
            event=example.envelope(),
            summary=example.summary,
            result=example.result_text(),
            reply_to=example.reply_to,
        )
        for example in EXAMPLES.values()
    ]


def find_example(name: str, streams: StreamSettings) -> Example | None:
    """The example called ``name``, or the main example of event type ``name``."""
    if name in EVENT_KINDS:
        name = primary(name).name
    return next((e for e in examples(streams) if e.name == name), None)


def _decode(fields: dict[str, str]) -> dict[str, Any] | None:
    raw = fields.get(EVENT_FIELD)
    try:
        document = json.loads(raw) if raw is not None else None
    except ValueError:
        return None
    return document if isinstance(document, dict) else None


def _result_of(document: dict[str, Any] | None, event_id: str) -> bool:
    data = (document or {}).get("data")
    return isinstance(data, dict) and data.get("inbound_event_id") == event_id


@dataclass(frozen=True, slots=True)
class Sent:
    """What `send` did and saw."""

    entry_id: str
    result: dict[str, Any] | None
    earlier: bool
    """True when no new result came and ``result`` is the one recorded for an earlier send."""
    reply: dict[str, Any] | None = None
    """A request's reply, taken from its reply list."""


async def send_example(
    redis: aioredis.Redis, settings: Settings, example: Example, *, event_id: str, wait_s: float
) -> Sent:
    """XADD the example (current time, given event id), then wait for its result event.

    On a deployment whose keys carry a hash tag (a Redis Cluster) the example goes to the
    tagged stream and its reply list gets the tag, as the service requires of producers.
    """
    keys = DeploymentKeys.from_settings(settings)
    results = stream_names(settings).results
    stream = keys.stream(example.stream)
    reply_to = example.reply_to
    if reply_to is not None and keys.tag is not None and hash_tag(reply_to) != keys.tag:
        reply_to = f"{reply_to}:{{{keys.tag}}}"
    before = await _recorded_result(redis, results, event_id)
    if before is not None and not before.get("data", {}).get("dead_lettered"):
        wait_s = min(wait_s, _RESEND_WAIT_S)  # it will not be applied again: no new result
    last = entries(await redis.xrevrange(results, count=1))
    cursor = last[0][0] if last else "0-0"
    event = {**example.event, "event_id": event_id, "occurred_at": _now()}
    sent: dict[FieldT, EncodableT] = {EVENT_FIELD: json.dumps(event)}
    if reply_to is not None:
        sent[REPLY_TO_FIELD] = reply_to
    entry_id = text(await redis.xadd(stream, sent))
    loop = asyncio.get_running_loop()
    deadline = loop.time() + wait_s
    while (remaining := deadline - loop.time()) > 0:
        block_ms = max(1, min(1000, int(remaining * 1000)))
        answer = await redis.xread({results: cursor}, block=block_ms, count=100)
        for _stream, found in batches(answer):
            for found_id, fields in found:
                cursor = found_id
                document = _decode(fields)
                if _result_of(document, event_id):
                    reply = await _reply(redis, reply_to)
                    return Sent(entry_id, document, earlier=False, reply=reply)
    # An event id already handled yields no second result: show the one recorded before.
    earlier = await _recorded_result(redis, results, event_id)
    return Sent(entry_id, earlier, earlier=earlier is not None)


async def _reply(redis: aioredis.Redis, reply_to: str | None) -> dict[str, Any] | None:
    """The reply the service pushed for a request; it is pushed before the result is written."""
    if reply_to is None:
        return None
    answer = await redis.blpop([reply_to], timeout=1)
    if answer is None:
        return None
    return _decode({EVENT_FIELD: text(answer[1])})


async def _recorded_result(
    redis: aioredis.Redis, results: str, event_id: str
) -> dict[str, Any] | None:
    for _found_id, fields in entries(await redis.xrevrange(results, count=_LOOK_BACK)):
        document = _decode(fields)
        if _result_of(document, event_id):
            return document
    return None


def _streams() -> StreamSettings:
    """The configured stream names; listing needs no Redis."""
    try:
        return load_settings().streams
    except ConfigurationError as exc:
        typer.echo(f"configuration error: {exc}", err=True)
        raise typer.Exit(2) from None


def _list(known: list[Example]) -> None:
    width = max(len(e.name) for e in known)
    for example in known:
        typer.echo(f"{example.name:<{width}}  {example.summary}")
        typer.echo(f"{'':<{width}}  to {example.stream}; gives: {example.result}")


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def send(
    name: Annotated[
        str | None,
        typer.Argument(help="The example's name (send --list), or an event type: order.placed."),
    ] = None,
    list_examples: Annotated[bool, typer.Option("--list", help="List the examples.")] = False,
    event_id: Annotated[
        str | None,
        typer.Option(help="Event id to send with; default: the documented one."),
    ] = None,
    wait: Annotated[
        float, typer.Option(min=0, help="Seconds to wait for the result event; 0: do not wait.")
    ] = 15.0,
) -> None:
    """Send a documented example event (docs/events.md) and print its result event.

    A gift-card request example also prints the reply its checkout would read.
    Exit status 0 when the result is `<type>.succeeded`, 1 when it is `<type>.failed`,
    4 when no result came within --wait; 2 bad configuration, 3 Redis unreachable.
    """
    # Imported here: the commands module imports this one for its typer registration.
    from service.operator.commands import redis_session, with_redis  # noqa: PLC0415

    if list_examples or name is None:
        _list(examples(_streams()))
        if name is None and not list_examples:
            typer.echo("\nsend one with: sitoo-sync send NAME", err=True)
        return
    if find_example(name, _streams()) is None:
        typer.echo(f"no example named {name!r}; sitoo-sync send --list shows them", err=True)
        raise typer.Exit(2)
    settings, url = redis_session()
    chosen = find_example(name, settings.streams)
    assert chosen is not None  # noqa: S101 - found above under the same names
    the_id = event_id or str(chosen.event["event_id"])

    async def work(redis: aioredis.Redis) -> Sent:
        return await send_example(redis, settings, chosen, event_id=the_id, wait_s=wait)

    sent = with_redis(url, work, cluster=settings.redis.cluster)
    typer.echo(
        f"sent {chosen.name} (event_id {the_id}) to "
        f"{DeploymentKeys.from_settings(settings).stream(chosen.stream)} as entry {sent.entry_id}"
    )
    if wait == 0:
        return
    if sent.result is None:
        typer.echo(
            f"no result on {stream_names(settings).results} within {wait:g} s: is `sitoo-sync run` "
            "going? (sitoo-sync status shows pending entries and dead letters)",
            err=True,
        )
        raise typer.Exit(EXIT_NO_RESULT)
    if sent.earlier:
        typer.echo(
            f"event id {the_id} was handled before, so nothing was applied again and no new "
            "result was emitted; the result recorded then (send with --event-id NEW-ID for a "
            "new event):"
        )
    typer.echo(mask_text(json.dumps(sent.result, indent=2)))
    if sent.reply is not None:
        typer.echo(f"reply on {chosen.reply_to}:")
        typer.echo(json.dumps(sent.reply, indent=2))
    if str(sent.result.get("type", "")).endswith(".failed"):
        raise typer.Exit(EXIT_FAILED)
