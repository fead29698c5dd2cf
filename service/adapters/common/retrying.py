"""Retries under one deadline per call, and writes that take effect once without a key.

Every client call runs through :class:`CallPolicy`:

* :meth:`CallPolicy.read` retries anything transient (reading again is harmless);
* :meth:`CallPolicy.write` retries what surely did not apply, and, for writes that are
  safe to repeat (an idempotency key, an absolute value, adding a tag), unknown outcomes too;
* :meth:`CallPolicy.write_once` runs a write the shop would apply twice: after an unknown
  outcome it looks the write up before it would ever send it again.

Each call runs under one total deadline, retries included.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import TypeVar

import stamina
import structlog

from service.adapters.common.errors import (
    DeadlineExceeded,
    NotApplied,
    OutcomeUnknown,
    Permanent,
    ReconciliationFailed,
    Retryable,
    WriteDeadlineExceeded,
)

T = TypeVar("T")
MAX_RETRY_AFTER_S = 30.0
log = structlog.get_logger(__name__)


def backoff(exc: BaseException) -> bool | float:
    """stamina's ``on=`` hook for requests that did not apply: Retry-After wins (capped)."""
    if isinstance(exc, NotApplied) and exc.retry_after is not None:
        return min(exc.retry_after, MAX_RETRY_AFTER_S)
    return isinstance(exc, Retryable)


def backoff_repeatable(exc: BaseException) -> bool | float:
    """The same, and unknown outcomes too: for writes that are harmless to repeat."""
    return True if isinstance(exc, OutcomeUnknown) else backoff(exc)


class CallPolicy:
    """How one client retries: stamina's backoff with jitter, bounded by a call deadline."""

    def __init__(
        self,
        *,
        adapter: str,
        deadline_s: float,
        attempts: int = 8,
        wait_initial_s: float = 0.2,
        wait_max_s: float = 10.0,
    ) -> None:
        self.adapter = adapter
        self.deadline_s = deadline_s
        self._attempts = attempts
        self._wait_initial_s = wait_initial_s
        self._wait_max_s = wait_max_s

    def _retrying(self) -> stamina.AsyncRetryingCaller:
        return stamina.AsyncRetryingCaller(
            attempts=self._attempts,
            timeout=None,  # the call deadline (asyncio.timeout) bounds the total instead
            wait_initial=self._wait_initial_s,
            wait_max=self._wait_max_s,
        )

    async def bounded(self, label: str, call: Callable[[], Awaitable[T]]) -> T:
        """Run ``call`` under the deadline; running out is DeadlineExceeded."""
        try:
            async with asyncio.timeout(self.deadline_s):
                return await call()
        except TimeoutError as exc:
            raise DeadlineExceeded(f"{label}: deadline of {self.deadline_s}s passed") from exc

    async def read(self, label: str, attempt: Callable[[], Awaitable[T]]) -> T:
        """A read, retried on anything transient within the deadline."""
        return await self.bounded(label, lambda: self._retrying().on(backoff)(attempt))

    async def write(
        self, label: str, attempt: Callable[[], Awaitable[T]], *, repeatable: bool
    ) -> T:
        """A write; ``repeatable`` ones are also retried after an unknown outcome."""
        hook = backoff_repeatable if repeatable else backoff
        try:
            return await self.bounded(label, lambda: self._retrying().on(hook)(attempt))
        except DeadlineExceeded as exc:
            raise WriteDeadlineExceeded(exc.message) from exc

    async def write_once(
        self,
        label: str,
        *,
        write: Callable[[], Awaitable[T]],
        reconcile: Callable[[], Awaitable[T | None]],
        unknown: bool = False,
    ) -> T:
        """Run ``write`` at most once in effect: after an unknown outcome (or when ``unknown``
        says an earlier attempt may have applied), ``reconcile`` looks it up first and only
        a proven absence lets the write go out again."""
        state = {"unknown": unknown}

        async def attempt() -> T:
            if state["unknown"]:
                found = await reconcile()
                if found is not None:
                    log.info("webshop_write_reconciled", adapter=self.adapter, label=label)
                    return found
                state["unknown"] = False
            state["unknown"] = True  # from the moment the request leaves, it may be applied
            try:
                result = await write()
            except (NotApplied, Permanent):
                state["unknown"] = False
                raise
            # Anything else (a lost answer, or a read inside the write failing) leaves the
            # write possibly applied: the next attempt reconciles first.
            state["unknown"] = False
            return result

        try:
            return await self.bounded(
                label, lambda: self._retrying().on(backoff_repeatable)(attempt)
            )
        except DeadlineExceeded as exc:
            if state["unknown"]:
                raise WriteDeadlineExceeded(exc.message) from exc
            raise
        except Retryable as exc:
            if state["unknown"]:
                raise ReconciliationFailed(f"{label}: {exc.message}") from exc
            raise
