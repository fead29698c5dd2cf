"""The WooCommerce client's errors: the shared webshop tree plus WooCommerce's own leaves.

::

    WebshopError (shared)              .disposition
    ├── Retryable                      RETRY        ConnectFailed, RateLimited (429),
    │                                               ServiceUnavailable (503), ReadInterrupted,
    │                                               DeadlineExceeded
    ├── OutcomeUnknown                 RECONCILE    ResponseLost, ServerError (5xx on a write),
    │                                               WriteDeadlineExceeded, ReconciliationFailed
    ├── Conflict                       RECONCILE    (WooCommerce has no compare-and-set: unused)
    └── Permanent                      DEAD_LETTER  Unauthorized (401), AccessDenied (403, or a
                                                    read-only key), NotFound (404), BadRequest
                                                    (400), InvalidParams (rest_invalid_param),
                                                    RequestTooLarge (413), UnexpectedResponse,
                                                    ReadCutShort (a collection past the page cap)

Every error carries WooCommerce's error ``code`` when the answer had one (``rest_no_route``,
``woocommerce_rest_shop_order_invalid_id`` ...).
"""

from __future__ import annotations

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
    "Conflict",
    "ConnectFailed",
    "DeadlineExceeded",
    "Disposition",
    "InvalidParams",
    "NotApplied",
    "NotFound",
    "OutcomeUnknown",
    "Permanent",
    "RateLimited",
    "ReadCutShort",
    "ReadInterrupted",
    "ReconciliationFailed",
    "RequestTooLarge",
    "ResponseLost",
    "Retryable",
    "ServerError",
    "ServiceUnavailable",
    "Unauthorized",
    "UnexpectedResponse",
    "WebshopError",
    "WriteDeadlineExceeded",
]


class InvalidParams(BadRequest):
    """rest_invalid_param: ``params`` maps each refused argument to WordPress's reason."""

    def __init__(
        self, message: str, *, status: int | None = None, params: dict[str, str] | None = None
    ) -> None:
        super().__init__(message, status=status, code="rest_invalid_param")
        self.params = params or {}


class RequestTooLarge(Permanent):
    """413: more batch items than the store accepts (the client never sends more than 100)."""
