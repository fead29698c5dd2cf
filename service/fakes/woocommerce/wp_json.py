"""WordPress's JSON: PHP's encoding, the REST error body and the answers built from them."""

from __future__ import annotations

import json
from typing import Any

from starlette.responses import Response

CONTENT_TYPE = "application/json; charset=UTF-8"


def wp_json_encode(value: Any) -> bytes:  # noqa: ANN401 - any JSON value
    """``wp_json_encode`` with PHP's default flags: ``/`` as ``\\/``, non-ASCII as ``\\uXXXX``.

    A receiver that re-serialises a body before checking its signature gets a different
    HMAC, so the fake sends exactly these bytes (FACTS.md §2.2).
    """
    # With ensure_ascii every non-ASCII character is escaped, so a "/" in the output can
    # only be the character itself, inside a string.
    text = json.dumps(value, separators=(",", ":"), ensure_ascii=True)
    return text.replace("/", "\\/").encode()


class WooError(Exception):
    """A WP_Error: ``{"code", "message", "data": {"status", ...}}`` with that HTTP status."""

    def __init__(
        self,
        code: str,
        message: str,
        status: int,
        *,
        headers: dict[str, str] | None = None,
        **data: Any,  # noqa: ANN401 - extra JSON in data (params, details)
    ) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.status = status
        self.headers = headers or {}
        self.data = data

    def body(self) -> dict[str, Any]:
        """The error as WordPress serialises it (also inside a batch answer's items)."""
        data = {"status": self.status, **self.data}
        return {"code": self.code, "message": self.message, "data": data}


def wp_answer(status: int, body: Any, headers: dict[str, str] | None = None) -> Response:  # noqa: ANN401 - JSON
    """A WordPress REST answer."""
    return Response(
        wp_json_encode(body), status_code=status, headers=headers, media_type=CONTENT_TYPE
    )


def error_answer(error: WooError) -> Response:
    """A WP_Error as its REST answer."""
    return wp_answer(error.status, error.body(), error.headers or None)


def no_route() -> WooError:
    """rest_no_route, 404 (also for a known path with a method it does not serve)."""
    return WooError("rest_no_route", "No route was found matching the URL and request method", 404)


def server_error() -> Response:
    """What a PHP fatal error looks like through the REST API (the injected "500")."""
    return wp_answer(
        500,
        {
            "code": "internal_server_error",
            "message": "<p>There has been a critical error on this website.</p>",
            "data": {"status": 500},
            "additional_errors": [],
        },
    )


def links(base: str, path: str, collection: str, up: str | None = None) -> dict[str, Any]:
    """A resource's ``_links``: self, collection and (for sub-resources) up."""
    found: dict[str, Any] = {
        "self": [{"href": f"{base}/{path}"}],
        "collection": [{"href": f"{base}/{collection}"}],
    }
    if up is not None:
        found["up"] = [{"href": f"{base}/{up}"}]
    return found
