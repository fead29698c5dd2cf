"""Every way a Sitoo call can fail, grouped by what the caller should do next.

::

    SitooError                         .disposition
    ├── Retryable                      RETRY        nothing happened, or only a read did
    │   ├── NotApplied                              the request surely had no effect
    │   │   ├── ConnectFailed                       connect error, connect/pool timeout
    │   │   ├── RateLimited                         429 (.retry_after when Sitoo sends one)
    │   │   └── ServiceUnavailable                  503, refused before processing
    │   ├── ReadInterrupted                         a GET timed out, was dropped or got 5xx
    │   ├── DeadlineExceeded                        the call's deadline passed, no write pending
    │   ├── OperationInFlight                       the same operation runs elsewhere right now
    │   └── ClaimNotReplicated                      too few replicas acknowledged the claim
    ├── OutcomeUnknown                 RECONCILE    a write was sent; it may or may not be applied
    │   ├── ResponseLost                            read/write timeout or dropped connection
    │   ├── ServerError                             5xx other than 503 on a write
    │   ├── WriteDeadlineExceeded                   the deadline passed with a write unresolved
    │   └── ReconciliationFailed                    the look-up after a lost answer failed too
    ├── WriteWithheld                  DEAD_LETTER  a look-up-only run did not find the write
    └── Permanent                      DEAD_LETTER  repeating will fail the same way
        ├── BadRequest                              400 with Sitoo's errortext
        ├── Unauthorized                            401, credentials refused
        ├── Forbidden                               403
        ├── NotFound                                404
        ├── UnexpectedStatus                        any other status Sitoo does not document
        ├── BatchItemRejected                       one element of a batch write was refused
        └── UnexpectedResponse                      a 200 whose body does not fit the contract

Inside :class:`~service.sitoo.client.SitooClient` retryable errors are retried and
*outcome unknown* is resolved by looking the write up by its natural key before any
retry, so what escapes a client call is what the retries and the deadline could not fix.
"""

from __future__ import annotations

import enum


class Disposition(enum.Enum):
    """What a consumer does with a message whose Sitoo call failed."""

    RETRY = "retry"  # leave the message pending; it is safe to run again as is
    RECONCILE = "reconcile"  # run again; the client looks the write up before repeating it
    DEAD_LETTER = "dead_letter"  # park it with the error for a human; retrying cannot help


class SitooError(Exception):
    """Base of every failure the Sitoo client raises."""

    disposition: Disposition = Disposition.DEAD_LETTER

    def __init__(self, message: str, *, status: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.status = status


class Retryable(SitooError):
    """The call may simply be repeated."""

    disposition = Disposition.RETRY


class NotApplied(Retryable):
    """The request did not take effect at Sitoo; repeating a write is safe."""

    def __init__(
        self, message: str, *, status: int | None = None, retry_after: float | None = None
    ) -> None:
        super().__init__(message, status=status)
        self.retry_after = retry_after


class ConnectFailed(NotApplied):
    """No connection was made (or none was free in the pool), so nothing was sent."""


class RateLimited(NotApplied):
    """Sitoo answered 429; it executed nothing."""


class ServiceUnavailable(NotApplied):
    """Sitoo answered 503 before processing the request."""


class ReadInterrupted(Retryable):
    """A read failed half-way (timeout, dropped connection, 5xx); reading again is harmless."""


class DeadlineExceeded(Retryable):
    """The call's total deadline passed while no write was in an unknown state."""


class OperationInFlight(Retryable):
    """Another worker holds the lease on this operation; try again after it finishes."""


class ClaimNotReplicated(Retryable):
    """Fewer replicas than configured acknowledged the claim in time; nothing was sent.

    A claim that only the primary holds would be lost with it in a failover, and the
    write it guards could then be made a second time; so the write waits for a later try.
    """


class OutcomeUnknown(SitooError):
    """A write was sent and no reliable answer came back; look it up before repeating it."""

    disposition = Disposition.RECONCILE


class ResponseLost(OutcomeUnknown):
    """The connection timed out or dropped after the write had been sent."""


class ServerError(OutcomeUnknown):
    """Sitoo answered a write with a 5xx other than 503; it may have been applied."""


class WriteDeadlineExceeded(OutcomeUnknown):
    """The deadline passed while a write's outcome was still unresolved."""


class ReconciliationFailed(OutcomeUnknown):
    """A write's answer was lost and looking it up kept failing until retries ran out."""


class WriteWithheld(SitooError):
    """An event allowed only look-ups (its earlier runs never settled) needs a write not found.

    Nothing was sent: the event's earlier runs kept dying without a result, so this run
    only looks their writes up. What was found is recorded; this write is not made.
    """

    disposition = Disposition.DEAD_LETTER


class Permanent(SitooError):
    """Repeating the call would fail the same way."""

    disposition = Disposition.DEAD_LETTER

    def __init__(self, message: str, *, status: int | None = None, errortext: str = "") -> None:
        super().__init__(message, status=status)
        self.errortext = errortext


class BadRequest(Permanent):
    """400: Sitoo rejected the data; ``errortext`` says why."""


class Unauthorized(Permanent):
    """401: the API user or password was refused (or the IP is not allow-listed)."""


class Forbidden(Permanent):
    """403: the API user may not do this."""


class NotFound(Permanent):
    """404: unknown resource or URL."""


class UnexpectedStatus(Permanent):
    """A status Sitoo does not document for this endpoint."""


class BatchItemRejected(Permanent):
    """Sitoo refused one element of a batch write; ``index`` says which."""

    def __init__(self, message: str, *, index: int, status: int | None, errortext: str) -> None:
        super().__init__(message, status=status, errortext=errortext)
        self.index = index


class UnexpectedResponse(Permanent):
    """A successful status whose body does not have the documented shape."""
