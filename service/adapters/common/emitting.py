"""Canonical events from a webshop adapter onto the inbound streams, once per event id.

A web hook, its retries, a duplicate copy and the reconciliation poller may all translate
the same change; their event ids are derived from the platform's own ids, so they agree.
The first to arrive appends the event; the others find its mark and append nothing. (The
consumers de-duplicate by event id as well; the mark keeps the streams free of repeats.)
Every event is validated against the contract before it is appended: nothing invalid
reaches a stream.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from service.contracts.envelope import EVENT_FIELD, Envelope, InvalidEntry
from service.contracts.registry import Channel, validate_payload

if TYPE_CHECKING:
    import redis.asyncio as aioredis

    from service.records.keys import DeploymentKeys

# KEYS[1] the mark, KEYS[2] the stream; ARGV[1] the mark's lifetime (ms), ARGV[2] the event.
_APPEND_ONCE = f"""
if redis.call('SET', KEYS[1], '1', 'PX', ARGV[1], 'NX') then
  redis.call('XADD', KEYS[2], '*', '{EVENT_FIELD}', ARGV[2])
  return 1
end
return 0
"""


@dataclass(frozen=True, slots=True)
class CanonicalEvent:
    """One event of the service's contract and the inbound channel it goes to."""

    channel: Channel
    envelope: Envelope


class InvalidCanonicalEvent(Exception):
    """A translation produced an event the contract refuses; the message says why."""


def check(event: CanonicalEvent) -> None:
    """Raise InvalidCanonicalEvent unless the contract accepts the event on its channel."""
    try:
        validate_payload(event.envelope, event.channel)
    except InvalidEntry as exc:
        raise InvalidCanonicalEvent(f"{event.envelope.type}: {exc.reason}") from None


class EventAppender:
    """Appends canonical events to the inbound streams, each event id once."""

    def __init__(
        self,
        redis: aioredis.Redis,
        streams: dict[Channel, str],
        *,
        keys: DeploymentKeys,
        retention_ms: int,
    ) -> None:
        self._redis = redis
        self._streams = streams
        self._keys = keys
        self._retention_ms = retention_ms
        self._script = redis.register_script(_APPEND_ONCE)

    async def append(self, events: Sequence[CanonicalEvent]) -> int:
        """Validate all, then append those not appended before; returns how many were new."""
        for event in events:
            check(event)
        appended = 0
        for event in events:
            appended += int(
                await self._script(
                    keys=[
                        self._keys.webshop_emitted(event.envelope.event_id),
                        self._streams[event.channel],
                    ],
                    args=[self._retention_ms, event.envelope.model_dump_json()],
                )
            )
        return appended
