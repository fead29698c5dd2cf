"""Answers that go wrong after the write was applied: a 500, a dropped connection, a stall."""

from __future__ import annotations

import asyncio
import json
from typing import Any

from starlette.responses import Response
from starlette.types import Receive, Scope, Send

from service.fakes.common.faults import ApplyThenFailMode

IN_PROCESS_KEY = "fake.in_process"


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


def json_answer(status: int, body: Any, headers: dict[str, str] | None = None) -> Response:  # noqa: ANN401 - JSON
    """A compact JSON response."""
    return Response(
        json.dumps(body, separators=(",", ":")),
        status_code=status,
        headers=headers,
        media_type="application/json; charset=utf-8",
    )


class FailedAfterApply(Response):
    """Wraps the real answer of an applied request and fails it the chosen way."""

    def __init__(
        self, answer: Response, mode: ApplyThenFailMode, stall_s: float, *, server_error: Response
    ) -> None:
        super().__init__()
        self._answer = answer
        self._mode = mode
        self._stall_s = stall_s
        self._server_error = server_error  # what the "500" mode answers, in the fake's own words

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Send the failure instead of (or after withholding) the real answer."""
        in_process = bool(scope.get(IN_PROCESS_KEY))
        answer = self._answer
        if self._mode == "500":
            await self._server_error(scope, receive, send)
            return
        start = {
            "type": "http.response.start",
            "status": answer.status_code,
            "headers": answer.raw_headers,
        }
        if self._mode == "drop":
            if not in_process:
                await send(start)  # headers out, then the connection is aborted mid-answer
            raise ConnectionDropped
        if in_process:
            raise StallInjected(
                self._stall_s, answer.status_code, list(answer.raw_headers), bytes(answer.body)
            )
        await asyncio.sleep(self._stall_s)
        await answer(scope, receive, send)
