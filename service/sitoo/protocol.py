"""Sans-I/O Sitoo protocol: a (status, headers, body) triple becomes data or an error."""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any

from service.sitoo.errors import (
    BadRequest,
    BatchItemRejected,
    Forbidden,
    NotFound,
    Permanent,
    RateLimited,
    ReadInterrupted,
    ServerError,
    ServiceUnavailable,
    SitooError,
    Unauthorized,
    UnexpectedResponse,
    UnexpectedStatus,
)

_PERMANENT_BY_STATUS: dict[int, type[Permanent]] = {
    400: BadRequest,
    401: Unauthorized,
    403: Forbidden,
    404: NotFound,
}
_ERRORTEXT_LIMIT = 500  # keeps a huge HTML error page out of exception messages and logs


def parse_retry_after(value: str | None, *, now: datetime | None = None) -> float | None:
    """Seconds to wait from a Retry-After header (delta-seconds or HTTP-date); None if absent."""
    if value is None or not value.strip():
        return None
    text = value.strip()
    try:
        seconds = float(text)
    except ValueError:
        try:
            when = parsedate_to_datetime(text)
        except (TypeError, ValueError, IndexError):
            return None
        if when.tzinfo is None:  # RFC 9110 dates are GMT; an obsolete form may lack the zone
            when = when.replace(tzinfo=UTC)
        reference = now if now is not None else datetime.now(UTC)
        return max(0.0, (when - reference).total_seconds())
    if not math.isfinite(seconds) or seconds < 0:
        return None
    return seconds


def parse_errortext(body: bytes) -> str:
    """Sitoo's ``errortext`` from an error body, or the body itself (shortened) if it has none."""
    try:
        data = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        return body[:_ERRORTEXT_LIMIT].decode("utf-8", errors="replace").strip()
    if isinstance(data, dict) and isinstance(data.get("errortext"), str):
        return str(data["errortext"])[:_ERRORTEXT_LIMIT]
    return json.dumps(data)[:_ERRORTEXT_LIMIT]


def error_for_status(
    status: int, headers: Mapping[str, str], body: bytes, *, write: bool, what: str
) -> SitooError | None:
    """The error a response stands for, or None when it is a success.

    ``write`` says whether the request could have changed something at Sitoo: a 5xx
    then leaves the outcome unknown, while on a read it is just worth another try.
    """
    if 200 <= status < 300:  # noqa: PLR2004 - the 2xx range
        return None
    text = parse_errortext(body)
    message = f"{what}: HTTP {status}" + (f": {text}" if text else "")
    if status == 429:  # noqa: PLR2004 - HTTP status
        return RateLimited(
            message, status=status, retry_after=parse_retry_after(headers.get("retry-after"))
        )
    if status == 503:  # noqa: PLR2004 - HTTP status
        return ServiceUnavailable(
            message, status=status, retry_after=parse_retry_after(headers.get("retry-after"))
        )
    if status >= 500:  # noqa: PLR2004 - HTTP status class
        return (
            ServerError(message, status=status)
            if write
            else ReadInterrupted(message, status=status)
        )
    permanent = _PERMANENT_BY_STATUS.get(status, UnexpectedStatus)
    return permanent(message, status=status, errortext=text)


def decode_response(
    status: int, headers: Mapping[str, str], body: bytes, *, write: bool, what: str
) -> Any:  # noqa: ANN401 - JSON is untyped until a model validates it
    """The decoded JSON body of a successful response; raises the matching error otherwise."""
    error = error_for_status(status, headers, body, write=write, what=what)
    if error is not None:
        raise error
    try:
        return json.loads(body) if body else None
    except (ValueError, UnicodeDecodeError) as exc:
        raise UnexpectedResponse(
            f"{what}: HTTP {status} with a body that is not JSON", status=status
        ) from exc


@dataclass(frozen=True, slots=True)
class BatchResult:
    """One element of a batch write's answer."""

    statuscode: int
    value: Any
    errortext: str = ""


def parse_batch(data: Any, *, expected: int, what: str) -> list[BatchResult]:  # noqa: ANN401 - raw JSON
    """Normalise a batch answer: Sitoo may return a bare value or a list of envelopes."""
    if not isinstance(data, list):
        if expected != 1:
            raise UnexpectedResponse(f"{what}: one value for a batch of {expected}")
        return [BatchResult(200, data)]
    if len(data) != expected:
        raise UnexpectedResponse(f"{what}: {len(data)} results for a batch of {expected}")
    results: list[BatchResult] = []
    for element in data:
        if isinstance(element, dict) and "statuscode" in element:
            results.append(
                BatchResult(
                    int(element["statuscode"]),
                    element.get("return"),
                    str(element.get("errortext") or ""),
                )
            )
        else:
            results.append(BatchResult(200, element))
    return results


def batch_values(results: list[BatchResult], *, what: str) -> list[Any]:
    """The returned values of a batch, raising for the first element Sitoo refused."""
    for index, result in enumerate(results):
        if not 200 <= result.statuscode < 300:  # noqa: PLR2004 - the 2xx range
            raise BatchItemRejected(
                f"{what}: element {index} refused with {result.statuscode}: {result.errortext}",
                index=index,
                status=result.statuscode,
                errortext=result.errortext,
            )
    return [result.value for result in results]


def is_duplicate_key_error(error: SitooError, field: str) -> bool:
    """True when a 400 says a unique ``field`` (e.g. externalid) already exists."""
    if not isinstance(error, BadRequest):
        return False
    text = error.errortext.lower()
    return field in text and any(
        word in text for word in ("exist", "unique", "duplicate", "already", "taken")
    )
