"""Every way a Shopify Admin API call can fail, grouped by what the caller should do next.

::

    WebshopError (shared)              .disposition
    ├── Retryable                      RETRY        nothing happened, or only a read did
    │   ├── NotApplied                              the request surely had no effect
    │   │   ├── ConnectFailed                       connect error, connect/pool timeout
    │   │   ├── RateLimited                         HTTP 429 (.retry_after when sent)
    │   │   ├── Throttled                           THROTTLED: the cost bucket is short
    │   │   └── ServiceUnavailable                  HTTP 503
    │   ├── ReadInterrupted                         a query timed out, was dropped or got 5xx
    │   ├── ConcurrentRequest                       the same idempotency key is running now
    │   └── DeadlineExceeded                        the call's deadline passed, no write pending
    ├── OutcomeUnknown                 RECONCILE    a mutation was sent; it may have applied
    │   ├── ResponseLost                            timeout or dropped connection after sending
    │   ├── ServerError                             5xx (not 503) or INTERNAL_SERVER_ERROR
    │   ├── WriteDeadlineExceeded                   the deadline passed with a write unresolved
    │   └── ReconciliationFailed                    the look-up after a lost answer failed too
    ├── Conflict                       RECONCILE    Shopify's state moved; re-read, decide again
    │   ├── StaleQuantities                         compare-and-set refused (.indexes)
    │   └── IdempotencyKeySpent                     the key's first attempt failed: new key
    └── Permanent                      DEAD_LETTER  repeating will fail the same way
        ├── Unauthorized                            401: the access token was refused
        ├── AccessDenied                            ACCESS_DENIED / 403: a scope is missing
        ├── NotFound                                404: unknown shop or API version
        ├── ShopUnavailable                         402 frozen / 423 locked shop
        ├── BadRequest                              400: the body was refused
        ├── QueryError                              top-level GraphQL errors (schema, variables)
        ├── QueryTooExpensive                       MAX_COST_EXCEEDED
        ├── UserErrors                              the mutation's userErrors (.errors)
        ├── UnexpectedResponse                      a 200 whose body does not fit the query
        └── ReadCutShort                            an order or refund holds more than is read

The tree is the one every webshop client shares (:mod:`service.adapters.common.errors`);
the Shopify client adds ``Throttled``, ``ConcurrentRequest``, ``StaleQuantities``,
``IdempotencyKeySpent``, ``ShopUnavailable``, ``QueryError``, ``QueryTooExpensive`` and
``UserErrors``. The dispositions are the Sitoo client's, so a consumer handles both the same way.
"""

from __future__ import annotations

from dataclasses import dataclass

from service.adapters.common.errors import (
    AccessDenied,
    BadRequest,
    Conflict,
    ConnectFailed,
    DeadlineExceeded,
    Disposition,
    NotApplied,
    NotFound,
    OutcomeUnknown,
    Permanent,
    RateLimited,
    ReadCutShort,
    ReadInterrupted,
    ReconciliationFailed,
    ResponseLost,
    Retryable,
    ServerError,
    ServiceUnavailable,
    Unauthorized,
    UnexpectedResponse,
    WebshopError,
    WriteDeadlineExceeded,
)

__all__ = [
    "AccessDenied",
    "BadRequest",
    "ConcurrentRequest",
    "Conflict",
    "ConnectFailed",
    "DeadlineExceeded",
    "Disposition",
    "IdempotencyKeySpent",
    "NotApplied",
    "NotFound",
    "OutcomeUnknown",
    "Permanent",
    "QueryError",
    "QueryTooExpensive",
    "RateLimited",
    "ReadCutShort",
    "ReadInterrupted",
    "ReconciliationFailed",
    "ResponseLost",
    "Retryable",
    "ServerError",
    "ServiceUnavailable",
    "ShopUnavailable",
    "StaleQuantities",
    "Throttled",
    "Unauthorized",
    "UnexpectedResponse",
    "UserError",
    "UserErrors",
    "WebshopError",
    "WriteDeadlineExceeded",
]


@dataclass(frozen=True, slots=True)
class UserError:
    """One entry of a mutation's userErrors."""

    message: str
    field: tuple[str, ...] | None = None
    code: str | None = None


class Throttled(NotApplied):
    """THROTTLED: the query cost more than the bucket held; ``retry_after`` is the refill time."""

    throttle: object = None  # the ThrottleStatus Shopify reported, when it sent one


class ConcurrentRequest(Retryable):
    """IDEMPOTENCY_CONCURRENT_REQUEST: the first request with this key is still running."""


class StaleQuantities(Conflict):
    """CHANGE_FROM_QUANTITY_STALE / COMPARE_QUANTITY_STALE; ``indexes`` name the quantities."""

    def __init__(
        self, message: str, *, errors: tuple[UserError, ...], indexes: tuple[int, ...]
    ) -> None:
        super().__init__(message)
        self.errors = errors
        self.indexes = indexes


class IdempotencyKeySpent(Conflict):
    """IDEMPOTENCY_PREVIOUS_ATTEMPT_FAILED: the first attempt failed; retry with a new key."""

    def __init__(self, message: str, *, errors: tuple[UserError, ...] = ()) -> None:
        super().__init__(message)
        self.errors = errors


class ShopUnavailable(Permanent):
    """402 (frozen: unpaid) or 423 (locked) shop."""


class QueryError(Permanent):
    """Top-level GraphQL errors: the query or its variables do not fit the schema."""

    def __init__(self, message: str, *, codes: tuple[str, ...] = ()) -> None:
        super().__init__(message)
        self.codes = codes


class QueryTooExpensive(Permanent):
    """MAX_COST_EXCEEDED: the query asks for more than one query may cost."""


class UserErrors(Permanent):
    """The mutation ran and refused with userErrors (nothing was applied)."""

    def __init__(self, message: str, *, errors: tuple[UserError, ...]) -> None:
        super().__init__(message)
        self.errors = errors

    @property
    def codes(self) -> tuple[str, ...]:
        """The codes of the userErrors that have one."""
        return tuple(e.code for e in self.errors if e.code)
