"""Sans-I/O WooCommerce REST protocol: (status, headers, body) becomes JSON and page counts."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from service.adapters.common.errors import (
    AccessDenied,
    BadRequest,
    NotFound,
    RateLimited,
    ReadInterrupted,
    ServerError,
    ServiceUnavailable,
    Unauthorized,
    UnexpectedResponse,
    WebshopError,
)
from service.adapters.woocommerce.errors import InvalidParams, RequestTooLarge
from service.sitoo.protocol import parse_retry_after

_TEXT_LIMIT = 300
# WooCommerce answers an unknown key over Basic auth with the endpoint's permission error.
_ANONYMOUS_HINT = (
    " (the store did not accept the consumer key: an unknown key, or a store that does not "
    "see the request as HTTPS)"
)


@dataclass(frozen=True, slots=True)
class Answer:
    """A successful answer: the JSON body and, for collections, how many there are."""

    data: Any
    total: int | None
    total_pages: int | None


def _int_header(headers: Mapping[str, str], name: str) -> int | None:
    value = headers.get(name)
    return int(value) if value is not None and value.strip().isdigit() else None


def _wp_error(body: bytes) -> tuple[str | None, str, dict[str, Any]]:
    """(code, message, data) of a WP_Error body; the raw text when it is not one."""
    try:
        document = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        return None, body[:_TEXT_LIMIT].decode("utf-8", errors="replace").strip(), {}
    if isinstance(document, dict) and isinstance(document.get("code"), str):
        data = document.get("data")
        message = str(document.get("message") or "")[:_TEXT_LIMIT]
        return document["code"], message, data if isinstance(data, dict) else {}
    return None, json.dumps(document)[:_TEXT_LIMIT], {}


def _client_error(
    status: int, code: str | None, text: str, message: str, data: dict[str, Any]
) -> WebshopError:
    """A 4xx: what the store refused, and why."""
    if status == 400 and code == "rest_invalid_param":  # noqa: PLR2004
        params = data.get("params")
        found = {str(k): str(v) for k, v in params.items()} if isinstance(params, dict) else {}
        return InvalidParams(message, status=status, params=found)
    if status == 401:  # noqa: PLR2004
        if code == "woocommerce_rest_authentication_error" and "permissions" in text:
            return AccessDenied(message, status=status, code=code)  # a read-only key
        hint = _ANONYMOUS_HINT if code and code.startswith("woocommerce_rest_cannot_") else ""
        return Unauthorized(message + hint, status=status, code=code)
    permanent: dict[int, type[WebshopError]] = {
        400: BadRequest,
        403: AccessDenied,
        404: NotFound,
        413: RequestTooLarge,
    }
    return permanent.get(status, UnexpectedResponse)(message, status=status, code=code)


def _error(
    status: int, headers: Mapping[str, str], body: bytes, *, write: bool, what: str
) -> WebshopError:
    code, text, data = _wp_error(body)
    message = f"{what}: HTTP {status}" + (f" {code}" if code else "") + f": {text}"
    retry_after = parse_retry_after(headers.get("retry-after"))
    if status == 429:  # noqa: PLR2004
        return RateLimited(message, status=status, code=code, retry_after=retry_after)
    if status == 503:  # noqa: PLR2004
        return ServiceUnavailable(message, status=status, code=code, retry_after=retry_after)
    if status >= 500:  # noqa: PLR2004
        kind = ServerError if write else ReadInterrupted
        return kind(message, status=status, code=code)
    return _client_error(status, code, text, message, data)


def interpret(
    status: int, headers: Mapping[str, str], body: bytes, *, write: bool, what: str
) -> Answer:
    """The answer of a request; raises the matching error otherwise."""
    if not 200 <= status < 300:  # noqa: PLR2004
        raise _error(status, headers, body, write=write, what=what)
    try:
        data = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        raise UnexpectedResponse(f"{what}: HTTP {status} with a body that is not JSON") from None
    return Answer(
        data=data,
        total=_int_header(headers, "x-wp-total"),
        total_pages=_int_header(headers, "x-wp-totalpages"),
    )
