"""Dead letters: entries parked with their reason, listed, shown, replayed or purged.

Every stream the service reads has a dead-letter stream: ``<stream><dead_letter_suffix>``
for the inbound and web-hook streams, ``<outbound>.<webshop>.dlq`` for a webshop writer's
reading of the outbound stream (:class:`DeadLetterSource`). All dead letters have one
format: the original fields under ``original:<name>`` and ``stream``, ``entry_id``,
``type``, ``event_id``, ``reason_code``, ``reason``, ``deliveries`` and
``dead_lettered_at`` (Unix milliseconds), and for a reused event id ``digest`` and
``first_digest``. Writing is exactly-once per original entry, so a crash between parking
an entry and acknowledging it parks nothing twice. Replaying puts the original fields
back on the stream they were read from as a new entry: the event keeps its event id, so
the idempotent path applies nothing twice. A source may resend its letters its own way
(a web-hook body that never became a stream entry is received again).
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from service.masking import mask_text

if TYPE_CHECKING:
    import redis.asyncio as aioredis

    from service.inbox.transport import EntryToPark
    from service.records.keys import DeploymentKeys
    from service.records.streams import StreamNames

ORIGINAL_PREFIX = "original:"
_META = frozenset(
    b"stream entry_id type event_id reason_code reason deliveries dead_lettered_at".split()
)

MAX_LENGTH = 1_000_000
REASON_LIMIT = 500

# Write the dead letter only if this (stream, entry id) was never parked before.
_PARK = """
if redis.call('EXISTS', KEYS[2]) == 1 then return false end
local id = redis.call('XADD', KEYS[1], 'MAXLEN', '~', ARGV[2], '*', unpack(ARGV, 3))
redis.call('SET', KEYS[2], '1', 'PX', ARGV[1])
return id
"""

# Write the dead letter only if this delivery takes the entry off the group's pending
# list (KEYS[2] the stream, ARGV[1] the group): the pending list is the marker, so an
# entry is parked once without a key of its own. ARGV[1] '' parks without that check.
_PARK_ACKNOWLEDGED = """
if ARGV[1] ~= '' and redis.call('XACK', KEYS[2], ARGV[1], ARGV[2]) == 0 then return false end
return redis.call('XADD', KEYS[1], 'MAXLEN', '~', ARGV[3], '*', unpack(ARGV, 4))
"""


@dataclass(frozen=True, slots=True)
class DeadLetter:
    """One parked entry."""

    dead_letter_stream: str
    id: str
    stream: str
    entry_id: str
    type: str
    event_id: str
    reason_code: str
    reason: str
    deliveries: int
    dead_lettered_at_ms: int
    original: dict[bytes, bytes]
    details: dict[str, str] = field(default_factory=dict)  # e.g. a conflict's two digests

    def to_json(self) -> dict[str, object]:
        """A JSON-ready view (original values decoded where they are UTF-8)."""
        return {
            "dead_letter_stream": self.dead_letter_stream,
            "id": self.id,
            "stream": self.stream,
            "entry_id": self.entry_id,
            "type": self.type,
            "event_id": self.event_id,
            "reason_code": self.reason_code,
            "reason": self.reason,
            "deliveries": self.deliveries,
            "dead_lettered_at_ms": self.dead_lettered_at_ms,
            **self.details,
            "original": {
                k.decode("utf-8", "replace"): v.decode("utf-8", "replace")
                for k, v in self.original.items()
            },
        }


@dataclass(frozen=True, slots=True)
class DeadLetterFilter:
    """Which dead letters a command applies to; empty fields match everything."""

    stream: str | None = None
    type: str | None = None
    reason: str | None = None  # substring of reason_code or reason
    older_than_ms: int | None = None  # parked at least this long ago
    newer_than_ms: int | None = None  # parked at most this long ago

    def matches(self, letter: DeadLetter, now_ms: int) -> bool:
        """True when ``letter`` passes every filter."""
        age = now_ms - letter.dead_lettered_at_ms
        reason = self.reason.lower() if self.reason else None
        return (
            (self.stream is None or letter.stream == self.stream)
            and (self.type is None or letter.type == self.type)
            and (
                reason is None
                or reason in letter.reason_code.lower()
                or reason in letter.reason.lower()
            )
            and (self.older_than_ms is None or age >= self.older_than_ms)
            and (self.newer_than_ms is None or age <= self.newer_than_ms)
        )


class NotReplayable(Exception):
    """The dead letter cannot be sent back as it is (it stays where it is)."""


Resend = Callable[["DeadLetter"], Awaitable[str | None]]


@dataclass(frozen=True, slots=True)
class DeadLetterSource:
    """One dead-letter stream: the stream its entries were read from, and how to resend them.

    ``resend`` handles the letters it knows (returns what it did, e.g. the new entry id)
    and leaves the others to the default (returns None): back on ``stream`` as they were.
    """

    dead_letters: str
    stream: str
    resend: Resend | None = None


def _reason(text: str) -> str:
    # A reason may quote an error that quotes a secret (a PIN, a URL's password).
    text = mask_text(text)
    return text if len(text) <= REASON_LIMIT else text[: REASON_LIMIT - 1] + "…"


def letter_fields(entry: EntryToPark) -> list[bytes]:
    """The dead letter's fields (names and values in turn), in the one format."""
    meta: dict[bytes, bytes] = {
        b"stream": entry.stream.encode(),
        b"entry_id": entry.entry_id.encode(),
        b"type": (entry.event_type or "").encode(),
        b"event_id": (entry.event_id or "").encode(),
        b"reason_code": entry.reason_code.encode(),
        b"reason": _reason(entry.reason).encode(),
        b"deliveries": str(entry.deliveries).encode(),
        b"dead_lettered_at": str(int(time.time() * 1000)).encode(),
    }
    for detail, text in (entry.extra or {}).items():
        meta[detail.encode()] = text.encode()
    flat: list[bytes] = []
    for name, value in meta.items():
        flat.extend((name, value))
    for name, value in entry.fields.items():
        flat.extend((ORIGINAL_PREFIX.encode() + name, value))
    return flat


async def park_acknowledged(
    redis: aioredis.Redis, entry: EntryToPark, *, dead_letters: str, group: str | None
) -> str | None:
    """Park an entry of ``group``'s reading and acknowledge it, in one step; None if done before.

    For a reader that keeps no records of its own (a webshop writer): the entry is parked by
    the one delivery that takes it off the pending list. ``group`` None parks an entry that
    was never a pending entry (a first snapshot's level) without that check.
    """
    args: list[bytes | int | str] = [group or "", entry.entry_id, MAX_LENGTH]
    args.extend(letter_fields(entry))
    park = redis.register_script(_PARK_ACKNOWLEDGED)
    parked = await park(keys=[dead_letters, entry.stream], args=args)
    return _text(parked) if parked is not None else None


def _text(value: bytes | None) -> str:
    return value.decode("utf-8", "replace") if value is not None else ""


def _entries(raw: object) -> list[tuple[bytes, dict[bytes, bytes]]]:
    """XRANGE's reply with the types a bytes (not decoding) client returns."""
    entries: list[tuple[bytes, dict[bytes, bytes]]] = []
    for entry_id, fields in raw or []:  # type: ignore[attr-defined] # an XRANGE reply
        entries.append((bytes(entry_id), {bytes(k): bytes(v) for k, v in fields.items()}))
    return entries


def _letter(dlq: str, entry_id: bytes, fields: Mapping[bytes, bytes]) -> DeadLetter:
    original = {
        k[len(ORIGINAL_PREFIX) :]: v
        for k, v in fields.items()
        if k.startswith(ORIGINAL_PREFIX.encode())
    }
    deliveries = _text(fields.get(b"deliveries"))
    parked_at = _text(fields.get(b"dead_lettered_at"))
    return DeadLetter(
        dead_letter_stream=dlq,
        id=entry_id.decode(),
        stream=_text(fields.get(b"stream")),
        entry_id=_text(fields.get(b"entry_id")),
        type=_text(fields.get(b"type")),
        event_id=_text(fields.get(b"event_id")),
        reason_code=_text(fields.get(b"reason_code")),
        reason=_text(fields.get(b"reason")),
        deliveries=int(deliveries) if deliveries.isdigit() else 0,
        dead_lettered_at_ms=int(parked_at) if parked_at.isdigit() else 0,
        original=original,
        details={
            _text(k): _text(v)
            for k, v in fields.items()
            if k not in _META and not k.startswith(ORIGINAL_PREFIX.encode())
        },
    )


class DeadLetterStore:
    """The dead-letter streams of a fixed set of streams (and of any further sources)."""

    def __init__(
        self,
        redis: aioredis.Redis,
        *,
        streams: Iterable[str],
        names: StreamNames,
        keys: DeploymentKeys,
        retention_s: float,
        max_length: int = MAX_LENGTH,
        sources: Iterable[DeadLetterSource] = (),
    ) -> None:
        self._redis = redis
        self._streams = list(dict.fromkeys(streams))
        own = [DeadLetterSource(names.dead_letters(s), s) for s in self._streams]
        # Keyed by dead-letter stream: a source given explicitly replaces the default one.
        self._sources = {source.dead_letters: source for source in (*own, *sources)}
        self._names = names
        self._keys = keys
        self._retention_ms = int(retention_s * 1000)
        self._max_length = max_length
        self._park = redis.register_script(_PARK)

    def dead_letter_stream(self, stream: str) -> str:
        """Where ``stream``'s dead letters go."""
        return self._names.dead_letters(stream)

    async def park(self, entry: EntryToPark) -> str | None:
        """Park the entry once; the dead letter's id, or None if it was parked before."""
        args: list[bytes | int] = [self._retention_ms, self._max_length]
        args.extend(letter_fields(entry))
        parked = await self._park(
            keys=[
                self.dead_letter_stream(entry.stream),
                self._keys.dead_lettered(entry.stream, entry.entry_id),
            ],
            args=args,
        )
        return _text(parked) if parked is not None else None

    async def list(self, flt: DeadLetterFilter, *, limit: int = 100) -> list[DeadLetter]:
        """Dead letters matching ``flt``, oldest first, at most ``limit``."""
        now_ms = int(time.time() * 1000)
        found: list[DeadLetter] = []
        for dlq, source in self._sources.items():
            if flt.stream is not None and source.stream != flt.stream:
                continue
            start = "-"
            while len(found) < limit:
                page = _entries(await self._redis.xrange(dlq, min=start, count=500))
                if not page:
                    break
                for entry_id, fields in page:
                    letter = _letter(dlq, entry_id, fields)
                    if flt.matches(letter, now_ms):
                        found.append(letter)
                start = "(" + page[-1][0].decode()
        found.sort(key=lambda letter: letter.dead_lettered_at_ms)
        return found[:limit]

    async def show(self, dead_letter_id: str, *, stream: str | None = None) -> DeadLetter | None:
        """One dead letter by id (searched in every dead-letter stream unless given)."""
        for dlq, source in self._sources.items():
            if stream is not None and source.stream != stream:
                continue
            page = _entries(
                await self._redis.xrange(dlq, min=dead_letter_id, max=dead_letter_id, count=1)
            )
            if page:
                return _letter(dlq, page[0][0], page[0][1])
        return None

    def sources(self) -> tuple[DeadLetterSource, ...]:
        """Every dead-letter stream this store reads."""
        return tuple(self._sources.values())

    async def replay(self, letter: DeadLetter) -> str:
        """Send the original entry back where it came from and remove the dead letter.

        What was done: the new entry's id, or what the source's own resend reports. Raises
        :class:`NotReplayable` (the letter stays) when the source cannot take it back.
        """
        source = self._sources.get(letter.dead_letter_stream)
        if source is None or source.stream != letter.stream:
            raise NotReplayable(f"{letter.stream!r} is not a stream this service reads")
        if source.resend is not None and (done := await source.resend(letter)) is not None:
            await self._redis.xdel(letter.dead_letter_stream, letter.id)
            return done
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.xadd(letter.stream, dict(letter.original))  # type: ignore[arg-type] # bytes fields
            pipe.xdel(letter.dead_letter_stream, letter.id)
            new_id, _ = await pipe.execute()
        return _text(new_id)

    async def purge(self, letters: Iterable[DeadLetter]) -> int:
        """Delete dead letters; how many were removed."""
        removed = 0
        for letter in letters:
            removed += int(await self._redis.xdel(letter.dead_letter_stream, letter.id))
        return removed
