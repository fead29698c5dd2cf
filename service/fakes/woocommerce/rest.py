"""The REST pipeline under /wp-json/: faults, keys, routing, arguments, permission, handler."""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl

from starlette.requests import Request
from starlette.responses import Response

from service.fakes.common.faults import FaultDecision
from service.fakes.common.ledger import Caller, current_caller
from service.fakes.common.responses import FailedAfterApply
from service.fakes.woocommerce.auth import (
    Principal,
    authenticate,
    check_key_permissions,
    require_user,
)
from service.fakes.woocommerce.params import Param, validate
from service.fakes.woocommerce.store import FakeWooCommerce
from service.fakes.woocommerce.wp_json import (
    WooError,
    error_answer,
    no_route,
    server_error,
    wp_answer,
)

_EDITABLE = frozenset({"POST", "PUT", "PATCH"})  # WP_REST_Server::EDITABLE


@dataclass
class RestContext:
    """What a handler gets: the store, who asks, the route's ids and the validated arguments."""

    store: FakeWooCommerce
    principal: Principal
    method: str
    ids: dict[str, int]
    params: dict[str, Any]
    url: str


@dataclass
class RestResult:
    """A handler's answer."""

    body: Any
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    filterable: bool = True  # _fields applies (not to batch answers)


Handler = Callable[[RestContext], Awaitable[RestResult]]


@dataclass(frozen=True)
class RestRoute:
    """One method on one path pattern of the wc/v3 namespace."""

    method: str
    pattern: str  # e.g. r"products/(?P<id>\d+)"
    handler: Handler
    permission: str  # list, view, create, edit, delete, batch
    params: Mapping[str, Param] = field(default_factory=dict)

    @property
    def template(self) -> str:
        """The pattern as a path: ``products/<id>``."""
        return re.sub(r"\(\?P<(\w+)>[^)]*\)", r"<\1>", self.pattern)

    def match(self, method: str, route: str) -> dict[str, int] | None:
        """The route's ids when method and path match (EDIT: POST, PUT or PATCH)."""
        allowed = _EDITABLE if self.method == "EDIT" else {self.method}
        if method not in allowed:
            return None
        found = re.fullmatch(f"wc/v3/{self.pattern}", route)
        return None if found is None else {k: int(v) for k, v in found.groupdict().items()}


def _route_of(request: Request) -> str:
    given = request.query_params.get("rest_route")
    if request.url.path.rstrip("/") in {"", "/index.php"} and given is not None:
        return given.strip("/")  # plain permalinks: ?rest_route=/wc/v3/...
    return request.url.path.removeprefix("/wp-json").strip("/")


async def _body(request: Request) -> dict[str, Any]:
    raw = await request.body()
    if not raw:
        return {}
    kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if kind == "application/x-www-form-urlencoded":
        return dict(parse_qsl(raw.decode(errors="replace"), keep_blank_values=True))
    if kind != "application/json":
        return {}
    try:
        decoded = json.loads(raw)
    except (ValueError, UnicodeDecodeError) as exc:
        raise WooError(
            "rest_invalid_json",
            "Invalid JSON body passed.",
            400,
            json_error_code=4,
            json_error_message=str(exc).split(":", 1)[0],
        ) from None
    return decoded if isinstance(decoded, dict) else {}


def _pick(value: Any, fields: list[str]) -> Any:  # noqa: ANN401 - JSON
    """``_fields``: keep the named top-level fields (``a.b`` keeps a nested one)."""
    if isinstance(value, list):
        return [_pick(item, fields) for item in value]
    if not isinstance(value, dict):
        return value
    kept: dict[str, Any] = {}
    for name in fields:
        head, _, rest = name.partition(".")
        if head not in value:
            continue
        if rest and isinstance(value[head], dict):
            inner = _pick(value[head], [rest])
            kept[head] = {**kept.get(head, {}), **inner}
        else:
            kept[head] = value[head]
    return kept


async def _before(store: FakeWooCommerce, decision: FaultDecision) -> None:
    if decision.delay_s > 0:
        await asyncio.sleep(decision.delay_s)
    retry_after = store.faults.retry_after_s
    headers = {"Retry-After": f"{retry_after:g}"} if retry_after is not None else None
    if decision.extra_429:
        raise WooError("rest_too_many_requests", "Too many requests.", 429, headers=headers)
    if decision.error_before is not None:
        status = decision.error_before
        raise WooError(
            "http_error",
            {502: "Bad Gateway", 503: "Service Unavailable"}.get(status, "Server error"),
            status,
            headers=headers if status == 503 else None,  # noqa: PLR2004
        )


class RestApi:
    """Dispatches /wp-json/ requests to the wc/v3 routes."""

    def __init__(self, routes: list[RestRoute]) -> None:
        self._routes = routes

    def _find(self, method: str, route: str) -> tuple[RestRoute, dict[str, int]]:
        for candidate in self._routes:
            ids = candidate.match(method, route)
            if ids is not None:
                return candidate, ids
        raise no_route()

    async def endpoint(self, request: Request) -> Response:
        """The endpoint: every outcome is a WordPress answer (a WP_Error body on failure)."""
        store: FakeWooCommerce = request.app.state.store
        route = _route_of(request)
        method = request.method.upper()
        decision = store.decide_faults(method=method, route=route)
        try:
            answer = await self._handle(store, request, route, method, decision)
        except WooError as error:
            answer = error_answer(error)
        if decision.after is not None:
            store.count_request(f"applied_then_{decision.after}")
            return FailedAfterApply(
                answer, decision.after, store.faults.stall_s, server_error=server_error()
            )
        store.count_request(str(answer.status_code))
        return answer

    async def _handle(
        self,
        store: FakeWooCommerce,
        request: Request,
        route: str,
        method: str,
        decision: FaultDecision,
    ) -> Response:
        await _before(store, decision)
        principal = authenticate(request, store.config, route)
        check_key_permissions(principal, method)
        found, ids = self._find(method, route)
        body = await _body(request)
        given = {**dict(request.query_params), **body}
        given.pop("consumer_key", None)
        given.pop("consumer_secret", None)
        params = validate(found.params, given)
        user = require_user(principal, found.permission)
        context = RestContext(store, user, method, ids, params, str(request.url))
        token = current_caller.set(Caller(user.name, f"{method} {found.template}"))
        try:
            result = await found.handler(context)
        finally:
            current_caller.reset(token)
        body_out = result.body
        fields = params.get("_fields")
        if result.filterable and isinstance(fields, str) and fields.strip():
            body_out = _pick(body_out, [f.strip() for f in fields.split(",") if f.strip()])
        return wp_answer(result.status, body_out, result.headers or None)
