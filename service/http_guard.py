"""Request limits uvicorn's httptools protocol lacks: head size, head and body deadlines.

uvicorn bounds an idle kept-alive connection (``timeout_keep_alive``) and the number of
connections (``limit_concurrency``), but with httptools it lets a client send headers of
any size and take any time over them: a connection that trickles a byte now and then is
never closed, and its headers are buffered whole (``h11_max_incomplete_event_size`` only
applies to h11). This protocol adds the missing bounds:

* the request line and headers may take ``max_header_bytes`` (then 431 and close), and
  must arrive within ``header_timeout_s`` of the connection (or of the next request's
  first byte), or the client gets 408 and the connection is closed;
* the body must arrive within ``body_timeout_s`` of the headers, or the connection is
  closed (the handler reading it sees a disconnect).

Bytes beyond the head limit are never handed to the parser. A refusal is answered, then the
connection is half-closed and what the client still sends is read and dropped for a moment
(as nginx's lingering close does): closing at once with unread data would reset the
connection, and the client might never see the answer.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass
from typing import ClassVar

from uvicorn.protocols.http.httptools_impl import STATUS_LINE, HttpToolsProtocol

# Why a connection was cut off: the ``reason`` of the refusal counter.
HEADER_TOO_LARGE = "header_too_large"
HEADER_TIMEOUT = "header_timeout"
BODY_TIMEOUT = "body_timeout"
TOO_MANY_CONNECTIONS = "too_many_connections"
# How long a refused client's further bytes are read and dropped before the connection closes.
LINGER_S = 2.0


@dataclass(frozen=True, slots=True)
class RequestLimits:
    """The bounds one listener enforces, and who is told when a request is refused."""

    max_header_bytes: int
    header_timeout_s: float
    body_timeout_s: float
    refused: Callable[[str], None] = lambda _reason: None


class LimitedHttpToolsProtocol(HttpToolsProtocol):
    """uvicorn's httptools protocol with :class:`RequestLimits` enforced per connection."""

    limits: ClassVar[RequestLimits]

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        """Start the clock on the first request's head."""
        self._in_head = True
        self._head_bytes = 0
        self._refused = False
        self._deadline: asyncio.TimerHandle | None = None
        super().connection_made(transport)
        self._arm(self.limits.header_timeout_s, self._head_too_slow)

    def connection_lost(self, exc: Exception | None) -> None:
        """No deadline outlives its connection."""
        self._disarm()
        super().connection_lost(exc)

    def data_received(self, data: bytes) -> None:
        """Feed the parser at most ``max_header_bytes`` of head; refuse a longer one."""
        if self._refused:
            return  # lingering after a refusal: read and dropped
        while data and not self.transport.is_closing() and not self._refused:
            if not self._in_head:
                super().data_received(data)
                return
            room = self.limits.max_header_bytes - self._head_bytes
            if room <= 0:
                self._reject(431, "Request Header Fields Too Large", HEADER_TOO_LARGE)
                return
            chunk, data = data[:room], data[room:]
            self._head_bytes += len(chunk)
            super().data_received(chunk)  # may complete the head; the rest is then body

    def on_message_begin(self) -> None:
        """A new request: its head has the header timeout (from now, if nothing is armed)."""
        super().on_message_begin()
        self._in_head = True
        if self._deadline is None:
            self._arm(self.limits.header_timeout_s, self._head_too_slow)

    def on_headers_complete(self) -> None:
        """The head arrived in time; now the body has its own deadline."""
        self._in_head = False
        self._disarm()
        self._arm(self.limits.body_timeout_s, self._body_too_slow)
        limit = self.limit_concurrency
        if limit is not None and (len(self.connections) >= limit or len(self.tasks) >= limit):
            self.limits.refused(TOO_MANY_CONNECTIONS)  # uvicorn answers 503 itself
        super().on_headers_complete()

    def on_message_complete(self) -> None:
        """The whole request arrived: the next one starts counting from zero."""
        self._disarm()
        self._head_bytes = 0
        self._in_head = True
        super().on_message_complete()

    def _arm(self, seconds: float, expired: Callable[[], None]) -> None:
        self._disarm()
        self._deadline = self.loop.call_later(seconds, expired)

    def _disarm(self) -> None:
        if self._deadline is not None:
            self._deadline.cancel()
            self._deadline = None

    def _head_too_slow(self) -> None:
        self._deadline = None
        if not self.transport.is_closing():
            self._reject(408, "Request Timeout", HEADER_TIMEOUT)

    def _body_too_slow(self) -> None:
        # The handler may be reading the body: no second answer is written over its own,
        # the connection is closed and the handler sees a disconnect.
        self._deadline = None
        if not self.transport.is_closing():
            self.limits.refused(BODY_TIMEOUT)
            self.transport.close()

    def _reject(self, status: int, text: str, reason: str) -> None:
        """Answer ``status`` with ``Connection: close``, half-close, linger, close."""
        self._disarm()
        self._refused = True
        self.limits.refused(reason)
        body = text.encode("ascii")
        head = [STATUS_LINE[status]]
        for name, value in self.server_state.default_headers:
            head.extend([name, b": ", value, b"\r\n"])
        head.extend(
            [
                b"content-type: text/plain; charset=utf-8\r\n",
                b"content-length: " + str(len(body)).encode("ascii") + b"\r\n",
                b"connection: close\r\n\r\n",
                body,
            ]
        )
        self.transport.write(b"".join(head))
        if not self.transport.can_write_eof():
            self.transport.close()
            return
        self.transport.write_eof()
        self._deadline = self.loop.call_later(LINGER_S, self.transport.close)


def limited_protocol(limits: RequestLimits) -> type[LimitedHttpToolsProtocol]:
    """The protocol class uvicorn instantiates per connection, bound to ``limits``."""
    return type("BoundLimitedHttpToolsProtocol", (LimitedHttpToolsProtocol,), {"limits": limits})
