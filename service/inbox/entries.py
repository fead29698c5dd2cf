"""What a delivery works with: entries, their parsed events, observers and replies."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Literal, Protocol

from service.contracts.envelope import InvalidEntry
from service.contracts.giftcards import GiftCardReply
from service.contracts.registry import Channel, InboundEvent
from service.contracts.results import ResultData
from service.masking import mask_text
from service.usecases.outcome import Outcome
from service.usecases.stock import Result

_REASON_LIMIT = 500

RunOne = Callable[[InboundEvent], Awaitable[Outcome]]
RunBatch = Callable[[Sequence[InboundEvent]], Awaitable[dict[str, Result]]]


Settlement = Literal["succeeded", "declined", "retried", "dead_lettered"]


class DeliveryObserver(Protocol):
    """Told what happens to each delivery (metrics); ``event_type`` is None when unknown."""

    def consumed(self, stream: str, event_type: str | None) -> None:
        """An entry was delivered (again) to this replica."""
        ...

    def settled(self, stream: str, event_type: str | None, settlement: Settlement) -> None:
        """A delivery ended: applied, declined, left pending for a retry or dead-lettered."""
        ...

    def handled(self, stream: str, seconds: float) -> None:
        """One handler call (an entry, or a batch on batched streams) took ``seconds``."""
        ...


@dataclass(frozen=True, slots=True)
class Entry:
    """One delivery of one stream entry."""

    stream: str
    channel: Channel
    entry_id: str
    fields: dict[bytes, bytes]
    deliveries: int


@dataclass(frozen=True, slots=True)
class Parsed:
    """An entry that decoded and validated: its event, and where to reply if anywhere."""

    event: InboundEvent
    reply_to: str | None


@dataclass(frozen=True, slots=True)
class Unparsed:
    """An entry that cannot be run, and where its sender waits for the answer, if anywhere."""

    error: InvalidEntry
    reply_to: str | None


@dataclass(frozen=True, slots=True)
class Decided:
    """One entry whose event ran to an outcome."""

    entry: Entry
    parsed: Parsed
    outcome: Outcome


def short(text: str) -> str:
    """``text`` as a reason may hold it: secrets masked (a PIN, a URL's password; reasons
    go to results, replies, dead letters and logs), cut to the length a reason may have."""
    text = mask_text(text)
    return text if len(text) <= _REASON_LIMIT else text[: _REASON_LIMIT - 1] + "…"


def describe(error: BaseException) -> str:
    """An error as a short reason text."""
    return short(f"{type(error).__name__}: {error}")


def entry_ref(entry: Entry) -> str:
    """The entry's stream and id, as recorded with its settled result."""
    return f"{entry.stream}/{entry.entry_id}"


# Dead letters that refuse the request itself: the caller is told "declined", not "failed".
REQUEST_REFUSALS = {"invalid": "invalid_request", "conflict": "conflict"}


def reply_from(data: ResultData) -> GiftCardReply:
    """The request-reply answer that carries a result.

    A request that was refused as invalid or as reusing an event id is declined
    (``invalid_request``, ``conflict``); any other dead letter is ``failed``.
    """
    sitoo = data.sitoo

    def text(name: str) -> str | None:
        value = sitoo.get(name)
        return None if value is None else str(value)

    ids = sitoo.get("transaction_ids")
    status: Literal["approved", "declined", "failed"] = "approved"
    reason_code = data.reason_code
    if data.status != "succeeded":
        status = "declined"
        if data.dead_lettered:
            refusal = REQUEST_REFUSALS.get(reason_code or "")
            status = "failed" if refusal is None else "declined"
            reason_code = refusal or reason_code
    return GiftCardReply(
        request_event_id=data.inbound_event_id or "",
        type=data.inbound_type,
        status=status,
        reason_code=reason_code,
        reason=data.reason,
        card_number=text("card_number"),
        balance=text("balance"),
        currency=text("currency"),
        transaction_ids=[str(i) for i in ids] if isinstance(ids, list) else [],
    )
