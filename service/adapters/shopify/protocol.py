"""Sans-I/O Admin API protocol: (status, headers, body) becomes data plus cost, or an error."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from service.adapters.common.errors import WebshopError
from service.adapters.shopify.errors import (
    AccessDenied,
    BadRequest,
    ConcurrentRequest,
    IdempotencyKeySpent,
    NotFound,
    QueryError,
    QueryTooExpensive,
    RateLimited,
    ReadInterrupted,
    ServerError,
    ServiceUnavailable,
    ShopUnavailable,
    StaleQuantities,
    Throttled,
    Unauthorized,
    UnexpectedResponse,
    UserError,
    UserErrors,
)
from service.adapters.shopify.throttle import ThrottleStatus
from service.sitoo.protocol import parse_retry_after

_TEXT_LIMIT = 500
_STALE = {"CHANGE_FROM_QUANTITY_STALE", "COMPARE_QUANTITY_STALE"}


@dataclass(frozen=True, slots=True)
class Answer:
    """A successful GraphQL answer: data, the cost figures and the version that served it."""

    data: dict[str, Any]
    requested_cost: float | None
    actual_cost: float | None
    throttle: ThrottleStatus | None
    version: str | None


def _text(body: bytes) -> str:
    try:
        data = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        return body[:_TEXT_LIMIT].decode("utf-8", errors="replace").strip()
    errors = data.get("errors") if isinstance(data, dict) else None
    return json.dumps(errors if errors is not None else data)[:_TEXT_LIMIT]


def _http_error(
    status: int, headers: Mapping[str, str], body: bytes, *, mutation: bool, what: str
) -> WebshopError:
    message = f"{what}: HTTP {status}: {_text(body)}"
    retry_after = parse_retry_after(headers.get("retry-after"))
    if status == 429:  # noqa: PLR2004
        return RateLimited(message, status=status, retry_after=retry_after)
    if status == 503:  # noqa: PLR2004
        return ServiceUnavailable(message, status=status, retry_after=retry_after)
    if status >= 500:  # noqa: PLR2004
        return (
            ServerError(message, status=status)
            if mutation
            else ReadInterrupted(message, status=status)
        )
    permanent: dict[int, type[WebshopError]] = {
        400: BadRequest,
        401: Unauthorized,
        402: ShopUnavailable,
        403: AccessDenied,
        404: NotFound,
        423: ShopUnavailable,
    }
    return permanent.get(status, UnexpectedResponse)(message, status=status)


def _top_level_error(errors: list[Any], cost: Any, *, mutation: bool, what: str) -> WebshopError:  # noqa: ANN401
    codes = tuple(
        str(e.get("extensions", {}).get("code"))
        for e in errors
        if isinstance(e, dict)
        and isinstance(e.get("extensions"), dict)
        and e["extensions"].get("code")
    )
    text = "; ".join(str(e.get("message")) if isinstance(e, dict) else str(e) for e in errors)
    message = f"{what}: {text}"[:_TEXT_LIMIT]
    if "THROTTLED" in codes:
        status = ThrottleStatus.from_cost(cost)
        requested = cost.get("requestedQueryCost") if isinstance(cost, dict) else None
        wait = None
        if status is not None and isinstance(requested, int | float):
            wait = max(
                0.0, (min(requested, status.maximum) - status.available) / status.restore_rate
            )
        throttled = Throttled(message, retry_after=wait)
        throttled.throttle = status
        return throttled
    if "MAX_COST_EXCEEDED" in codes:
        return QueryTooExpensive(message)
    if "ACCESS_DENIED" in codes:
        return AccessDenied(message)
    if "INTERNAL_SERVER_ERROR" in codes:
        return ServerError(message) if mutation else ReadInterrupted(message)
    return QueryError(message, codes=codes)


def _throttled_body(body: bytes, *, what: str) -> WebshopError | None:
    """The Throttled error a 429 with a GraphQL THROTTLED body stands for (with the bucket)."""
    try:
        document = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        return None
    if not isinstance(document, dict) or not isinstance(document.get("errors"), list):
        return None
    extensions = document.get("extensions")
    cost = extensions.get("cost") if isinstance(extensions, dict) else None
    error = _top_level_error(document["errors"], cost, mutation=True, what=what)
    return error if isinstance(error, Throttled) else None


def interpret(
    status: int, headers: Mapping[str, str], body: bytes, *, mutation: bool, what: str
) -> Answer:
    """The answer of a request; raises the matching error otherwise."""
    if status == 429:  # noqa: PLR2004 - THROTTLED may come as a 429 (FACTS.md §10.1)
        throttled = _throttled_body(body, what=what)
        if throttled is not None:
            raise throttled
    if not 200 <= status < 300:  # noqa: PLR2004
        raise _http_error(status, headers, body, mutation=mutation, what=what)
    try:
        document = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        raise UnexpectedResponse(f"{what}: HTTP {status} with a body that is not JSON") from None
    if not isinstance(document, dict):
        raise UnexpectedResponse(f"{what}: the answer is not a JSON object")
    extensions = document.get("extensions")
    cost = extensions.get("cost") if isinstance(extensions, dict) else None
    errors = document.get("errors")
    if errors:
        raise _top_level_error(
            errors if isinstance(errors, list) else [errors], cost, mutation=mutation, what=what
        )
    data = document.get("data")
    if not isinstance(data, dict):
        raise UnexpectedResponse(f"{what}: no data in the answer")
    requested = cost.get("requestedQueryCost") if isinstance(cost, dict) else None
    actual = cost.get("actualQueryCost") if isinstance(cost, dict) else None
    return Answer(
        data=data,
        requested_cost=float(requested) if isinstance(requested, int | float) else None,
        actual_cost=float(actual) if isinstance(actual, int | float) else None,
        throttle=ThrottleStatus.from_cost(cost),
        version=headers.get("x-shopify-api-version"),
    )


def user_errors(payload: Any, *, key: str = "userErrors") -> tuple[UserError, ...]:  # noqa: ANN401 - raw JSON
    """A mutation payload's userErrors as values."""
    raw = payload.get(key) if isinstance(payload, dict) else None
    found: list[UserError] = []
    for entry in raw or []:
        if isinstance(entry, dict):
            field = entry.get("field")
            found.append(
                UserError(
                    message=str(entry.get("message") or ""),
                    field=tuple(str(f) for f in field) if isinstance(field, list) else None,
                    code=str(entry["code"]) if entry.get("code") else None,
                )
            )
    return tuple(found)


def raise_user_errors(errors: tuple[UserError, ...], *, what: str) -> None:
    """Raise the error a mutation's userErrors stand for (nothing, when there are none)."""
    if not errors:
        return
    text = f"{what}: " + "; ".join(
        f"{e.message}" + (f" ({e.code})" if e.code else "") for e in errors
    )
    codes = {e.code for e in errors}
    if "IDEMPOTENCY_CONCURRENT_REQUEST" in codes:
        raise ConcurrentRequest(text)
    if "IDEMPOTENCY_PREVIOUS_ATTEMPT_FAILED" in codes:
        raise IdempotencyKeySpent(text, errors=errors)
    if codes & _STALE and codes <= _STALE:
        indexes = tuple(
            int(e.field[2])
            for e in errors
            if e.field and len(e.field) > 2 and e.field[2].isdigit()  # noqa: PLR2004 - input.quantities.N
        )
        raise StaleQuantities(text, errors=errors, indexes=indexes)
    raise UserErrors(text, errors=errors)
