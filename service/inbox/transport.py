"""What inbound delivery needs from a broker: the protocols a transport implements.

Delivery (:mod:`service.inbox.delivery`) decides; a transport carries the decision out.
Redis Streams (:mod:`service.brokers.redis`) is the one transport there is. A broker that
replaced it would implement each protocol below; docs/architecture.md says what each
method must guarantee (ordering, counting, atomicity) and how to keep them without Redis.

* :class:`EntrySource` hands this replica's entries to delivery: new ones, and ones
  another consumer of the group took and left unsettled for too long (reclaimed).
* :class:`ConsumerGroup` answers how often entries were delivered and acknowledges them.
* :class:`ResultLedger` leases an event while it runs and appends its result to the
  results stream together with its record, as one atomic step.
* :class:`ReplyChannel` answers a request's caller, once per request and reply target.
* :class:`DeadLetterSink` parks an entry, once.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal, Protocol

from service.contracts.giftcards import GiftCardReply
from service.contracts.registry import Channel
from service.contracts.results import ResultData

if TYPE_CHECKING:
    from service.inbox.delivery import DeliveryHandler


class InvalidReplyTo(ValueError):
    """A request's reply_to cannot be used (wrong shape, one of our keys, not a list)."""


class ReplyNotDelivered(Exception):
    """The reply target changed into something that cannot take a reply after it was checked."""


@dataclass(frozen=True, slots=True)
class Begun:
    """What a delivery may do with its event: run it, repeat the settled result, or wait.

    ``conflict``: the event id was first seen with other content (``first_digest``).
    ``runs``: for ``run``, how many deliveries have run the event, this one included
    (deliveries that found it busy are not counted).
    """

    status: Literal["run", "settled", "busy", "conflict"]
    result: ResultData | None = None
    first_digest: str | None = None
    runs: int = 0


@dataclass(frozen=True, slots=True)
class Settling:
    """One result to record and emit.

    ``entry_bound``: the result belongs to this entry only (it could not be read, or it
    reused an event id), so its result event id is derived from the entry, not the event.
    """

    key: str
    entry_ref: str
    data: ResultData
    correlation_id: str | None
    entry_bound: bool = False


class Handlers(Protocol):
    """Where an entry source finds the delivery handler once the service has built it."""

    def require(self) -> DeliveryHandler:
        """The handler; a source only delivers after the service built it."""
        ...


class EntrySource(Protocol):
    """Delivers the entries of one consumer group to this replica's consumer."""

    def deliver_each(
        self, stream: str, channel: Channel, handlers: Handlers, *, readers: int
    ) -> None:
        """Hand each entry of ``stream`` to the handler's ``handle``.

        New entries come through ``readers`` concurrent readers; entries pending with
        another consumer past the idle threshold through one reclaimer. Each entry carries
        its delivery count (1 for a first delivery).
        """
        ...

    def deliver_batches(
        self, stream: str, channel: Channel, handlers: Handlers, *, readers: int, max_records: int
    ) -> None:
        """As :meth:`deliver_each`, up to ``max_records`` entries at a time, to ``handle_batch``.

        Reclaimed entries carry their counts from :meth:`ConsumerGroup.delivery_counts`.
        """
        ...


class ConsumerGroup(Protocol):
    """The consumer group's view of its entries: delivery counts and acknowledgements."""

    async def delivery_counts(self, stream: str, entry_ids: Sequence[str]) -> dict[str, int]:
        """How often each pending entry has been delivered; 1 for one no longer pending."""
        ...

    async def acknowledge(self, stream: str, entry_ids: Sequence[str]) -> None:
        """Settle the entries for good: no consumer of the group is handed them again."""
        ...


class ResultLedger(Protocol):
    """Per event: a working lease, the run count, and one result recorded and emitted once."""

    def event_key(self, event_id: str) -> str:
        """The record of an event that could be read."""
        ...

    def entry_key(self, stream: str, entry_id: str) -> str:
        """The record of an entry that could not be read (no event id to trust)."""
        ...

    async def begin(self, items: Sequence[tuple[str, str, str]], token: str) -> list[Begun]:
        """Per (record, entry ref, content digest): lease it to ``token`` and count the run,
        or say why not (busy, settled, conflict); all items in one atomic step each."""
        ...

    async def recorded(self, key: str, entry_ref: str) -> ResultData | None:
        """The result recorded under ``key`` that binds the entry, if there is one."""
        ...

    async def release(self, keys: Sequence[str], token: str, *, uncount: bool = False) -> None:
        """Drop the leases ``token`` holds; ``uncount`` takes the run back off the count."""
        ...

    def holding(self, keys: Sequence[str], token: str) -> AbstractAsyncContextManager[None]:
        """Keep the leases alive while the block runs; hand them back if it is cancelled."""
        ...

    async def settle(self, items: Sequence[Settling]) -> list[ResultData | Exception | None]:
        """Append each result to the results stream and record it, both or neither, unless a
        result binding the entry is recorded already. Per item: None (done now), the result
        recorded before, or the error that kept it from being written."""
        ...


class ReplyChannel(Protocol):
    """Answers request-reply callers, once per request and reply target."""

    def check(self, reply_to: bytes) -> str:
        """The reply target's name; raises InvalidReplyTo for a name that may not be used."""
        ...

    async def check_usable(self, key: str) -> None:
        """Raise InvalidReplyTo when the target exists and cannot take a reply."""
        ...

    async def reply(self, key: str, reply: GiftCardReply, *, once_per: str | None = None) -> bool:
        """Deliver the reply unless it was given on this target; True when delivered now.
        Raises ReplyNotDelivered when the target can no longer take it."""
        ...


@dataclass(frozen=True, slots=True)
class EntryToPark:
    """An entry about to be dead-lettered: where it was read, what it held, and why it stops.

    ``extra`` adds fields of its own (a conflict's ``digest`` and ``first_digest``).
    """

    stream: str
    entry_id: str
    fields: Mapping[bytes, bytes]
    reason_code: str
    reason: str
    deliveries: int
    event_type: str | None = None
    event_id: str | None = None
    extra: Mapping[str, str] | None = None


class DeadLetterSink(Protocol):
    """Parks entries that cannot succeed, once per entry."""

    async def park(self, entry: EntryToPark) -> str | None:
        """Park the entry; the dead letter's id, or None when it was parked before."""
        ...
