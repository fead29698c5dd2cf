"""`sitoo-sync tail`: print result and outbound events as they arrive, without a Redis client."""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Annotated, Any

import redis.asyncio as aioredis
import typer

from service.contracts.envelope import EVENT_FIELD
from service.masking import mask_text
from service.operator.stream_reads import batches, entries
from service.records.streams import stream_names


def _millis(entry_id: str) -> str:
    try:
        stamp = datetime.fromtimestamp(int(entry_id.split("-", 1)[0]) / 1000, tz=UTC)
    except ValueError:
        return "--:--:--"
    return stamp.astimezone().strftime("%H:%M:%S")


def render_entry(stream: str, entry_id: str, fields: dict[str, str]) -> str:
    """One line: time, stream, type, event id and the event's data as compact JSON."""
    raw = fields.get(EVENT_FIELD)
    try:
        event: Any = json.loads(raw) if raw is not None else None
    except ValueError:
        event = None
    if not isinstance(event, dict):
        return f"{_millis(entry_id)}  {stream}  {entry_id}  {json.dumps(fields, sort_keys=True)}"
    data = json.dumps(event.get("data"), separators=(",", ":"), ensure_ascii=False)
    return (
        f"{_millis(entry_id)}  {stream}  {event.get('type', '?')}  "
        f"{event.get('event_id', '?')}  {data}"
    )


async def _start_ids(redis: aioredis.Redis, streams: list[str], from_start: bool) -> dict[str, str]:
    ids: dict[str, str] = {}
    for stream in streams:
        if from_start:
            ids[stream] = "0-0"
            continue
        # "$" is resolved once, here: passing it on every read would skip what arrives between.
        last = entries(await redis.xrevrange(stream, count=1))
        ids[stream] = last[0][0] if last else "0-0"
    return ids


async def follow(
    redis: aioredis.Redis,
    streams: list[str],
    emit: Callable[[str], None],
    *,
    from_start: bool,
    count: int | None,
    seconds: float | None,
    as_json: bool,
) -> int:
    """Print entries of ``streams`` as they arrive; stops after ``count`` or ``seconds``."""
    ids = await _start_ids(redis, streams, from_start)
    loop = asyncio.get_running_loop()
    deadline = None if seconds is None else loop.time() + seconds
    shown = 0
    while count is None or shown < count:
        remaining = None if deadline is None else deadline - loop.time()
        if remaining is not None and remaining <= 0:
            break
        block = 1000 if remaining is None else max(1, min(1000, int(remaining * 1000)))
        answer = await redis.xread(dict(ids), block=block, count=100)  # type: ignore[arg-type]
        for stream, found in batches(answer):
            for entry_id, fields in found:
                ids[stream] = entry_id
                # Whatever an entry carries (a PIN in an event, a URL with a password in a
                # reason), the terminal never shows it.
                shown_entry = (
                    json.dumps({"stream": stream, "id": entry_id, "fields": fields})
                    if as_json
                    else render_entry(stream, entry_id, fields)
                )
                emit(mask_text(shown_entry))
                shown += 1
                if count is not None and shown >= count:
                    return shown
    return shown


def tail(
    stream: Annotated[
        list[str] | None,
        typer.Option(help="Stream to follow (repeatable); default: results and outbound events."),
    ] = None,
    from_start: Annotated[
        bool, typer.Option("--from-start", help="Print what is already there first.")
    ] = False,
    count: Annotated[int | None, typer.Option(min=1, help="Stop after this many entries.")] = None,
    seconds: Annotated[
        float | None, typer.Option("--seconds", min=0, help="Stop after this many seconds.")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object per entry.")] = False,
) -> None:
    """Follow the results stream and the outbound events (sitoo.events) until Ctrl-C.

    One line per entry: time, stream, event type, event id and the event's data.
    """
    from service.operator.commands import redis_session, with_redis  # noqa: PLC0415 - no cycle

    settings, url = redis_session()
    names = stream_names(settings)
    streams = stream or [names.results, names.outbound]
    typer.echo(f"following {', '.join(streams)} (Ctrl-C stops)", err=True)

    async def work(redis: aioredis.Redis) -> int:
        return await follow(
            redis,
            streams,
            typer.echo,
            from_start=from_start,
            count=count,
            seconds=seconds,
            as_json=as_json,
        )

    with contextlib.suppress(KeyboardInterrupt):
        with_redis(url, work, cluster=settings.redis.cluster)
