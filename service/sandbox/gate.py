"""The ASGI gate before the Sitoo routes: counters, IP, auth, account, 429, screening, faults."""

from __future__ import annotations

import asyncio
import base64
import binascii
import json
import re
import secrets
from collections.abc import MutableMapping, Sequence
from typing import TYPE_CHECKING, Any

from starlette.routing import BaseRoute, Match
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from service.sandbox.faults import FaultDecision
from service.sandbox.ledger import Caller, current_caller
from service.sandbox.screening import ClientGone, RequestScreen

if TYPE_CHECKING:
    from service.sandbox.sandbox import Sandbox

ADMIN_PREFIX = "/_sandbox"
IN_PROCESS_KEY = "sandbox.in_process"
_ERROR_TEXTS = {500: "Internal Server Error", 502: "Bad Gateway", 503: "Service Unavailable"}


class ConnectionDropped(Exception):
    """Injected: the write was applied, then the connection went away without an answer."""


class StallInjected(Exception):
    """Injected (in-process only): the write was applied, then the answer is withheld."""

    def __init__(
        self, stall_s: float, status: int, headers: list[tuple[bytes, bytes]], body: bytes
    ) -> None:
        super().__init__(f"answer withheld for {stall_s} s")
        self.stall_s = stall_s
        self.status = status
        self.headers = headers
        self.body = body


def _json_message(
    status: int, body: dict[str, Any], extra: list[tuple[bytes, bytes]]
) -> list[Message]:
    raw = json.dumps(body).encode()
    headers = [
        (b"content-type", b"application/json"),
        (b"content-length", str(len(raw)).encode()),
        *extra,
    ]
    return [
        {"type": "http.response.start", "status": status, "headers": headers},
        {"type": "http.response.body", "body": raw},
    ]


_ACCOUNT_PATH = re.compile(r"/v2/accounts/([^/]+)")
_CONVERTOR = re.compile(r"\{(\w+):\w+\}")


def readable_template(path: str) -> str:
    """/sites/{siteid:int}/x.json -> /sites/{siteid}/x.json."""
    return _CONVERTOR.sub(r"{\1}", path)


def _basic_credentials(scope: Scope) -> tuple[str, str] | None:
    for name, value in scope.get("headers", []):
        if name == b"authorization":
            scheme, _, encoded = value.decode("latin-1").partition(" ")
            if scheme.lower() != "basic":
                return None
            try:
                decoded = base64.b64decode(encoded.strip(), validate=True).decode()
            except (binascii.Error, UnicodeDecodeError):
                return None
            api_id, sep, password = decoded.partition(":")
            return (api_id, password) if sep else None
    return None


class SandboxGate:
    """Pure ASGI middleware; everything Sitoo does before and after a handler runs."""

    def __init__(self, app: ASGIApp, sandbox: Sandbox, routes: Sequence[BaseRoute] = ()) -> None:
        self.app = app
        self.sandbox = sandbox
        self.routes = routes  # to name the path template of requests refused early
        self.screen = RequestScreen(sandbox, routes)

    def _template(self, scope: Scope) -> str:
        route = scope.get("route")
        if route is not None:
            return readable_template(str(route.path))
        for candidate in self.routes:
            match, _ = candidate.matches(dict(scope))
            if match is not Match.NONE:
                return readable_template(str(getattr(candidate, "path", "(unmatched)")))
        return "(unmatched)"

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Handle one request (admin and non-HTTP traffic pass straight through)."""
        if scope["type"] != "http" or scope["path"].startswith(ADMIN_PREFIX):
            await self.app(scope, receive, send)
            return
        outcome = ["500"]

        async def recording_send(message: Message) -> None:
            if message["type"] == "http.response.start":
                outcome[0] = str(message["status"])
            await send(message)

        try:
            await self._handle(scope, receive, recording_send)
        except ConnectionDropped:
            outcome[0] = "dropped"
            raise
        except StallInjected:
            outcome[0] = "stalled"
            raise
        except ClientGone:
            outcome[0] = "client_gone"
        finally:
            self.sandbox.counters.record(scope["method"], self._template(scope), outcome[0])

    async def _reply(
        self, send: Send, status: int, text: str, extra: list[tuple[bytes, bytes]] | None = None
    ) -> None:
        for message in _json_message(
            status, {"statuscode": status, "errortext": text}, extra or []
        ):
            await send(message)

    def _retry_after(self) -> list[tuple[bytes, bytes]]:
        value = self.sandbox.config.retry_after_s
        if value is None:
            return []
        return [(b"retry-after", f"{value:g}".encode())]

    def _refusal(self, scope: Scope) -> tuple[int, str, list[tuple[bytes, bytes]]] | str:
        """Why Sitoo refuses the caller before anything else (status, text, headers), or
        the API id of a caller it lets through: IP allow-list, Basic auth, rights, account."""
        config = self.sandbox.config
        client = scope.get("client")
        if config.allowed_ips is not None and (
            client is None or client[0] not in config.allowed_ips
        ):
            return config.ip_denied_status, "IP not allowed", []
        credentials = _basic_credentials(scope)
        expected = config.credentials.get(credentials[0]) if credentials else None
        if (
            credentials is None
            or expected is None
            or not secrets.compare_digest(
                credentials[1].encode(), expected.get_secret_value().encode()
            )
        ):
            return 401, "Authentication failed", [(b"www-authenticate", b'Basic realm="Sitoo"')]
        if credentials[0] in config.without_admin_rights:
            return 403, "Access denied", []
        account = _ACCOUNT_PATH.match(scope["path"])
        if account is not None and account.group(1) != str(config.account_id):
            return 404, "Account not found", []
        return credentials[0]

    async def _handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        config = self.sandbox.config
        refusal = self._refusal(scope)
        if not isinstance(refusal, str):
            await self._reply(send, *refusal)
            return
        api_id = refusal
        counters = self.sandbox.counters
        if counters.in_flight[api_id] >= config.max_in_flight:
            await self._reply(send, 429, "Too many connections", self._retry_after())
            return
        counters.enter(api_id)
        token = current_caller.set(Caller(api_id, scope["method"], scope["path"]))
        released = False
        try:
            # Screened before faults: a malformed request is refused whatever else happens,
            # and draws no fault decision (strict runs, which send none, keep their sequence).
            receive, malformed = await self.screen.screen(scope, receive, api_id)
            if malformed is not None:
                await self._reply(send, 400, malformed)
                return
            decision = self.sandbox.fault_plan.decide(scope["method"], scope["path"])
            if decision.is_clean:
                await self.app(scope, receive, send)
                return
            messages = await self._faulty(decision, scope, receive, send)
            if messages is None:
                return
            # The write is applied; a dropped or stalled request no longer occupies a slot.
            counters.leave(api_id)
            released = True
            await self._after(decision, scope, send, messages)
        finally:
            current_caller.reset(token)
            if not released:
                counters.leave(api_id)

    async def _faulty(
        self, decision: FaultDecision, scope: Scope, receive: Receive, send: Send
    ) -> list[Message] | None:
        """Latency and before-apply faults; then run the handler, keeping its answer back."""
        counters = self.sandbox.counters
        if decision.delay_s > 0:
            counters.fault("latency")
            await asyncio.sleep(decision.delay_s)
        if decision.extra_429:
            counters.fault("extra_429")
            await self._reply(send, 429, "Too many connections", self._retry_after())
            return None
        if decision.error_before is not None:
            counters.fault("error_before")
            status = decision.error_before
            await self._reply(send, status, _ERROR_TEXTS.get(status, "Server error"))
            return None
        messages: list[Message] = []

        async def keep(message: MutableMapping[str, Any]) -> None:
            messages.append(dict(message))

        await self.app(scope, receive, keep)
        if decision.after is None:
            for message in messages:
                await send(message)
            return None
        return messages

    async def _after(
        self, decision: FaultDecision, scope: Scope, send: Send, messages: list[Message]
    ) -> None:
        counters = self.sandbox.counters
        in_process = bool(scope.get(IN_PROCESS_KEY))
        if decision.after == "500":
            counters.fault("apply_then_500")
            await self._reply(send, 500, "Internal Server Error")
            return
        if decision.after == "drop":
            counters.fault("drop")
            if not in_process:
                # Headers out, then an exception: the server aborts the connection mid-answer.
                await send(messages[0])
            raise ConnectionDropped
        counters.fault("stall")
        stall_s = self.sandbox.faults.stall_s
        if in_process:
            start = messages[0]
            body = b"".join(m.get("body", b"") for m in messages[1:])
            raise StallInjected(stall_s, start["status"], list(start.get("headers", [])), body)
        await asyncio.sleep(stall_s)
        for message in messages:
            await send(message)
