"""A webshop writer's reading of ``sitoo.events``: its own consumer group, batches, acks.

Each webshop adapter reads the outbound stream in a group of its own (the webshop's own
consumers keep theirs), so every adapter sees every event. The group starts at the end
of the stream when first created: an adapter switched on later does not replay history,
but it is given a :class:`FirstSnapshot` (the last published levels) once, before it reads.
A batch is handed to the adapter's :class:`OutboundApplier`, which says per entry
whether it is done (acknowledged), failed for good (dead-lettered with the reason and
acknowledged in one step, in the service's one dead-letter format: ``sitoo-sync dlq``
lists it and ``replay`` puts it back on the outbound stream) or should be tried again
(left pending; taken back after ``reclaim_idle_ms`` by whichever replica reclaims first,
and dead-lettered on the last allowed delivery).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

import structlog

from service.contracts.envelope import EVENT_FIELD, Envelope
from service.deadletters import park_acknowledged
from service.inbox.transport import EntryToPark
from service.records.connection import REDIS_FAILURES

if TYPE_CHECKING:
    import redis.asyncio as aioredis

log = structlog.get_logger(__name__)
# Reason codes of the writers' dead letters: the webshop refused the change, or it kept failing.
REFUSED, EXHAUSTED = "webshop_refused", "retries_exhausted"

# The group and the note that its snapshot is due are made together: a start killed in
# between would otherwise leave a new group that never receives the snapshot.
_CREATE_GROUP = """
local made = redis.pcall('XGROUP', 'CREATE', KEYS[1], ARGV[1], '$', 'MKSTREAM')
if type(made) == 'table' and made.err then
  if string.find(made.err, 'BUSYGROUP') then
    return 0
  end
  return redis.error_reply(made.err)
end
if KEYS[2] ~= '' then
  redis.call('SET', KEYS[2], '1')
end
return 1
"""


@dataclass(frozen=True, slots=True)
class OutboundEntry:
    """One entry of the outbound stream (``envelope`` None when it does not parse)."""

    entry_id: str
    envelope: Envelope | None
    raw: bytes


@dataclass(slots=True)
class Applied:
    """What became of a batch: entry ids done, retried, or failed with a reason."""

    done: set[str] = field(default_factory=set)
    retry: set[str] = field(default_factory=set)
    failed: dict[str, str] = field(default_factory=dict)


class OutboundApplier(Protocol):
    """A webshop's application of Sitoo's changes."""

    async def apply(self, entries: Sequence[OutboundEntry]) -> Applied:
        """Apply what concerns the webshop; every entry id lands in one of the three sets."""
        ...


@dataclass(frozen=True, slots=True)
class OutboundReading:
    """Where and how the writer reads."""

    stream: str
    group: str
    consumer: str
    dead_letters: str
    batch: int
    block_ms: int
    reclaim_idle_ms: int
    max_deliveries: int


def _text(value: object) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)


def entry_from(entry_id: object, fields: dict[bytes, bytes]) -> OutboundEntry:
    """A stream entry as read (``envelope`` None when it does not parse)."""
    """A stream entry as read (the envelope None when it does not parse)."""
    raw = fields.get(EVENT_FIELD.encode(), b"")
    try:
        envelope: Envelope | None = Envelope.model_validate_json(raw)
    except ValueError:
        envelope = None
    return OutboundEntry(_text(entry_id), envelope, raw)


@dataclass(frozen=True, slots=True)
class FirstSnapshot:
    """Entries applied once when the group is new, before the stream (and again if cut short).

    ``pending_key`` holds the note that it is due, from the group's creation until every
    entry was applied or dead-lettered.
    """

    pending_key: str
    entries: Callable[[], Awaitable[Sequence[OutboundEntry]]]


class OutboundWriter:
    """Reads the outbound stream in the webshop's group and applies it."""

    def __init__(
        self,
        redis: aioredis.Redis,
        reading: OutboundReading,
        applier: OutboundApplier,
        *,
        snapshot: FirstSnapshot | None = None,
    ) -> None:
        self._redis = redis
        self.reading = reading
        self._applier = applier
        self._snapshot = snapshot
        self._create_group = redis.register_script(_CREATE_GROUP)

    async def ensure_group(self) -> bool:
        """Create the group at the stream's end, noting the snapshot due; True when new."""
        pending = self._snapshot.pending_key if self._snapshot is not None else ""
        made = await self._create_group(
            keys=[self.reading.stream, pending], args=[self.reading.group]
        )
        return bool(made)

    async def replay_snapshot(self, stop: asyncio.Event) -> int:
        """Apply the first snapshot if it is due; how many entries it had."""
        snapshot = self._snapshot
        if snapshot is None or not await self._redis.exists(snapshot.pending_key):
            return 0
        entries = list(await snapshot.entries())
        for start in range(0, len(entries), self.reading.batch):
            if stop.is_set():
                return 0  # still due: the next start applies it
            await self._apply_until_settled(entries[start : start + self.reading.batch], stop)
        await self._redis.delete(snapshot.pending_key)
        log.info("webshop_writer.snapshot_applied", group=self.reading.group, levels=len(entries))
        return len(entries)

    async def _apply_until_settled(
        self, entries: Sequence[OutboundEntry], stop: asyncio.Event
    ) -> None:
        """Apply, retrying what asks for it up to ``max_deliveries`` times, then dead letters."""
        pending = list(entries)
        reason = "kept failing"
        for _ in range(self.reading.max_deliveries):
            try:
                outcome = await self._applier.apply(pending)
            except REDIS_FAILURES:
                raise
            except Exception as exc:
                log.exception("webshop_writer.apply_failed")
                outcome = Applied(retry={e.entry_id for e in pending})
                reason = f"{type(exc).__name__}: {exc}"
            for entry in pending:
                if entry.entry_id in outcome.failed:
                    await self._dead_letter(
                        entry, REFUSED, outcome.failed[entry.entry_id], pending=False
                    )
            pending = [e for e in pending if e.entry_id in outcome.retry]
            if not pending or stop.is_set():
                return
            with contextlib.suppress(TimeoutError):
                # The stream's own cadence: a retried entry is taken back after this long.
                await asyncio.wait_for(stop.wait(), timeout=self.reading.reclaim_idle_ms / 1000)
        for entry in pending:
            await self._dead_letter(
                entry,
                EXHAUSTED,
                f"gave up after {self.reading.max_deliveries} tries: {reason}",
                pending=False,
            )

    async def run(self, stop: asyncio.Event) -> None:
        """Until ``stop``: reclaim idle entries, read new ones, apply; wait out Redis blips."""
        snapshot_due = self._snapshot is not None
        while not stop.is_set():
            try:
                if snapshot_due:
                    await self.replay_snapshot(stop)
                    snapshot_due = False
                await self.step()
            except REDIS_FAILURES as exc:
                log.warning("webshop_writer.redis_unavailable", error=type(exc).__name__)
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), timeout=1.0)

    async def step(self) -> int:
        """One round: the idle pending entries, then new ones; returns how many were handled."""
        reading = self.reading
        reclaimed = await self._redis.xautoclaim(
            reading.stream,
            reading.group,
            reading.consumer,
            min_idle_time=reading.reclaim_idle_ms,
            start_id="0-0",
            count=reading.batch,
        )
        claimed = [(i, f) for i, f in (reclaimed[1] if reclaimed else []) if f]
        if claimed:
            await self.handle([entry_from(i, f) for i, f in claimed])
        answer: Any = await self._redis.xreadgroup(
            reading.group,
            reading.consumer,
            {reading.stream: ">"},
            count=reading.batch,
            block=reading.block_ms,
        )  # redis-py types the reply loosely
        fresh = [entry_from(i, f) for _, found in answer or [] for i, f in found]
        if fresh:
            await self.handle(fresh)
        return len(claimed) + len(fresh)

    async def handle(self, entries: Sequence[OutboundEntry]) -> Applied:
        """Apply a batch, then acknowledge, dead-letter or leave each entry pending."""
        try:
            outcome = await self._applier.apply(entries)
        except Exception as exc:
            log.exception("webshop_writer.apply_failed")
            outcome = Applied(retry={e.entry_id for e in entries})
            reason = f"{type(exc).__name__}: {exc}"
        else:
            reason = "kept failing"
        codes = dict.fromkeys(outcome.failed, REFUSED)
        counts: dict[str, int] = {}
        if outcome.retry:
            counts = await self._deliveries(sorted(outcome.retry))
            for entry_id, count in counts.items():
                if count >= self.reading.max_deliveries:
                    outcome.retry.discard(entry_id)
                    outcome.failed[entry_id] = f"gave up after {count} deliveries: {reason}"
                    codes[entry_id] = EXHAUSTED
        by_id = {e.entry_id: e for e in entries}
        for entry_id, why in outcome.failed.items():
            entry = by_id.get(entry_id) or OutboundEntry(entry_id, None, b"")
            await self._dead_letter(
                entry, codes.get(entry_id, REFUSED), why, deliveries=counts.get(entry_id, 1)
            )
        finished = [e.entry_id for e in entries if e.entry_id not in outcome.retry]
        if finished:
            await self._redis.xack(self.reading.stream, self.reading.group, *finished)
        return outcome

    async def _dead_letter(
        self,
        entry: OutboundEntry,
        code: str,
        why: str,
        *,
        pending: bool = True,
        deliveries: int = 1,
    ) -> None:
        """Park ``entry`` and acknowledge it in one step (``pending`` False: a snapshot level)."""
        envelope = entry.envelope
        parked = await park_acknowledged(
            self._redis,
            EntryToPark(
                stream=self.reading.stream,
                entry_id=entry.entry_id,
                fields={EVENT_FIELD.encode(): entry.raw},
                event_type=envelope.type if envelope is not None else None,
                event_id=envelope.event_id if envelope is not None else None,
                reason_code=code,
                reason=why,
                deliveries=deliveries,
            ),
            dead_letters=self.reading.dead_letters,
            group=self.reading.group if pending else None,
        )
        if parked is not None:
            log.warning("webshop_writer.dead_lettered", entry_id=entry.entry_id, reason=why[:200])

    async def _deliveries(self, entry_ids: Sequence[str]) -> dict[str, int]:
        counts: dict[str, int] = {}
        for entry_id in entry_ids:
            found = await self._redis.xpending_range(
                self.reading.stream, self.reading.group, min=entry_id, max=entry_id, count=1
            )
            counts[entry_id] = int(found[0]["times_delivered"]) if found else 1
        return counts
