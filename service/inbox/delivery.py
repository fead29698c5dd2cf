"""The delivery decision for every inbound entry: run it, repeat its result, or refuse it.

:mod:`service.inbox.outcomes` records what the decision came to (results, replies,
dead letters, acks). Bad input never raises out of here, so it never stops a consumer.

Every event settles once (:class:`service.inbox.transport.ResultLedger`): a delivery leases the
event before running it, a delivery that finds the event leased elsewhere leaves its
entry pending, and a delivery of an event settled before repeats the recorded result
(and reply) instead of computing a new one. An event id first seen with other content is
a conflict: the first event stands and the entry is dead-lettered.

Only deliveries that run the event count towards ``max_deliveries``: one that found it
busy did nothing that could fail again. A run after an earlier one (or after a delivery
the stream remembers) looks its writes up before making them, since their records may
have been lost with a Redis that failed over (:mod:`service.sitoo.caution`). An event
whose ``max_deliveries`` runs all died without a result (a replica killed each time) is
never given up blind: its next runs only look its writes up, and it settles with what
they find, or is dead-lettered saying which write was not found and so not made.

Whatever fails, the run numbered ``max_deliveries`` ends the entry: what escapes the
decisions above is caught here, and on that delivery the entry is parked (or, when its
outcome was recorded already, acknowledged).
"""

from __future__ import annotations

import asyncio
import dataclasses
import secrets
import time
from collections.abc import Sequence

import structlog

from service.inbox.entries import (
    Decided,
    DeliveryObserver,
    Entry,
    Parsed,
    RunBatch,
    RunOne,
    Settlement,
    Unparsed,
    entry_ref,
)
from service.inbox.outcomes import Outcomes
from service.inbox.parking import Parking, ReusedEventId, UnsettledEvent, verdict
from service.inbox.reading import EntryReader
from service.inbox.transport import (
    Begun,
    ConsumerGroup,
    DeadLetterSink,
    ReplyChannel,
    ResultLedger,
)
from service.logs import bind_message_context, clear_message_context
from service.sitoo.caution import Caution, caution
from service.usecases.outcome import Outcome
from service.usecases.stock import Result

log = structlog.get_logger(__name__)
_YIELD_EVERY = 50  # entries parsed between two chances for other handlers to run
# Look-up-only runs granted an event after max_deliveries runs died without a result; if
# these die too (the event itself kills its consumer), it is parked for a person.
LOOK_UP_RUNS = 2
__all__ = ["DeliveryHandler", "DeliveryObserver", "Entry", "Settlement"]


class DeliveryHandler:
    """Applies entries through the use cases and settles each one exactly once."""

    def __init__(
        self,
        *,
        group: ConsumerGroup,
        max_deliveries: int,
        reader: EntryReader,
        dead_letters: DeadLetterSink,
        results: ResultLedger,
        replier: ReplyChannel,
        run_one: RunOne,
        run_batch: RunBatch,
        observer: DeliveryObserver | None = None,
    ) -> None:
        self._group = group
        self._max_deliveries = max_deliveries
        self._reader = reader
        self._results = results
        self._outcomes = Outcomes(
            group=group,
            results=results,
            parking=Parking(dead_letters, results, replier, max_deliveries=max_deliveries),
            max_deliveries=max_deliveries,
            observer=observer,
        )
        self._run_one = run_one
        self._run_batch = run_batch
        self._observer = observer

    async def delivery_counts(self, stream: str, entry_ids: Sequence[str]) -> dict[str, int]:
        """How often each entry has been delivered; 1 for ones no longer pending."""
        return await self._group.delivery_counts(stream, entry_ids)

    async def handle(self, entry: Entry) -> None:
        """Settle one entry (orders, gift cards, gift-card requests)."""
        bind_message_context(stream=entry.stream, entry_id=entry.entry_id)
        started = time.perf_counter()
        read = self._reader.read(entry)
        try:
            await self._handle(entry, read)
        except Exception as error:  # noqa: BLE001 - bounded here, whatever it was
            await self._outcomes.contain([(entry, read)], error)
        finally:
            clear_message_context()
            if self._observer is not None:
                self._observer.handled(entry.stream, time.perf_counter() - started)

    async def _handle(self, entry: Entry, read: Parsed | Unparsed) -> None:
        self._consumed(entry, read)
        parsed = await self._reader.confirm_reply_target(read)
        if isinstance(parsed, Unparsed):
            await self._outcomes.refuse(entry, parsed)
            return
        bind_message_context(
            stream=entry.stream,
            entry_id=entry.entry_id,
            event_id=parsed.event.event_id,
            event_type=parsed.event.type,
            correlation_id=parsed.event.envelope.correlation_id,
        )
        token = secrets.token_hex(16)
        key = self._results.event_key(parsed.event.event_id)
        [begun] = await self._results.begin([(key, entry_ref(entry), parsed.event.digest)], token)
        if await self._not_to_run(entry, parsed, begun):
            return
        run, level = self._as_run(entry, begun)
        try:
            async with self._results.holding([key], token):
                with caution(level):
                    result: Result = await self._run_one(parsed.event)
        except Exception as error:  # noqa: BLE001 - every failure is settled below
            result = error
        await self._outcomes.settle(run, parsed, result, token=token)

    async def handle_batch(self, entries: Sequence[Entry]) -> None:
        """Settle a batch of stock entries, applying the valid ones together."""
        started = time.perf_counter()
        reads: list[tuple[Entry, Parsed | Unparsed]] = []
        try:
            for index, entry in enumerate(entries):
                if index and index % _YIELD_EVERY == 0:
                    # Parsing a large batch is pure CPU; let a waiting gift-card request (a
                    # customer at checkout) run in between instead of after the whole batch.
                    await asyncio.sleep(0)
                reads.append((entry, self._reader.read(entry)))
            await self._handle_batch(reads)
        except Exception as error:  # noqa: BLE001 - bounded here, whatever it was
            await self._outcomes.contain(reads, error)
        finally:
            if self._observer is not None and entries:
                self._observer.handled(entries[0].stream, time.perf_counter() - started)

    async def _handle_batch(self, reads: Sequence[tuple[Entry, Parsed | Unparsed]]) -> None:
        valid: list[tuple[Entry, Parsed]] = []
        for entry, read in reads:
            self._consumed(entry, read)
            parsed = await self._reader.confirm_reply_target(read)
            if isinstance(parsed, Parsed):
                valid.append((entry, parsed))
            else:
                await self._outcomes.refuse(entry, parsed)
        if not valid:
            return
        token = secrets.token_hex(16)
        begun = await self._results.begin(
            [
                (self._results.event_key(p.event.event_id), entry_ref(e), p.event.digest)
                for e, p in valid
            ],
            token,
        )
        runnable: list[tuple[Entry, Parsed, Caution]] = []
        acks: list[Entry] = []
        for (entry, parsed), answer in zip(valid, begun, strict=True):
            if answer.status == "settled" and answer.result is not None:
                if await self._outcomes.repeat(entry, parsed, answer.result):
                    acks.append(entry)
            elif not await self._not_to_run(entry, parsed, answer):
                run, level = self._as_run(entry, answer)
                runnable.append((run, parsed, level))
        if runnable:
            acks.extend(await self._run_and_settle(runnable, token))
        await self._outcomes.ack_many(acks)

    async def _run_and_settle(
        self, runnable: list[tuple[Entry, Parsed, Caution]], token: str
    ) -> list[Entry]:
        """Run the batch under its leases and settle every entry; the entries to ack.

        Events run in one batch per caution level, so an event that may only be looked
        up never makes its batch-mates look-up-only too.
        """
        keys = [self._results.event_key(p.event.event_id) for _, p, _ in runnable]
        results: dict[str, Result] = {}
        try:
            async with self._results.holding(keys, token):
                for level in Caution:
                    events = [p.event for _, p, c in runnable if c is level]
                    if not events:
                        continue
                    try:
                        with caution(level):
                            results.update(await self._run_batch(events))
                    except Exception as error:  # noqa: BLE001 - the group failed the same way
                        results.update({event.event_id: error for event in events})
        except Exception as error:  # noqa: BLE001 - the whole batch failed the same way
            results = {p.event.event_id: error for _, p, _ in runnable}
        settled: list[Decided] = []
        failed: list[tuple[Entry, Parsed, BaseException]] = []
        for entry, parsed, _ in runnable:
            result = results.get(parsed.event.event_id) or RuntimeError("no result for the event")
            if isinstance(result, Outcome):
                settled.append(Decided(entry, parsed, result))
            else:
                failed.append((entry, parsed, result))
        acks = await self._outcomes.settle_outcomes(settled, token)
        # One line per batch: a line per event would cost more than the batch's Redis work.
        log.info(
            "batch.settled",
            events=len(runnable),
            outcomes=len(acks),
            declined=sum(1 for d in settled if not d.outcome.succeeded),
            failed=len(failed),
        )
        for entry, parsed, failure in failed:
            bind_message_context(
                stream=entry.stream, entry_id=entry.entry_id, event_id=parsed.event.event_id
            )
            try:
                await self._outcomes.settle(entry, parsed, failure, token=token, ack=False)
                if verdict(entry, failure, max_deliveries=self._max_deliveries) is not None:
                    acks.append(entry)
            finally:
                clear_message_context()
        return acks

    async def _not_to_run(self, entry: Entry, parsed: Parsed, begun: Begun) -> bool:
        """Handle a delivery that must not run its event; True when it was handled here."""
        if begun.status == "conflict":
            reused = ReusedEventId(
                parsed.event.envelope,
                first_digest=begun.first_digest or "",
                digest=parsed.event.digest,
            )
            await self._outcomes.settle(entry, parsed, reused)
            return True
        if begun.status == "settled" and begun.result is not None:
            if await self._outcomes.repeat(entry, parsed, begun.result):
                await self._outcomes.ack(entry)
            return True
        if begun.status == "busy":
            self._outcomes.observed(entry, parsed.event, "retried")
            log.info(
                "event.in_flight_elsewhere",
                event_id=parsed.event.event_id,
                entry_id=entry.entry_id,
                deliveries=entry.deliveries,
            )
            return True  # stays pending; it finds the recorded result when delivered again
        if begun.runs > self._max_deliveries + LOOK_UP_RUNS:
            # Its runs died and so did the runs that only looked its writes up: whatever
            # kills the consumer is in the event. Parked for a person, saying so.
            error = UnsettledEvent(
                f"run {begun.runs - 1} times without a result, the last {LOOK_UP_RUNS} only "
                "looking its writes up, and every run ended with its consumer (killed or "
                "crashed); writes of it may have been made in Sitoo: look them up before "
                "replaying"
            )
            run, _ = self._as_run(entry, begun)
            await self._outcomes.settle(run, parsed, error)
            return True
        return False

    def _as_run(self, entry: Entry, begun: Begun) -> tuple[Entry, Caution]:
        """The delivery counted by the runs of its event, and how carefully it may write.

        Runs, not deliveries, count towards ``max_deliveries``. Past them, the event's
        writes are only looked up; after an earlier run (or any earlier delivery, which
        the stream remembers even when a failover lost the event's records) they are
        looked up before being made.
        """
        if begun.runs > self._max_deliveries:
            level = Caution.LOOK_ONLY
        elif begun.runs > 1 or entry.deliveries > 1:
            level = Caution.LOOK_FIRST
        else:
            level = Caution.FIRST
        return dataclasses.replace(entry, deliveries=begun.runs), level

    def _consumed(self, entry: Entry, read: Parsed | Unparsed) -> None:
        if self._observer is None:
            return
        if isinstance(read, Parsed):
            event_type: str | None = read.event.type
        else:
            event_type = read.error.envelope.type if read.error.envelope is not None else None
        self._observer.consumed(entry.stream, event_type)
