"""How a delivery ends when it cannot succeed: the verdict, the dead letter, its result, a reply.

Also the two rules that bound every delivery, whatever fails: a reply that cannot be
pushed never keeps an entry from being acknowledged once its outcome is recorded, and the
delivery numbered ``max_deliveries`` ends the entry even when something unforeseen broke.
"""

from __future__ import annotations

import structlog

from service.contracts.envelope import Envelope, InvalidEntry, best_effort_event_id
from service.contracts.giftcards import GiftCardReply
from service.contracts.registry import known_type
from service.contracts.results import UNKNOWN_TYPE, ResultData
from service.inbox.entries import (
    Entry,
    Parsed,
    describe,
    entry_ref,
    reply_from,
    short,
)
from service.inbox.transport import (
    DeadLetterSink,
    EntryToPark,
    ReplyChannel,
    ReplyNotDelivered,
    ResultLedger,
    Settling,
)
from service.sitoo.errors import (
    ClaimNotReplicated,
    Disposition,
    OperationInFlight,
    SitooError,
    WriteWithheld,
)
from service.usecases.outcome import Rejected

log = structlog.get_logger(__name__)


class ReusedEventId(Exception):
    """The entry's event id was first seen with other content; that first event stands."""

    def __init__(self, envelope: Envelope, *, first_digest: str, digest: str) -> None:
        super().__init__(
            f"event_id was first used with other content ({first_digest}); this entry's "
            f"content is {digest}. The first event stands; send a new event_id for new content"
        )
        self.envelope = envelope
        self.first_digest = first_digest
        self.digest = digest


# Runs that sent nothing and only waited: for a write claimed by another delivery (its
# claim runs out within its lease), or for replicas to acknowledge a claim (the write is
# not sent while they do not). They stay pending and do not count as runs.
WAITED = (OperationInFlight, ClaimNotReplicated)


class UnsettledEvent(Exception):
    """Every run of the event ended with its consumer, the look-up-only runs included."""


def verdict(entry: Entry, error: BaseException, *, max_deliveries: int) -> tuple[str, str] | None:
    """(code, reason) to dead-letter with, or None to leave the entry pending.

    ``entry.deliveries`` counts the runs of its event. A run that did nothing but wait
    (:data:`WAITED`) stays pending whatever the count.
    """
    if isinstance(error, WAITED):
        return None
    at_once = _dead_at_once(error)
    if at_once is not None:
        return at_once
    if entry.deliveries >= max_deliveries:
        return (
            "retries_exhausted",
            short(f"still failing after {entry.deliveries} deliveries: {describe(error)}"),
        )
    return None


def _dead_at_once(error: BaseException) -> tuple[str, str] | None:
    """(code, reason) for failures that repeating cannot mend."""
    if isinstance(error, UnsettledEvent | WriteWithheld):
        return "retries_exhausted", describe(error)
    if isinstance(error, InvalidEntry):
        return "invalid", short(error.reason)
    if isinstance(error, ReusedEventId):
        return "conflict", short(str(error))
    if isinstance(error, Rejected):
        return error.code, short(error.reason)
    if isinstance(error, SitooError) and error.disposition is Disposition.DEAD_LETTER:
        return "sitoo_refused", describe(error)
    return None


class Parking:
    """Parks an entry: the dead letter, then its failed result, then the reply if one is due."""

    def __init__(
        self,
        dead_letters: DeadLetterSink,
        results: ResultLedger,
        replier: ReplyChannel,
        *,
        max_deliveries: int,
    ) -> None:
        self._dead_letters = dead_letters
        self._results = results
        self._replier = replier
        self._max_deliveries = max_deliveries

    async def park(
        self,
        entry: Entry,
        parsed: Parsed | None,
        error: BaseException,
        verdict: tuple[str, str],
        *,
        reply_to: str | None,
    ) -> str | None:
        """Park ``entry`` with the verdict; the event type, when known."""
        code, reason = verdict
        event = parsed.event if parsed is not None else None
        envelope = event.envelope if event is not None else getattr(error, "envelope", None)
        event_id = envelope.event_id if envelope is not None else best_effort_event_id(entry.fields)
        # Only a known type is named outward (result type, dead letter, reply, metrics).
        event_type = known_type(envelope.type) if envelope is not None else None
        extra: dict[str, str] = {}
        if isinstance(error, ReusedEventId):
            extra = {"digest": error.digest, "first_digest": error.first_digest}
        await self._dead_letters.park(
            EntryToPark(
                stream=entry.stream,
                entry_id=entry.entry_id,
                fields=entry.fields,
                event_type=event_type,
                event_id=event_id,
                reason_code=code,
                reason=reason,
                deliveries=entry.deliveries,
                extra=extra,
            )
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
        # An entry that could not be read, or that reuses another event's id, is keyed by
        # itself: it must not stand in for that event's result, nor share its result id.
        entry_bound = event is None or isinstance(error, ReusedEventId)
        key = (
            self._results.entry_key(entry.stream, entry.entry_id)
            if entry_bound or event is None
            else self._results.event_key(event.event_id)
        )
        correlation_id = envelope.correlation_id if envelope is not None else None
        [answer] = await self._results.settle(
            [Settling(key, entry_ref(entry), data, correlation_id, entry_bound=entry_bound)]
        )
        if isinstance(answer, Exception):
            raise answer
        if reply_to is not None:
            once_per = entry_ref(entry) if entry_bound else None
            await self.answer(entry, reply_to, reply_from(answer or data), once_per=once_per)
        return event_type

    async def answer(
        self, entry: Entry, key: str, reply: GiftCardReply, *, once_per: str | None = None
    ) -> None:
        """Reply once the outcome is recorded; a reply that cannot be pushed ends here.

        A target that is no longer a list gets no reply (it was checked before the
        effect). Any other failure leaves the entry pending for a redelivery to reply
        again, except on the last delivery, which must end the entry regardless.
        """
        try:
            await self._replier.reply(key, reply, once_per=once_per)
        except ReplyNotDelivered as error:
            log.warning("reply.not_delivered", reason=str(error)[:200])
        except Exception as error:
            if entry.deliveries < self._max_deliveries:
                raise
            log.warning("reply.given_up", error=describe(error), deliveries=entry.deliveries)

    async def last_resort(
        self, entry: Entry, parsed: Parsed | None, error: BaseException, *, reply_to: str | None
    ) -> bool:
        """End an entry whose last delivery failed unexpectedly; True when it was parked.

        If its outcome was recorded before the failure, that outcome stands (False: only
        the ack is missing); otherwise it is dead-lettered as ``retries_exhausted``.
        """
        if parsed is not None:
            key = self._results.event_key(parsed.event.event_id)
            if await self._results.recorded(key, entry_ref(entry)) is not None:
                return False
        reason = f"delivery {entry.deliveries} failed unexpectedly: {describe(error)}"
        await self.park(
            entry, parsed, error, ("retries_exhausted", short(reason)), reply_to=reply_to
        )
        return True
