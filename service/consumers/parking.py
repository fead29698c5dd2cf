"""When an entry is dead-lettered, and parking it: the dead letter, its failed result, a reply."""

from __future__ import annotations

from service.consumers.entries import Entry, Parsed, describe, entry_ref, reply_from, short
from service.consumers.results import Replier
from service.consumers.settlement import Settlements, Settling
from service.contracts.envelope import InvalidEntry, best_effort_event_id
from service.contracts.results import UNKNOWN_TYPE, ResultData
from service.deadletters import DeadLetterStore
from service.sitoo.errors import Disposition, SitooError
from service.usecases.outcome import Rejected


def verdict(entry: Entry, error: BaseException, *, max_deliveries: int) -> tuple[str, str] | None:
    """(code, reason) to dead-letter with, or None to leave the entry pending."""
    if isinstance(error, InvalidEntry):
        return "invalid", short(error.reason)
    if isinstance(error, Rejected):
        return error.code, short(error.reason)
    if isinstance(error, SitooError) and error.disposition is Disposition.DEAD_LETTER:
        return "sitoo_refused", describe(error)
    if entry.deliveries >= max_deliveries:
        return (
            "retries_exhausted",
            short(f"still failing after {entry.deliveries} deliveries: {describe(error)}"),
        )
    return None


class Parking:
    """Parks an entry: the dead letter, then its failed result, then the reply if one is due."""

    def __init__(
        self, dead_letters: DeadLetterStore, results: Settlements, replier: Replier
    ) -> None:
        self._dead_letters = dead_letters
        self._results = results
        self._replier = replier

    async def park(
        self,
        entry: Entry,
        parsed: Parsed | None,
        error: BaseException,
        verdict: tuple[str, str],
    ) -> str | None:
        """Park ``entry`` with the verdict; the event type, when known."""
        code, reason = verdict
        event = parsed.event if parsed is not None else None
        envelope = event.envelope if event is not None else getattr(error, "envelope", None)
        event_id = envelope.event_id if envelope is not None else best_effort_event_id(entry.fields)
        event_type = envelope.type if envelope is not None else None
        await self._dead_letters.park(
            stream=entry.stream,
            entry_id=entry.entry_id,
            fields=entry.fields,
            event_type=event_type,
            event_id=event_id,
            reason_code=code,
            reason=reason,
            deliveries=entry.deliveries,
        )
        data = ResultData(
            inbound_event_id=event_id,
            inbound_type=event_type or UNKNOWN_TYPE,
            stream=entry.stream,
            entry_id=entry.entry_id,
            status="failed",
            reason_code=code,
            reason=reason,
            dead_lettered=True,
        )
        # An entry that could not be read is keyed by itself: a hostile entry reusing a
        # good event's id must not stand in for that event's result.
        key = (
            self._results.event_key(event.event_id)
            if event is not None
            else self._results.entry_key(entry.stream, entry.entry_id)
        )
        correlation_id = envelope.correlation_id if envelope is not None else None
        [answer] = await self._results.settle(
            [Settling(key, entry_ref(entry), data, correlation_id)]
        )
        if isinstance(answer, Exception):
            raise answer
        if parsed is not None and parsed.reply_to is not None and event_id is not None:
            await self._replier.reply(parsed.reply_to, reply_from(answer or data))
        return event_type
