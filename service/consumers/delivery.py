"""The delivery decision for every inbound entry: apply, report, dead-letter or leave pending.

An entry is acknowledged only after its outcome is recorded: a result event (and a
reply for a request), or a dead letter plus a failed result. Transient failures leave it
pending for the reclaimer until ``max_deliveries``; invalid or refused entries are
dead-lettered at once. Bad input never raises out of here, so it never stops a consumer.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

import structlog

from service.consumers.results import InvalidReplyTo, Replier, ResultPublisher
from service.contracts.envelope import (
    REPLY_TO_FIELD,
    InvalidEntry,
    best_effort_event_id,
    decode_envelope,
)
from service.contracts.giftcards import GiftCardReply
from service.contracts.registry import Channel, InboundEvent, validate_payload
from service.contracts.results import UNKNOWN_TYPE, ResultData
from service.deadletters import DeadLetterStore
from service.logs import bind_message_context, clear_message_context
from service.sitoo.errors import Disposition, SitooError
from service.usecases.outcome import Outcome, Rejected
from service.usecases.stock import Result

if TYPE_CHECKING:
    import redis.asyncio as aioredis

log = structlog.get_logger(__name__)
_REASON_LIMIT = 500

RunOne = Callable[[InboundEvent], Awaitable[Outcome]]
RunBatch = Callable[[Sequence[InboundEvent]], Awaitable[dict[str, Result]]]


@dataclass(frozen=True, slots=True)
class Entry:
    """One delivery of one stream entry."""

    stream: str
    channel: Channel
    entry_id: str
    fields: dict[bytes, bytes]
    deliveries: int


@dataclass(frozen=True, slots=True)
class _Parsed:
    event: InboundEvent
    reply_to: str | None


def _short(text: str) -> str:
    return text if len(text) <= _REASON_LIMIT else text[: _REASON_LIMIT - 1] + "…"


def _describe(error: BaseException) -> str:
    return _short(f"{type(error).__name__}: {error}")


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
        results: ResultPublisher,
        replier: Replier,
        run_one: RunOne,
        run_batch: RunBatch,
    ) -> None:
        self._redis = redis
        self._group = group
        self._max_deliveries = max_deliveries
        self._max_entry_bytes = max_entry_bytes
        self._dead_letters = dead_letters
        self._results = results
        self._replier = replier
        self._run_one = run_one
        self._run_batch = run_batch

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
        try:
            parsed = self._parse(entry)
            if not isinstance(parsed, _Parsed):
                await self._settle(entry, None, None, parsed)
                return
            bind_message_context(
                stream=entry.stream,
                entry_id=entry.entry_id,
                event_id=parsed.event.event_id,
                event_type=parsed.event.type,
                correlation_id=parsed.event.envelope.correlation_id,
            )
            try:
                result: Result = await self._run_one(parsed.event)
            except Exception as error:  # noqa: BLE001 - every failure is settled below
                result = error
            await self._settle(entry, parsed.event, parsed.reply_to, result)
        finally:
            clear_message_context()

    async def handle_batch(self, entries: Sequence[Entry]) -> None:
        """Settle a batch of stock entries, applying the valid ones together."""
        valid: list[tuple[Entry, InboundEvent]] = []
        for entry in entries:
            parsed = self._parse(entry)
            if isinstance(parsed, _Parsed):
                valid.append((entry, parsed.event))
            else:
                await self._settle(entry, None, None, parsed)
        if not valid:
            return
        try:
            results = await self._run_batch([event for _, event in valid])
        except Exception as error:  # noqa: BLE001 - the whole batch failed the same way
            results = {event.event_id: error for _, event in valid}
        for entry, event in valid:
            bind_message_context(
                stream=entry.stream, entry_id=entry.entry_id, event_id=event.event_id
            )
            try:
                outcome = results.get(event.event_id) or RuntimeError("no result for the event")
                await self._settle(entry, event, None, outcome)
            finally:
                clear_message_context()

    def _parse(self, entry: Entry) -> _Parsed | InvalidEntry:
        if entry.deliveries > self._max_deliveries:
            return InvalidEntry(
                f"delivered {entry.deliveries} times without being settled "
                "(a consumer may have crashed on it)"
            )
        try:
            envelope = decode_envelope(entry.fields, max_bytes=self._max_entry_bytes)
            event = validate_payload(envelope, entry.channel)
            raw_reply_to = entry.fields.get(REPLY_TO_FIELD.encode())
            reply_to = None if raw_reply_to is None else self._replier.check(raw_reply_to)
        except InvalidEntry as invalid:
            return invalid
        except InvalidReplyTo as bad:
            return InvalidEntry(f"invalid {REPLY_TO_FIELD}: {bad}", envelope=envelope)
        return _Parsed(event, reply_to)

    async def _settle(
        self,
        entry: Entry,
        event: InboundEvent | None,
        reply_to: str | None,
        result: Result,
    ) -> None:
        if isinstance(result, Outcome):
            await self._report(entry, event, reply_to, result, dead_lettered=False)
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
            log.warning(
                "event.retry_later",
                error=_describe(result),
                deliveries=entry.deliveries,
                max_deliveries=self._max_deliveries,
            )
            return  # stays pending; the reclaimer delivers it again
        code, reason = verdict
        envelope = event.envelope if event is not None else getattr(result, "envelope", None)
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
        failed = Outcome.declined(code, reason)
        await self._report(
            entry,
            event,
            reply_to,
            failed,
            dead_lettered=True,
            event_id=event_id,
            event_type=event_type,
        )
        await self._ack(entry)
        log.warning(
            "event.dead_lettered", reason_code=code, reason=reason, deliveries=entry.deliveries
        )

    def _verdict(self, entry: Entry, error: BaseException) -> tuple[str, str] | None:
        """(code, reason) to dead-letter with, or None to leave the entry pending."""
        if isinstance(error, InvalidEntry):
            return "invalid", _short(error.reason)
        if isinstance(error, Rejected):
            return error.code, _short(error.reason)
        if isinstance(error, SitooError) and error.disposition is Disposition.DEAD_LETTER:
            return "sitoo_refused", _describe(error)
        if entry.deliveries >= self._max_deliveries:
            return (
                "retries_exhausted",
                _short(f"still failing after {entry.deliveries} deliveries: {_describe(error)}"),
            )
        return None

    async def _report(
        self,
        entry: Entry,
        event: InboundEvent | None,
        reply_to: str | None,
        outcome: Outcome,
        *,
        dead_lettered: bool,
        event_id: str | None = None,
        event_type: str | None = None,
    ) -> None:
        inbound_id = event.event_id if event is not None else event_id
        inbound_type = event.type if event is not None else (event_type or UNKNOWN_TYPE)
        data = ResultData(
            inbound_event_id=inbound_id,
            inbound_type=inbound_type,
            stream=entry.stream,
            entry_id=entry.entry_id,
            status="succeeded" if outcome.succeeded else "failed",
            sitoo=outcome.sitoo,
            reason_code=outcome.reason_code,
            reason=outcome.reason,
            dead_lettered=dead_lettered,
        )
        correlation_id = event.envelope.correlation_id if event is not None else None
        await self._results.publish(data, correlation_id=correlation_id)
        if reply_to is not None and inbound_id is not None:
            await self._replier.reply(
                reply_to, _reply(inbound_id, inbound_type, outcome, dead_lettered)
            )

    async def _ack(self, entry: Entry) -> None:
        await self._redis.xack(entry.stream, self._group, entry.entry_id)


def _reply(event_id: str, event_type: str, outcome: Outcome, dead_lettered: bool) -> GiftCardReply:
    sitoo = outcome.sitoo

    def text(name: str) -> str | None:
        value = sitoo.get(name)
        return None if value is None else str(value)

    ids = sitoo.get("transaction_ids")
    status: Literal["approved", "declined", "failed"] = "approved"
    if not outcome.succeeded:
        status = "failed" if dead_lettered else "declined"
    return GiftCardReply(
        request_event_id=event_id,
        type=event_type,
        status=status,
        reason_code=outcome.reason_code,
        reason=outcome.reason,
        card_number=text("card_number"),
        balance=text("balance"),
        currency=text("currency"),
        transaction_ids=[str(i) for i in ids] if isinstance(ids, list) else [],
    )
