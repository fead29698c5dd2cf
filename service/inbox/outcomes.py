"""What becomes of a delivery: results and replies recorded, dead letters, acks, the last resort.

The delivery handler decides what to run; this records the outcome. An entry is
acknowledged only after its outcome is recorded: a result event (and a reply for a
request), or a dead letter plus a failed result. Transient failures leave it pending for
the reclaimer until ``max_deliveries``; invalid or refused entries are dead-lettered at once.
"""

from __future__ import annotations

from collections.abc import Sequence

import structlog

from service.contracts.registry import InboundEvent
from service.contracts.results import ResultData
from service.inbox.entries import (
    Decided,
    DeliveryObserver,
    Entry,
    Parsed,
    Settlement,
    Unparsed,
    describe,
    entry_ref,
    reply_from,
    short,
)
from service.inbox.parking import WAITED, Parking, verdict
from service.inbox.transport import ConsumerGroup, ResultLedger, Settling
from service.usecases.outcome import Outcome
from service.usecases.stock import Result

log = structlog.get_logger(__name__)


class Outcomes:
    """Records outcomes, parks entries and acknowledges them in their consumer group."""

    def __init__(
        self,
        *,
        group: ConsumerGroup,
        results: ResultLedger,
        parking: Parking,
        max_deliveries: int,
        observer: DeliveryObserver | None,
    ) -> None:
        self._group = group
        self._results = results
        self._parking = parking
        self._max_deliveries = max_deliveries
        self._observer = observer

    async def contain(
        self, reads: Sequence[tuple[Entry, Parsed | Unparsed]], error: Exception
    ) -> None:
        """An unforeseen failure: pending for a redelivery, or ended on the last delivery."""
        for entry, read in reads:
            log.warning(
                "event.delivery_failed",
                entry_id=entry.entry_id,
                error=describe(error),
                deliveries=entry.deliveries,
                max_deliveries=self._max_deliveries,
            )
            if entry.deliveries < self._max_deliveries:
                continue
            parsed = read if isinstance(read, Parsed) else None
            try:
                parked = await self._parking.last_resort(
                    entry, parsed, error, reply_to=read.reply_to
                )
                await self.ack(entry)
            except Exception as again:  # noqa: BLE001 - Redis itself fails: stays pending
                log.error(  # noqa: TRY400 - the reason is the point, not a traceback
                    "event.not_ended", entry_id=entry.entry_id, error=describe(again)
                )
                continue
            if parked:
                self.observed(entry, parsed.event if parsed else None, "dead_lettered")

    async def settle_outcomes(self, decided: list[Decided], token: str | None) -> list[Entry]:
        """Record and emit many outcomes in one round trip; the entries now safe to ack."""
        answers = await self._results.settle(
            [self._settling(d.entry, d.parsed, d.outcome) for d in decided]
        )
        acks: list[Entry] = []
        unrecorded: list[str] = []
        for item, answer in zip(decided, answers, strict=True):
            if isinstance(answer, Exception):
                log.warning(
                    "event.result_not_recorded",
                    event_id=item.parsed.event.event_id,
                    error=describe(answer),
                )
                unrecorded.append(self._results.event_key(item.parsed.event.event_id))
                continue
            outcome = item.outcome
            if item.parsed.reply_to is not None:
                data = answer or self._data(item.entry, item.parsed.event, outcome)
                await self._parking.answer(item.entry, item.parsed.reply_to, reply_from(data))
            acks.append(item.entry)
            self.observed(
                item.entry, item.parsed.event, "succeeded" if outcome.succeeded else "declined"
            )
        if unrecorded and token is not None:
            # Left pending: let the next delivery run it again (its writes are recorded).
            await self._results.release(unrecorded, token)
        return acks

    async def repeat(self, entry: Entry, parsed: Parsed, recorded: ResultData) -> bool:
        """Answer a delivery of an event settled before with the recorded result."""
        if parsed.reply_to is not None:
            await self._parking.answer(entry, parsed.reply_to, reply_from(recorded))
        self.observed(
            entry, parsed.event, "succeeded" if recorded.status == "succeeded" else "declined"
        )
        log.info(
            "event.settled_before",
            event_id=parsed.event.event_id,
            entry_id=entry.entry_id,
            status=recorded.status,
            reason_code=recorded.reason_code,
            deliveries=entry.deliveries,
        )
        return True

    async def refuse(self, entry: Entry, unparsed: Unparsed) -> None:
        """Dead-letter an entry that cannot run, answering its sender if it waits."""
        error = unparsed.error
        verdict = ("invalid", short(error.reason))
        await self._dead_letter(entry, None, error, verdict, ack=True, reply_to=unparsed.reply_to)

    async def settle(
        self,
        entry: Entry,
        parsed: Parsed | None,
        result: Result,
        *,
        token: str | None = None,
        ack: bool = True,
    ) -> None:
        event = parsed.event if parsed is not None else None
        if isinstance(result, Outcome):
            assert parsed is not None  # noqa: S101 - only events that ran have outcomes
            if await self.settle_outcomes([Decided(entry, parsed, result)], token) and ack:
                await self.ack(entry)
            log.info(
                "event.settled",
                status="succeeded" if result.succeeded else "declined",
                reason_code=result.reason_code,
                deliveries=entry.deliveries,
            )
            return
        verdict = self._verdict(entry, result)
        if verdict is None:
            if token is not None and event is not None:
                await self._results.release(
                    [self._results.event_key(event.event_id)],
                    token,
                    uncount=isinstance(result, WAITED),
                )
            self.observed(entry, event, "retried")
            log.warning(
                "event.retry_later",
                error=describe(result),
                deliveries=entry.deliveries,
                max_deliveries=self._max_deliveries,
            )
            return  # stays pending; the reclaimer delivers it again
        reply_to = parsed.reply_to if parsed is not None else None
        await self._dead_letter(entry, parsed, result, verdict, ack=ack, reply_to=reply_to)

    async def _dead_letter(
        self,
        entry: Entry,
        parsed: Parsed | None,
        error: BaseException,
        verdict: tuple[str, str],
        *,
        ack: bool,
        reply_to: str | None,
    ) -> None:
        event_type = await self._parking.park(entry, parsed, error, verdict, reply_to=reply_to)
        if ack:
            await self.ack(entry)
        if self._observer is not None:
            self._observer.settled(entry.stream, event_type, "dead_lettered")
        log.warning(
            "event.dead_lettered",
            reason_code=verdict[0],
            reason=verdict[1],
            deliveries=entry.deliveries,
        )

    def observed(self, entry: Entry, event: InboundEvent | None, settlement: Settlement) -> None:
        if self._observer is not None:
            self._observer.settled(
                entry.stream, event.type if event is not None else None, settlement
            )

    def _verdict(self, entry: Entry, error: BaseException) -> tuple[str, str] | None:
        """(code, reason) to dead-letter with, or None to leave the entry pending."""
        return verdict(entry, error, max_deliveries=self._max_deliveries)

    def _data(self, entry: Entry, event: InboundEvent, outcome: Outcome) -> ResultData:
        return ResultData(
            inbound_event_id=event.event_id,
            inbound_type=event.type,
            stream=entry.stream,
            entry_id=entry.entry_id,
            status="succeeded" if outcome.succeeded else "failed",
            sitoo=outcome.sitoo,
            reason_code=outcome.reason_code,
            reason=outcome.reason,
            dead_lettered=False,
        )

    def _settling(self, entry: Entry, parsed: Parsed, outcome: Outcome) -> Settling:
        event = parsed.event
        return Settling(
            self._results.event_key(event.event_id),
            entry_ref(entry),
            self._data(entry, event, outcome),
            event.envelope.correlation_id,
        )

    async def ack(self, entry: Entry) -> None:
        await self._group.acknowledge(entry.stream, [entry.entry_id])

    async def ack_many(self, entries: Sequence[Entry]) -> None:
        by_stream: dict[str, list[str]] = {}
        for entry in entries:
            by_stream.setdefault(entry.stream, []).append(entry.entry_id)
        for stream, ids in by_stream.items():
            await self._group.acknowledge(stream, ids)
