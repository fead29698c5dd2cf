"""`sitoo-sync dlq list|show|replay|purge`: look at dead letters and send them back."""

from __future__ import annotations

import json
import re
from collections.abc import Awaitable, Callable
from typing import Annotated, TypeVar

import typer

from service.deadletter_sources import dead_letter_store
from service.deadletters import DeadLetter, DeadLetterFilter, DeadLetterStore, NotReplayable
from service.masking import mask_document, mask_text
from service.webhooks.intake import received_again

T = TypeVar("T")
EXIT_NOT_FOUND = 3
_AGE = re.compile(r"^(\d+)([smhd])$")
_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86_400}

dlq_cli = typer.Typer(no_args_is_help=True, help="Inspect, replay or purge dead letters.")

StreamOpt = Annotated[
    str | None, typer.Option(help="Only the dead letters of entries read from this stream.")
]
TypeOpt = Annotated[str | None, typer.Option("--type", help="Only this event type.")]
ReasonOpt = Annotated[
    str | None, typer.Option(help="Only reasons containing this text (code or message).")
]
OlderOpt = Annotated[
    str | None, typer.Option(help="Only dead letters at least this old: 30s, 15m, 2h, 7d.")
]
NewerOpt = Annotated[
    str | None, typer.Option(help="Only dead letters at most this old: 30s, 15m, 2h, 7d.")
]
LimitOpt = Annotated[int, typer.Option(min=1, help="At most this many.")]


def parse_age(text: str | None) -> int | None:
    """``15m`` → 900000 ms; None stays None."""
    if text is None:
        return None
    match = _AGE.fullmatch(text.strip())
    if match is None:
        raise typer.BadParameter(f"{text!r} is not an age like 30s, 15m, 2h or 7d")
    return int(match.group(1)) * _SECONDS[match.group(2)] * 1000


def _filter(
    stream: str | None,
    event_type: str | None,
    reason: str | None,
    older: str | None,
    newer: str | None,
) -> DeadLetterFilter:
    return DeadLetterFilter(
        stream=stream,
        type=event_type,
        reason=reason,
        older_than_ms=parse_age(older),
        newer_than_ms=parse_age(newer),
    )


def _run(work: Callable[[DeadLetterStore], Awaitable[T]]) -> T:
    from service.operator.commands import redis_session, with_redis  # noqa: PLC0415 - keeps --help fast

    settings, url = redis_session()
    return with_redis(
        url,
        lambda client: work(
            dead_letter_store(client, settings, webhook_resend=received_again(client, settings))
        ),
        cluster=settings.redis.cluster,
    )


def _line(letter: DeadLetter) -> str:
    return mask_text(
        f"{letter.id}  {letter.stream}  {letter.type or '-'}  {letter.event_id or '-'}  "
        f"{letter.reason_code}: {letter.reason}"
    )


def _masked_json(letter: DeadLetter, *, indent: int | None = None) -> str:
    """The dead letter as printed: the stored original keeps its PIN for a replay, the
    output never shows it."""
    return json.dumps(mask_document(letter.to_json()), indent=indent)


@dlq_cli.command("list")
def list_letters(  # noqa: PLR0917 - one typer option per filter
    stream: StreamOpt = None,
    event_type: TypeOpt = None,
    reason: ReasonOpt = None,
    older_than: OlderOpt = None,
    newer_than: NewerOpt = None,
    limit: LimitOpt = 100,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object per line.")] = False,
) -> None:
    """List dead letters, oldest first: id, stream, type, event id, reason."""
    flt = _filter(stream, event_type, reason, older_than, newer_than)
    letters = _run(lambda store: store.list(flt, limit=limit))
    for letter in letters:
        typer.echo(_masked_json(letter) if as_json else _line(letter))


@dlq_cli.command()
def show(
    dead_letter_id: Annotated[str, typer.Argument(help="The dead letter's id (from list).")],
    stream: StreamOpt = None,
) -> None:
    """Show one dead letter with its original entry, as JSON."""
    letter = _run(lambda store: store.show(dead_letter_id, stream=stream))
    if letter is None:
        typer.echo(f"no dead letter {dead_letter_id}", err=True)
        raise typer.Exit(EXIT_NOT_FOUND)
    typer.echo(_masked_json(letter, indent=2))


async def _replay(
    store: DeadLetterStore, ids: list[str], flt: DeadLetterFilter, limit: int
) -> list[tuple[DeadLetter, str | NotReplayable]]:
    if ids:
        found = [await store.show(i, stream=flt.stream) for i in ids]
        letters = [letter for letter in found if letter is not None]
    else:
        letters = await store.list(flt, limit=limit)
    done: list[tuple[DeadLetter, str | NotReplayable]] = []
    for letter in letters:
        try:
            done.append((letter, await store.replay(letter)))
        except NotReplayable as exc:  # the letter stays; the others still go
            done.append((letter, exc))
    return done


@dlq_cli.command()
def replay(  # noqa: PLR0917 - one typer option per filter
    ids: Annotated[
        list[str] | None, typer.Argument(help="Dead letter ids; none: use filters.")
    ] = None,
    stream: StreamOpt = None,
    event_type: TypeOpt = None,
    reason: ReasonOpt = None,
    older_than: OlderOpt = None,
    newer_than: NewerOpt = None,
    limit: LimitOpt = 100,
) -> None:
    """Put dead letters back where they came from; they go through the same idempotent path.

    An entry goes back on the stream it was read from (a webshop writer's: the outbound
    stream); a web-hook body the intake could not use is received again.
    """
    flt = _filter(stream, event_type, reason, older_than, newer_than)
    if not ids and flt == DeadLetterFilter():
        typer.echo("give dead letter ids or at least one filter", err=True)
        raise typer.Exit(2)
    done = _run(lambda store: _replay(store, ids or [], flt, limit))
    refused = 0
    for letter, outcome in done:
        if isinstance(outcome, NotReplayable):
            refused += 1
            typer.echo(mask_text(f"not replayed {letter.id}: {outcome}"), err=True)
        else:
            typer.echo(f"replayed {letter.id} -> {letter.stream} {outcome}")
    typer.echo(f"{len(done) - refused} replayed")
    if refused:
        raise typer.Exit(1)


@dlq_cli.command()
def purge(  # noqa: PLR0917 - one typer option per filter
    ids: Annotated[
        list[str] | None, typer.Argument(help="Dead letter ids; none: use filters.")
    ] = None,
    stream: StreamOpt = None,
    event_type: TypeOpt = None,
    reason: ReasonOpt = None,
    older_than: OlderOpt = None,
    newer_than: NewerOpt = None,
    limit: LimitOpt = 1000,
    yes: Annotated[bool, typer.Option("--yes", help="Really delete.")] = False,
) -> None:
    """Delete dead letters for good (asks for --yes)."""
    flt = _filter(stream, event_type, reason, older_than, newer_than)
    if not ids and flt == DeadLetterFilter():
        typer.echo("give dead letter ids or at least one filter", err=True)
        raise typer.Exit(2)
    if not yes:
        typer.echo("purging deletes dead letters for good; add --yes", err=True)
        raise typer.Exit(2)

    async def work(store: DeadLetterStore) -> int:
        if ids:
            found = [await store.show(i, stream=flt.stream) for i in ids]
            return await store.purge(letter for letter in found if letter is not None)
        return await store.purge(await store.list(flt, limit=limit))

    typer.echo(f"{_run(work)} purged")
