"""When a failed Sitoo request is tried again, and how long to wait first."""

from __future__ import annotations

from service.sitoo.errors import NotApplied, OutcomeUnknown, Retryable

# Never sleep longer than this on a server hint; the call deadline bounds the total anyway.
MAX_RETRY_AFTER_S = 30.0


def backoff(exc: BaseException) -> bool | float:
    """stamina's ``on=`` hook: retry retryable and unknown outcomes; Retry-After wins.

    An unknown outcome is only retried by callers that either repeat an idempotent
    request (reads, absolute PUTs) or reconcile before the next attempt, as
    :meth:`~service.sitoo.engine.RequestEngine.exactly_once` does. Permanent errors
    and everything that is not a Sitoo error propagate at once.
    """
    if isinstance(exc, NotApplied) and exc.retry_after is not None:
        return min(exc.retry_after, MAX_RETRY_AFTER_S)
    return isinstance(exc, Retryable | OutcomeUnknown)
