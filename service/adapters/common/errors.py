"""Every way a webshop API call can fail, grouped by what the caller should do next.

::

    WebshopError                       .disposition
    ├── Retryable                      RETRY        nothing happened, or only a read did
    │   ├── NotApplied                              the request surely had no effect
    │   │   ├── ConnectFailed                       connect error, connect/pool timeout
    │   │   ├── RateLimited                         HTTP 429 (.retry_after when sent)
    │   │   └── ServiceUnavailable                  HTTP 503
    │   ├── ReadInterrupted                         a read timed out, was dropped or got 5xx
    │   └── DeadlineExceeded                        the call's deadline passed, no write pending
    ├── OutcomeUnknown                 RECONCILE    a write was sent; it may have applied
    │   ├── ResponseLost                            timeout or dropped connection after sending
    │   ├── ServerError                             5xx (not 503) answering a write
    │   ├── WriteDeadlineExceeded                   the deadline passed with a write unresolved
    │   └── ReconciliationFailed                    the look-up after a lost answer failed too
    ├── Conflict                       RECONCILE    the shop's state moved; re-read, decide again
    └── Permanent                      DEAD_LETTER  repeating will fail the same way
        ├── Unauthorized                            401: the credentials were refused
        ├── AccessDenied                            403, or a missing scope / permission
        ├── NotFound                                404
        ├── BadRequest                              400: the request was refused
        ├── UnexpectedResponse                      a success whose body does not fit
        └── ReadCutShort                            more of a nested list than is read

Each shop's client adds its own leaves (the Shopify client's THROTTLED and userErrors, the
WooCommerce client's batch limit). The dispositions are the Sitoo client's, so a consumer
handles every client's failures the same way.
"""

from __future__ import annotations

from service.sitoo.errors import Disposition

__all__ = [
    "AccessDenied",
    "BadRequest",
    "Conflict",
    "ConnectFailed",
    "DeadlineExceeded",
    "Disposition",
    "NotApplied",
    "NotFound",
    "OutcomeUnknown",
    "Permanent",
    "RateLimited",
    "ReadCutShort",
    "ReadInterrupted",
    "ReconciliationFailed",
    "ResponseLost",
    "Retryable",
    "ServerError",
    "ServiceUnavailable",
    "Unauthorized",
    "UnexpectedResponse",
    "WebshopError",
    "WriteDeadlineExceeded",
]


class WebshopError(Exception):
    """Base of every failure a webshop client raises."""

    disposition: Disposition = Disposition.DEAD_LETTER

    def __init__(self, message: str, *, status: int | None = None, code: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.status = status
        self.code = code  # the shop's own error code, when it sends one


class Retryable(WebshopError):
    """The call may simply be repeated."""

    disposition = Disposition.RETRY


class NotApplied(Retryable):
    """The request did not take effect; repeating a write is safe."""

    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        code: str | None = None,
        retry_after: float | None = None,
    ) -> None:
        super().__init__(message, status=status, code=code)
        self.retry_after = retry_after


class ConnectFailed(NotApplied):
    """No connection was made, so nothing was sent."""


class RateLimited(NotApplied):
    """HTTP 429: nothing was executed."""


class ServiceUnavailable(NotApplied):
    """HTTP 503: refused before processing."""


class ReadInterrupted(Retryable):
    """A read failed half-way; reading again is harmless."""


class DeadlineExceeded(Retryable):
    """The call's total deadline passed while no write was in an unknown state."""


class OutcomeUnknown(WebshopError):
    """A write was sent and no reliable answer came back; look it up before repeating it."""

    disposition = Disposition.RECONCILE


class ResponseLost(OutcomeUnknown):
    """The connection timed out or dropped after the write had been sent."""


class ServerError(OutcomeUnknown):
    """A 5xx other than 503 answered a write."""


class WriteDeadlineExceeded(OutcomeUnknown):
    """The deadline passed while a write's outcome was still unresolved."""


class ReconciliationFailed(OutcomeUnknown):
    """A write's answer was lost and looking it up kept failing until retries ran out."""


class Conflict(WebshopError):
    """The shop refused because its state is not what the caller assumed; re-read first."""

    disposition = Disposition.RECONCILE


class Permanent(WebshopError):
    """Repeating the call would fail the same way."""

    disposition = Disposition.DEAD_LETTER


class Unauthorized(Permanent):
    """401: the credentials were refused."""


class AccessDenied(Permanent):
    """403, or the credentials lack a scope or permission."""


class NotFound(Permanent):
    """404: unknown path, resource or API version."""


class BadRequest(Permanent):
    """400: the request was refused."""


class UnexpectedResponse(Permanent):
    """A successful status whose body does not have the expected shape."""


class ReadCutShort(Permanent):
    """The object holds more of a nested list than the adapter reads in one go; acting on
    the part that was read would be wrong, so the object is refused with the limit named."""
