"""The delivery decision for every inbound entry: apply, report, dead-letter or leave pending.

An entry is acknowledged only after its outcome is recorded: a result event (and a
reply for a request), or a dead letter plus a failed result. Transient failures leave it
pending for the reclaimer until ``max_deliveries``; invalid or refused entries are
dead-lettered at once. Bad input never raises out of here, so it never stops a consumer.

Every event settles once (:mod:`service.consumers.settlement`): a delivery leases the
event before running it, a delivery that finds the event leased elsewhere leaves its
entry pending, and a delivery of an event settled before repeats the recorded result
(and reply) instead of computing a new one.
"""

from __future__ import annotations

import asyncio
import secrets
import time
from collections.abc import Sequence
from typing import TYPE_CHECKING

import structlog

from service.consumers.entries import (
    Decided,
    DeliveryObserver,
    Entry,
    Parsed,
    RunBatch,
    RunOne,
    Settlement,
    describe,
    entry_ref,
    reply_from,
)
from service.consumers.parking import Parking, verdict
from service.consumers.results import InvalidReplyTo, Replier
from service.consumers.settlement import Begun, Settlements, Settling
from service.contracts.envelope import (
    REPLY_TO_FIELD,
    InvalidEntry,
    decode_envelope,
)
from service.contracts.registry import InboundEvent, validate_payload
from service.contracts.results import ResultData
from service.deadletters import DeadLetterStore
from service.logs import bind_message_context, clear_message_context
from service.usecases.outcome import Outcome
from service.usecases.stock import Result

if TYPE_CHECKING:
    import redis.asyncio as aioredis

log = structlog.get_logger(__name__)
_YIELD_EVERY = 50  # entries parsed between two chances for other handlers to run
__all__ = ["DeliveryHandler", "DeliveryObserver", "Entry", "Settlement"]


class DeliveryHandler:
    """Applies entries through the use cases and settles each one exactly once."""

    def __init__(
        self,
        *,
        redis: aioredis.Redis,
        group: str,
        max_deliveries: int,
        max_entry_bytes: int,
        dead_letters: DeadLetterStore,
        results: Settlements,
        replier: Replier,
        run_one: RunOne,
        run_batch: RunBatch,
        observer: DeliveryObserver | None = None,
    ) -> None:
        self._redis = redis
        self._group = group
        self._max_deliveries = max_deliveries
        self._max_entry_bytes = max_entry_bytes
        self._results = results
        self._replier = replier
        self._parking = Parking(dead_letters, results, replier)
        self._run_one = run_one
        self._run_batch = run_batch
        self._observer = observer

    async def delivery_counts(self, stream: str, entry_ids: Sequence[str]) -> dict[str, int]:
        """How often each entry has been delivered (XPENDING); 1 for unknown ones."""
        async with self._redis.pipeline(transaction=False) as pipe:
            for entry_id in entry_ids:
                pipe.xpending_range(stream, self._group, min=entry_id, max=entry_id, count=1)
            replies = await pipe.execute()
        counts: dict[str, int] = {}
        for entry_id, reply in zip(entry_ids, replies, strict=True):
            counts[entry_id] = int(reply[0]["times_delivered"]) if reply else 1
        return counts

    async def handle(self, entry: Entry) -> None:
        """Settle one entry (orders, gift cards, gift-card requests)."""
        bind_message_context(stream=entry.stream, entry_id=entry.entry_id)
        started = time.perf_counter()
        try:
            parsed = self._parse(entry)
            self._consumed(entry, parsed)
            if not isinstance(parsed, Parsed):
                await self._settle(entry, None, parsed)
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
            [begun] = await self._results.begin([(key, entry_ref(entry))], token)
            if await self._not_to_run(entry, parsed, begun):
                return
            try:
                async with self._results.holding([key], token):
                    result: Result = await self._run_one(parsed.event)
            except Exception as error:  # noqa: BLE001 - every failure is settled below
                result = error
            await self._settle(entry, parsed, result, token=token)
        finally:
            clear_message_context()
            if self._observer is not None:
                self._observer.handled(entry.stream, time.perf_counter() - started)

    async def handle_batch(self, entries: Sequence[Entry]) -> None:
        """Settle a batch of stock entries, applying the valid ones together."""
        started = time.perf_counter()
        try:
            await self._handle_batch(entries)
        finally:
            if self._observer is not None and entries:
                self._observer.handled(entries[0].stream, time.perf_counter() - started)

    async def _handle_batch(self, entries: Sequence[Entry]) -> None:
        valid: list[tuple[Entry, Parsed]] = []
        for index, entry in enumerate(entries):
            if index and index % _YIELD_EVERY == 0:
                # Parsing a large batch is pure CPU; let a waiting gift-card request (a
                # customer at checkout) run in between instead of after the whole batch.
                await asyncio.sleep(0)
            parsed = self._parse(entry)
            self._consumed(entry, parsed)
            if isinstance(parsed, Parsed):
                valid.append((entry, parsed))
            else:
                await self._settle(entry, None, parsed)
        if not valid:
            return
        token = secrets.token_hex(16)
        begun = await self._results.begin(
            [(self._results.event_key(p.event.event_id), entry_ref(e)) for e, p in valid], token
        )
        runnable: list[tuple[Entry, Parsed]] = []
        acks: list[Entry] = []
        for (entry, parsed), answer in zip(valid, begun, strict=True):
            if answer.status == "settled" and answer.result is not None:
                if await self._repeat(entry, parsed, answer.result):
                    acks.append(entry)
            elif answer.status == "run":
                runnable.append((entry, parsed))
            else:
                await self._not_to_run(entry, parsed, answer)
        if runnable:
            acks.extend(await self._run_and_settle(runnable, token))
        await self._ack_many(acks)

    async def _run_and_settle(
        self, runnable: list[tuple[Entry, Parsed]], token: str
    ) -> list[Entry]:
        """Run the batch under its leases and settle every entry; the entries to ack."""
        keys = [self._results.event_key(p.event.event_id) for _, p in runnable]
        try:
            async with self._results.holding(keys, token):
                results = await self._run_batch([p.event for _, p in runnable])
        except Exception as error:  # noqa: BLE001 - the whole batch failed the same way
            results = {p.event.event_id: error for _, p in runnable}
        settled: list[Decided] = []
        failed: list[tuple[Entry, Parsed, BaseException]] = []
        for entry, parsed in runnable:
            result = results.get(parsed.event.event_id) or RuntimeError("no result for the event")
            if isinstance(result, Outcome):
                settled.append(Decided(entry, parsed, result))
            else:
                failed.append((entry, parsed, result))
        acks = await self._settle_outcomes(settled, token)
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
                await self._settle(entry, parsed, failure, token=token, ack=False)
                if self._verdict(entry, failure) is not None:
                    acks.append(entry)
            finally:
                clear_message_context()
        return acks

    async def _settle_outcomes(self, decided: list[Decided], token: str | None) -> list[Entry]:
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
                await self._replier.reply(item.parsed.reply_to, reply_from(data))
            acks.append(item.entry)
            self._observed(
                item.entry, item.parsed.event, "succeeded" if outcome.succeeded else "declined"
            )
        if unrecorded and token is not None:
            # Left pending: let the next delivery run it again (its writes are recorded).
            await self._results.release(unrecorded, token)
        return acks

    async def _not_to_run(self, entry: Entry, parsed: Parsed, begun: Begun) -> bool:
        """Handle a delivery that must not run its event; True when it was handled here."""
        if begun.status == "settled" and begun.result is not None:
            if await self._repeat(entry, parsed, begun.result):
                await self._ack(entry)
            return True
        if begun.status == "busy":
            self._observed(entry, parsed.event, "retried")
            log.info(
                "event.in_flight_elsewhere",
                event_id=parsed.event.event_id,
                entry_id=entry.entry_id,
                deliveries=entry.deliveries,
            )
            return True  # stays pending; it finds the recorded result when delivered again
        if entry.deliveries > self._max_deliveries:
            exhausted = InvalidEntry(
                f"delivered {entry.deliveries} times without being settled "
                "(a consumer may have crashed on it)",
                envelope=parsed.event.envelope,
            )
            await self._settle(entry, parsed, exhausted)
            return True
        return False

    async def _repeat(self, entry: Entry, parsed: Parsed, recorded: ResultData) -> bool:
        """Answer a delivery of an event settled before with the recorded result."""
        if parsed.reply_to is not None:
            await self._replier.reply(parsed.reply_to, reply_from(recorded))
        self._observed(
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

    def _consumed(self, entry: Entry, parsed: Parsed | InvalidEntry) -> None:
        if self._observer is None:
            return
        if isinstance(parsed, Parsed):
            event_type: str | None = parsed.event.type
        else:
            event_type = parsed.envelope.type if parsed.envelope is not None else None
        self._observer.consumed(entry.stream, event_type)

    def _parse(self, entry: Entry) -> Parsed | InvalidEntry:
        try:
            envelope = decode_envelope(entry.fields, max_bytes=self._max_entry_bytes)
            event = validate_payload(envelope, entry.channel)
            raw_reply_to = entry.fields.get(REPLY_TO_FIELD.encode())
            reply_to = None if raw_reply_to is None else self._replier.check(raw_reply_to)
        except InvalidEntry as invalid:
            return invalid
        except InvalidReplyTo as bad:
            return InvalidEntry(f"invalid {REPLY_TO_FIELD}: {bad}", envelope=envelope)
        return Parsed(event, reply_to)

    async def _settle(
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
            if await self._settle_outcomes([Decided(entry, parsed, result)], token) and ack:
                await self._ack(entry)
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
                await self._results.release([self._results.event_key(event.event_id)], token)
            self._observed(entry, event, "retried")
            log.warning(
                "event.retry_later",
                error=describe(result),
                deliveries=entry.deliveries,
                max_deliveries=self._max_deliveries,
            )
            return  # stays pending; the reclaimer delivers it again
        await self._dead_letter(entry, parsed, result, verdict, ack=ack)

    async def _dead_letter(
        self,
        entry: Entry,
        parsed: Parsed | None,
        error: BaseException,
        verdict: tuple[str, str],
        *,
        ack: bool,
    ) -> None:
        event_type = await self._parking.park(entry, parsed, error, verdict)
        if ack:
            await self._ack(entry)
        if self._observer is not None:
            self._observer.settled(entry.stream, event_type, "dead_lettered")
        log.warning(
            "event.dead_lettered",
            reason_code=verdict[0],
            reason=verdict[1],
            deliveries=entry.deliveries,
        )

    def _observed(self, entry: Entry, event: InboundEvent | None, settlement: Settlement) -> None:
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

    async def _ack(self, entry: Entry) -> None:
        await self._redis.xack(entry.stream, self._group, entry.entry_id)

    async def _ack_many(self, entries: Sequence[Entry]) -> None:
        by_stream: dict[str, list[str]] = {}
        for entry in entries:
            by_stream.setdefault(entry.stream, []).append(entry.entry_id)
        for stream, ids in by_stream.items():
            await self._redis.xack(stream, self._group, *ids)
