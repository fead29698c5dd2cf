"""Request and response helpers shared by the sandbox's Sitoo routes."""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from service.sandbox.errors import SandboxError, bad_request, not_found
from service.sandbox.screening import PARSED_BODY_KEY
from service.sandbox.values import query_int, split_list

if TYPE_CHECKING:
    from service.sandbox.sandbox import Sandbox

DEFAULT_PAGE_SIZE = 10


def sandbox_of(request: Request) -> Sandbox:
    """The sandbox behind the app serving this request."""
    sandbox: Sandbox = request.app.state.sandbox
    return sandbox


def site_of(request: Request) -> Sandbox:
    """The sandbox, after checking the {siteid} path segment names its one site."""
    sandbox = sandbox_of(request)
    if request.path_params.get("siteid") != sandbox.config.site_id:
        raise not_found("Site not found")
    return sandbox


def answer(data: object, status: int = 200) -> Response:
    """A JSON answer (ids, true, objects, envelopes)."""
    return JSONResponse(data, status_code=status)


def error_answer(error: SandboxError) -> Response:
    """Sitoo's error body."""
    return JSONResponse(error.body(), status_code=error.status)


async def json_body(request: Request) -> Any:  # noqa: ANN401 - arbitrary JSON, validated by the caller
    """The parsed JSON body (parsed once, when the gate screened it), or 400."""
    if PARSED_BODY_KEY in request.scope:
        return request.scope[PARSED_BODY_KEY]
    raw = await request.body()
    if not raw:
        raise bad_request("Missing request body")
    try:
        return json.loads(raw)
    except ValueError:
        raise bad_request("Invalid JSON in request body") from None


def page(request: Request) -> tuple[int, int]:
    """start (default 0) and num (default 10, capped by max_page_size when configured)."""
    start = query_int(request.query_params.get("start"), "start") or 0
    num = query_int(request.query_params.get("num"), "num")
    if start < 0 or (num is not None and num < 0):
        raise bad_request("Invalid value for 'start' or 'num'.")
    size = DEFAULT_PAGE_SIZE if num is None else num
    cap = sandbox_of(request).config.max_page_size
    return start, size if cap is None else min(size, cap)


def project(item: dict[str, Any], fields: list[str]) -> dict[str, Any]:
    """Only the requested fields (unknown names are ignored), or everything."""
    if not fields:
        return item
    return {name: item[name] for name in fields if name in item}


def envelope(request: Request, total: int, items: Iterable[dict[str, Any]]) -> Response:
    """The {totalcount, items} list answer, honouring ?fields=."""
    fields = split_list(request.query_params.get("fields"))
    return answer({"totalcount": total, "items": [project(i, fields) for i in items]})


def one(request: Request, item: dict[str, Any]) -> Response:
    """A single object answer, honouring ?fields=."""
    return answer(project(item, split_list(request.query_params.get("fields"))))


def batch_entry(outcome: object | SandboxError) -> dict[str, Any]:
    """One element of a batch envelope: {statuscode, return} or {statuscode, errortext}."""
    if isinstance(outcome, SandboxError):
        return outcome.body()
    return {"statuscode": 200, "return": outcome}


def as_list(body: object) -> list[Any]:
    """A batch body: a JSON array, or a single object taken as an array of one."""
    if isinstance(body, list):
        return body
    if isinstance(body, dict):
        return [body]
    raise bad_request("Expected a JSON array.")
