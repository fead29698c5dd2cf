"""Reading an entry: its event under the sanity rule and time bounds, and its reply target.

Reading never raises for anything an entry holds: it returns the event to run, or the
reason it cannot run together with the reply target, when there is a usable one, so the
sender waiting on it hears the refusal.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

import structlog

from service.contracts.envelope import REPLY_TO_FIELD, Envelope, InvalidEntry, decode_envelope
from service.contracts.registry import Channel, validate_payload
from service.contracts.sanity import TimeBounds
from service.inbox.entries import Entry, Parsed, Unparsed
from service.inbox.transport import InvalidReplyTo, ReplyChannel

log = structlog.get_logger(__name__)


def _now() -> datetime:
    return datetime.now(UTC)


class EntryReader:
    """Turns a delivered entry into a runnable event or a refusal."""

    def __init__(
        self,
        replier: ReplyChannel,
        *,
        max_entry_bytes: int,
        max_future_skew_s: float,
        clock: Callable[[], datetime] = _now,
    ) -> None:
        self._replier = replier
        self._max_entry_bytes = max_entry_bytes
        self._max_future_skew_s = max_future_skew_s
        self._clock = clock

    def read(self, entry: Entry) -> Parsed | Unparsed:
        """The event and reply target, or why the entry cannot run (never raises)."""
        reply_to, reply_problem = self._reply_target(entry)
        envelope: Envelope | None = None
        try:
            bounds = TimeBounds.at(self._clock(), max_future_skew_s=self._max_future_skew_s)
            envelope = decode_envelope(entry.fields, max_bytes=self._max_entry_bytes, bounds=bounds)
            event = validate_payload(envelope, entry.channel, bounds=bounds)
        except InvalidEntry as invalid:
            return Unparsed(invalid, reply_to)
        except Exception as error:
            log.exception("entry.unreadable", error_type=type(error).__name__)
            reason = f"could not be read ({type(error).__name__})"
            return Unparsed(InvalidEntry(reason, envelope=envelope), reply_to)
        if reply_problem is not None:
            return Unparsed(InvalidEntry(reply_problem, envelope=envelope), None)
        return Parsed(event, reply_to)

    async def confirm_reply_target(self, read: Parsed | Unparsed) -> Parsed | Unparsed:
        """Refuse, before any effect, a reply target that holds something other than a list."""
        if read.reply_to is None:
            return read
        try:
            await self._replier.check_usable(read.reply_to)
        except InvalidReplyTo as bad:
            if isinstance(read, Unparsed):
                return Unparsed(read.error, None)
            problem = f"invalid {REPLY_TO_FIELD}: {bad}"
            return Unparsed(InvalidEntry(problem, envelope=read.event.envelope), None)
        return read

    def _reply_target(self, entry: Entry) -> tuple[str | None, str | None]:
        """(usable reply target, None) or (None, the problem); (None, None) when absent.

        A request on the requests stream exists to be answered: without a reply target no
        one would hear its outcome, so it is refused before it runs.
        """
        raw = entry.fields.get(REPLY_TO_FIELD.encode())
        if raw is None:
            if entry.channel is Channel.GIFTCARD_REQUESTS:
                return None, f"a request must name the list to answer on in '{REPLY_TO_FIELD}'"
            return None, None
        try:
            return self._replier.check(raw), None
        except InvalidReplyTo as bad:
            return None, f"invalid {REPLY_TO_FIELD}: {bad}"
