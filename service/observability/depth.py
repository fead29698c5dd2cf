"""Stream length, pending entries and dead-letter depth, read from Redis at scrape time."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import structlog
from prometheus_client import CollectorRegistry, Gauge

from service.records.connection import REDIS_FAILURES

if TYPE_CHECKING:
    import redis.asyncio as aioredis

log = structlog.get_logger(__name__)


@dataclass(frozen=True, slots=True)
class WatchedStreams:
    """Which streams to measure: consumed ones (with their group) and their dead letters."""

    group: str
    consumed: Sequence[str]  # streams this service reads through ``group``
    dead_letters: Mapping[str, str]  # inbound stream -> its dead-letter stream
    produced: Sequence[str]  # streams this service only writes (results, outbound)


def _entry_ms(entry_id: bytes | str) -> int:
    text = entry_id.decode() if isinstance(entry_id, bytes) else entry_id
    return int(text.partition("-")[0])


class StreamDepth:
    """Gauges refreshed by one pipelined round trip per scrape, at most every ``min_interval_s``.

    The round trip is bounded by ``timeout_s``; when Redis does not answer in time the
    previous values stay and ``sitoo_sync_stream_depth_up`` drops to 0.
    """

    def __init__(
        self,
        registry: CollectorRegistry,
        streams: WatchedStreams,
        redis: Callable[[], aioredis.Redis | None],
        *,
        timeout_s: float = 1.0,
        min_interval_s: float = 1.0,
    ) -> None:
        self._streams = streams
        self._redis = redis
        self._timeout_s = timeout_s
        self._min_interval_s = min_interval_s
        self._last_refresh: float | None = None
        self._lock = asyncio.Lock()
        self.length = Gauge(
            "sitoo_sync_stream_entries",
            "Entries in the stream (XLEN).",
            ["stream"],
            registry=registry,
        )
        self.pending = Gauge(
            "sitoo_sync_stream_pending_entries",
            "Entries delivered to the consumer group but not yet acknowledged (XPENDING).",
            ["stream"],
            registry=registry,
        )
        self.oldest_pending_age = Gauge(
            "sitoo_sync_stream_oldest_pending_age_seconds",
            "Age of the oldest unacknowledged entry (0 when none is pending).",
            ["stream"],
            registry=registry,
        )
        self.unread = Gauge(
            "sitoo_sync_stream_unread_entries",
            "Entries not yet delivered to any replica of the group (the group's lag); absent "
            "while Redis cannot tell (after entries were deleted from the stream).",
            ["stream"],
            registry=registry,
        )
        self.dead_letters = Gauge(
            "sitoo_sync_dead_letter_entries",
            "Entries in the stream's dead-letter stream (the stream label names the stream "
            "they came from).",
            ["stream"],
            registry=registry,
        )
        self.up = Gauge(
            "sitoo_sync_stream_depth_up",
            "1 when the last read of the stream depths succeeded, 0 when Redis did not answer.",
            registry=registry,
        )

    async def refresh(self) -> None:
        """Read the depths now, unless they were read less than ``min_interval_s`` ago."""
        async with self._lock:  # concurrent scrapes share one round trip
            now = time.monotonic()
            if self._last_refresh is not None and now - self._last_refresh < self._min_interval_s:
                return
            client = self._redis()
            if client is None:
                self.up.set(0)
                return
            try:
                async with asyncio.timeout(self._timeout_s):
                    replies = await self._read(client)
            except REDIS_FAILURES as error:
                self.up.set(0)
                log.warning("metrics.stream_depth_unavailable", error=repr(error))
                return
            self._apply(replies)
            self._last_refresh = now
            self.up.set(1)

    async def _read(self, client: aioredis.Redis) -> list[Any]:
        streams = self._streams
        async with client.pipeline(transaction=False) as pipe:
            pipe.time()
            for stream in (*streams.consumed, *streams.produced, *streams.dead_letters.values()):
                pipe.xlen(stream)
            for stream in streams.consumed:
                pipe.xpending(stream, streams.group)
            for stream in streams.consumed:
                pipe.xinfo_groups(stream)
            # A missing group answers NOGROUP; that stream then simply has nothing pending.
            return list(await pipe.execute(raise_on_error=False))

    def _apply(self, replies: list[Any]) -> None:
        streams = self._streams
        seconds, micros = replies[0]
        now_ms = int(seconds) * 1000 + int(micros) // 1000
        lengths = iter(replies[1:])
        for stream in (*streams.consumed, *streams.produced):
            self.length.labels(stream).set(_count(next(lengths)))
        for stream in streams.dead_letters:
            self.dead_letters.labels(stream).set(_count(next(lengths)))
        offset = 1 + len(streams.consumed) + len(streams.produced) + len(streams.dead_letters)
        summaries = replies[offset : offset + len(streams.consumed)]
        for stream, summary in zip(streams.consumed, summaries, strict=True):
            if not isinstance(summary, dict) or not summary.get("pending"):
                self.pending.labels(stream).set(0)
                self.oldest_pending_age.labels(stream).set(0)
                continue
            self.pending.labels(stream).set(int(summary["pending"]))
            oldest_ms = _entry_ms(summary["min"])
            self.oldest_pending_age.labels(stream).set(max(0, now_ms - oldest_ms) / 1000)
        groups = replies[offset + len(streams.consumed) :]
        for stream, reply in zip(streams.consumed, groups, strict=True):
            lag = _group_lag(reply, streams.group)
            if lag is None:
                with contextlib.suppress(KeyError):
                    self.unread.remove(stream)
            else:
                self.unread.labels(stream).set(lag)


def _group_lag(reply: object, group: str) -> int | None:
    """The group's lag from an XINFO GROUPS reply; None when unknown (no stream, no group)."""
    if not isinstance(reply, list):
        return None  # the stream does not exist yet (an error reply)
    for info in reply:
        name = info.get("name")
        if (name.decode() if isinstance(name, bytes) else name) == group:
            lag = info.get("lag")
            return int(lag) if lag is not None else None
    return None


def _count(reply: object) -> int:
    return reply if isinstance(reply, int) else 0
