"""Screens each Sitoo request against the description before the sandbox acts on it.

The gate calls :meth:`RequestScreen.screen` once a request has passed authentication and
the concurrency check. It finds the operation the request is for, buffers the body, and
checks path, query and body (:mod:`service.sandbox.openapi.request_check`). A request that
breaks the description is recorded in ``sandbox.violations``; a strict sandbox answers it
with Sitoo's 400, a lenient one serves it anyway. The parsed body is handed to the handler
in the scope, so it is not parsed twice.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from starlette.convertors import Convertor, IntegerConvertor, StringConvertor
from starlette.routing import BaseRoute, Route
from starlette.types import Message, Receive, Scope

from service.sandbox.openapi import BadRequestShape, OperationCheck, Parameter, request_rules

if TYPE_CHECKING:
    from service.sandbox.sandbox import Sandbox

PARSED_BODY_KEY = "sandbox.parsed_body"
_ACCOUNT_PREFIX = re.compile(r"^/v2/accounts/\{[^}]+\}")
_CONVERTOR = re.compile(r"\{(\w+):\w+\}")
_NAMED_GROUP = re.compile(r"\(\?P<(\w+)>")


def api_template(route_path: str) -> str:
    """/v2/accounts/{accountid:int}/sites/{siteid:int}/x.json -> /sites/{siteid}/x.json."""
    return _ACCOUNT_PREFIX.sub("", _CONVERTOR.sub(r"{\1}", route_path))


def _bare(pattern: str, index: int) -> str:
    """A route's path regex without anchors, its groups renamed r{index}_{name}."""
    return _NAMED_GROUP.sub(
        lambda group: f"(?P<r{index}_{group[1]}>", pattern.removeprefix("^").removesuffix("$")
    )


def _implied(convertor: Convertor[Any], declared: Parameter | None) -> bool:
    """True when the route's convertor already guarantees the declared type of the value."""
    if declared is None:
        return True  # {accountid}: the gate has checked it
    return (isinstance(convertor, IntegerConvertor) and declared.kind == "integer") or (
        isinstance(convertor, StringConvertor) and declared.kind == "string"
    )


def _content_type(scope: Scope) -> bytes:
    for name, value in scope.get("headers", []):
        if name == b"content-type":
            return bytes(value).split(b";", 1)[0].strip().lower()
    return b""


class ClientGone(Exception):
    """The caller disconnected before its body was complete: there is no request to judge."""


async def _read_body(receive: Receive) -> tuple[bytes, list[Message]]:
    """The whole body, and the messages that carried it (to replay to the handler).

    A caller that gives up mid-upload (its timeout fired) leaves a truncated body; judging
    that would blame the caller for a request it never finished sending.
    """
    messages: list[Message] = []
    chunks: list[bytes] = []
    while True:
        message = await receive()
        messages.append(message)
        if message["type"] == "http.disconnect":
            raise ClientGone
        if message["type"] != "http.request":
            return b"".join(chunks), messages
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            return b"".join(chunks), messages


def _replaying(messages: list[Message], receive: Receive) -> Receive:
    pending = list(messages)

    async def replay() -> Message:
        if pending:
            return pending.pop(0)
        return await receive()

    return replay


class RequestScreen:
    """The description's checks, matched to the sandbox's Sitoo routes."""

    def __init__(self, sandbox: Sandbox, routes: Sequence[BaseRoute]) -> None:
        self.sandbox = sandbox
        rules = request_rules()
        # Routes sharing a path (GET and POST of a list) are one alternative of the finder.
        self._by_path: dict[str, list[tuple[Route, dict[str, OperationCheck]]]] = {}
        for route in routes:
            if not isinstance(route, Route):
                continue
            template = api_template(route.path)
            checks: dict[str, OperationCheck] = {}
            for method in sorted(route.methods or ()):
                check = rules.for_route(method, template)
                if check is not None:
                    checks[method] = check
                elif method != "HEAD":
                    raise ValueError(f"{method} {template} is served but not in the description")
            self._by_path.setdefault(route.path_regex.pattern, []).append((route, checks))
        self._candidates = list(self._by_path.values())
        # One regex for every route path, its groups named after the route they belong to:
        # trying each route in turn costs more than the checks themselves.
        self._finder = re.compile(
            "|".join(
                f"(?P<r{index}>{_bare(pattern, index)})"
                for index, pattern in enumerate(self._by_path)
            )
        )

    def _operation(self, scope: Scope) -> tuple[OperationCheck, dict[str, object]] | None:
        found = self._finder.fullmatch(scope["path"])
        if found is None or found.lastgroup is None:
            return None  # the router answers 404
        index = int(found.lastgroup[1:])
        for route, checks in self._candidates[index]:
            check = checks.get(scope["method"])
            if check is not None:
                values = {
                    name: convertor.convert(found.group(f"r{index}_{name}"))
                    for name, convertor in route.param_convertors.items()
                    if not _implied(convertor, check.path_parameters.get(name))
                }
                return check, values
        return None  # the router answers 405

    async def screen(
        self, scope: Scope, receive: Receive, api_id: str
    ) -> tuple[Receive, str | None]:
        """The receive to hand on, and the errortext of a refusal (None to go ahead)."""
        found = self._operation(scope)
        if found is None:
            return receive, None
        check, path_values = found
        body, messages = await _read_body(receive)
        receive = _replaying(messages, receive)
        if body.strip() and _content_type(scope) != b"application/json":
            text = "Content-Type must be application/json."
            return receive, self._violated(scope, check, api_id, text)
        try:
            parsed = check.check(path_values, scope.get("query_string", b""), body)
        except BadRequestShape as problem:
            return receive, self._violated(scope, check, api_id, str(problem))
        if parsed is not None:
            scope[PARSED_BODY_KEY] = parsed
        return receive, None

    def _violated(self, scope: Scope, check: OperationCheck, api_id: str, text: str) -> str | None:
        """Record the violation; the errortext to refuse it with when strict."""
        strict = self.sandbox.config.strict
        self.sandbox.violations.record(
            api_id=api_id,
            method=scope["method"],
            path=scope["path"],
            operation=check.operation_id,
            errortext=text,
            refused=strict,
        )
        return text if strict else None
