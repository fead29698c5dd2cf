"""The loop every poller runs in: take the lease, keep it alive, poll on a schedule."""

from __future__ import annotations

import asyncio
import contextlib
import os
import socket
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Protocol

import structlog

from service.pollers.lease import Holding, Lease, LeaseLostError
from service.tasks import stop_tasks

if TYPE_CHECKING:
    import redis.asyncio as aioredis

    from service.records.keys import DeploymentKeys

log = structlog.get_logger(__name__)
STATUS_TTL_S = 7 * 86_400  # a poller that stopped everywhere leaves no status behind for ever


class StatusBoard(Protocol):
    """Where a leading poller publishes its status for other processes (``sitoo-sync status``)."""

    async def record(self, name: str, fields: Mapping[str, str]) -> None:
        """Merge ``fields`` into the status of poller ``name``."""
        ...


class RedisStatusBoard:
    """Poller status as one Redis hash per poller (Unix-second times, so any process reads it)."""

    def __init__(self, redis: aioredis.Redis, *, keys: DeploymentKeys) -> None:
        self._redis = redis
        self._keys = keys

    async def record(self, name: str, fields: Mapping[str, str]) -> None:
        """Merge ``fields`` into the hash and push its expiry out."""
        key = self._keys.poller_status(name)
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.hset(key, items=[part for pair in fields.items() for part in pair])
            pipe.expire(key, STATUS_TTL_S)
            await pipe.execute()


class Poller(Protocol):
    """One kind of poll (stock, orders, gift cards)."""

    name: str
    interval_s: float

    async def cycle(self, holding: Holding) -> None:
        """Read what changed, publish it, then advance the cursor under ``holding``."""
        ...


@dataclass(slots=True)
class PollerStatus:
    """What a poller did last; feeds readiness and logs."""

    leading: bool = False
    fence: int | None = None
    cycles: int = 0
    failures: int = 0
    last_success_at: float | None = None  # time.monotonic() of the last good cycle
    leading_since: float | None = None  # time.monotonic() when the lease was taken
    last_error: str | None = None


@dataclass(slots=True)
class Heartbeats:
    """The status of every poller in this process."""

    statuses: dict[str, PollerStatus] = field(default_factory=dict)

    def of(self, name: str) -> PollerStatus:
        """The status record of poller ``name`` (created on first use)."""
        return self.statuses.setdefault(name, PollerStatus())

    def stale(self, intervals: dict[str, float], *, factor: float = 3.0) -> list[str]:
        """Leading pollers without a good cycle within ``factor`` intervals (plus a start grace)."""
        now = time.monotonic()
        late = []
        for name, status in self.statuses.items():
            if not status.leading:
                continue
            allowed = factor * intervals.get(name, 60.0)
            # A new leader gets the same allowance for its first cycle as between cycles.
            reference = status.last_success_at or status.leading_since or now
            if now - reference > allowed:
                late.append(name)
        return late


async def _wait(stop: asyncio.Event, seconds: float) -> None:
    """Sleep ``seconds`` or until ``stop`` is set, whichever comes first."""
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(stop.wait(), timeout=max(0.0, seconds))


class PollerRunner:
    """Runs one poller in one replica at a time; the others wait for the lease."""

    def __init__(
        self,
        poller: Poller,
        lease: Lease,
        heartbeats: Heartbeats,
        *,
        renew_every_s: float,
        retry_lease_every_s: float,
        board: StatusBoard | None = None,
    ) -> None:
        self.poller = poller
        self.lease = lease
        self.status = heartbeats.of(poller.name)
        self._renew_every_s = renew_every_s
        self._retry_lease_every_s = retry_lease_every_s
        self._board = board

    async def _publish(self, **fields: str) -> None:
        """Record status on the board; a Redis blip must never stop the poller."""
        if self._board is None:
            return
        try:
            await self._board.record(self.poller.name, fields)
        except Exception as exc:  # noqa: BLE001 - status is diagnostics only
            log.warning("poller.status_not_recorded", poller=self.poller.name, error=repr(exc))

    async def run(self, stop: asyncio.Event) -> None:
        """Until ``stop``: lead when the lease is free, otherwise try again later."""
        while not stop.is_set():
            try:
                holding = await self.lease.acquire()
            except Exception as exc:  # noqa: BLE001 - Redis down: keep trying, never die
                log.warning("poller.lease_unavailable", poller=self.poller.name, error=repr(exc))
                holding = None
            if holding is None:
                await _wait(stop, self._retry_lease_every_s)
                continue
            await self._lead(holding, stop)

    async def _lead(self, holding: Holding, stop: asyncio.Event) -> None:
        name = self.poller.name
        self.status.leading, self.status.fence = True, holding.fence
        self.status.leading_since = time.monotonic()
        log.info("poller.leading", poller=name, fence=holding.fence)
        await self._publish(
            fence=str(holding.fence),
            leader=f"{socket.gethostname()}/{os.getpid()}",
            leading_since=f"{time.time():.3f}",
        )
        keeper = asyncio.create_task(self._keep(holding, stop), name=f"lease:{name}")
        worker = asyncio.create_task(self._work(holding, stop), name=f"poll:{name}")
        try:
            await asyncio.wait({keeper, worker}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            await stop_tasks((keeper, worker))
            self.status.leading = False
            errors = [task.exception() for task in (keeper, worker) if not task.cancelled()]
            lost = any(isinstance(error, LeaseLostError) for error in errors)
            if lost:
                log.warning("poller.lease_lost", poller=name, fence=holding.fence)
            else:
                with contextlib.suppress(Exception):
                    await self.lease.release(holding)
                log.info("poller.stepped_down", poller=name, fence=holding.fence)

    async def _keep(self, holding: Holding, stop: asyncio.Event) -> None:
        """Renew the lease until stopped; LeaseLostError ends the leadership."""
        while not stop.is_set():
            await _wait(stop, self._renew_every_s)
            if stop.is_set():
                return
            try:
                await self.lease.renew(holding)
            except LeaseLostError:
                raise
            except Exception as exc:  # noqa: BLE001 - a blip: the lease still has time left
                log.warning("poller.renew_failed", poller=self.poller.name, error=repr(exc))

    async def _work(self, holding: Holding, stop: asyncio.Event) -> None:
        """Cycle, then wait an interval; a failed cycle is logged and retried next time."""
        while not stop.is_set():
            await self.run_cycle(holding)
            await _wait(stop, self.poller.interval_s)

    async def run_cycle(self, holding: Holding) -> bool:
        """One cycle with bookkeeping; True when it succeeded. LeaseLostError propagates."""
        name = self.poller.name
        try:
            await self.poller.cycle(holding)
        except LeaseLostError:
            raise
        except Exception as exc:
            self.status.failures += 1
            self.status.last_error = repr(exc)[:300]
            log.exception("poller.cycle_failed", poller=name)
            await self._publish(
                last_error=self.status.last_error,
                last_error_at=f"{time.time():.3f}",
                failures=str(self.status.failures),
            )
            return False
        self.status.cycles += 1
        self.status.last_success_at = time.monotonic()
        self.status.last_error = None
        await self._publish(
            last_success_at=f"{time.time():.3f}", cycles=str(self.status.cycles), last_error=""
        )
        return True
