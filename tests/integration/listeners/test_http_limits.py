"""The HTTP limits over real sockets: oversized heads, slow heads and bodies, too many connections.

A small Starlette app behind the service's own listener code (uvicorn + the guarded httptools
protocol); clients are raw sockets, so nothing smooths over what a hostile client would send.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

import httpx
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse
from starlette.routing import Route

from service.listeners import Listener, build_servers, serve
from service.settings import HttpSettings

# A slow client would keep going this long; the server must end it well before.
SLOW_CLIENT_S = 30.0


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def _ok(request: Request) -> PlainTextResponse:
    return PlainTextResponse("ok")


async def _echo(request: Request) -> PlainTextResponse:
    return PlainTextResponse(str(len(await request.body())))


APP = Starlette(routes=[Route("/ok", _ok), Route("/echo", _echo, methods=["POST"])])


@dataclass
class Running:
    """A server on a port, and the refusals it reported."""

    port: int
    refused: list[tuple[str, str]] = field(default_factory=list)

    def reasons(self) -> list[str]:
        """The reasons of the refusals so far."""
        return [reason for _, reason in self.refused]


@contextlib.asynccontextmanager
async def serving(**limits: float) -> AsyncIterator[Running]:
    """The app on a free port with these HTTP settings, stopped on the way out."""
    running = Running(_free_port())
    http = HttpSettings(host="127.0.0.1", port=running.port, shutdown_grace_s=1, **limits)
    servers = build_servers(
        [Listener("main", running.port, APP)],
        http,
        refused=lambda listener, reason: running.refused.append((listener, reason)),
    )
    task = asyncio.create_task(serve(servers))
    async with asyncio.timeout(10):
        while not servers[0].started:
            await asyncio.sleep(0.01)
    try:
        yield running
    finally:
        servers[0].should_exit = True
        await task


async def _read_to_end(reader: asyncio.StreamReader, *, timeout_s: float) -> bytes:
    """Everything the server sends until it closes (a reset counts as closed)."""
    chunks = []
    async with asyncio.timeout(timeout_s):
        while True:
            try:
                chunk = await reader.read(65536)
            except ConnectionResetError:
                break
            if not chunk:
                break
            chunks.append(chunk)
    return b"".join(chunks)


async def _get_ok(port: int) -> int:
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as client:
        return (await client.get("/ok")).status_code


async def test_an_oversized_head_is_refused_with_431() -> None:
    """64 KiB of headers against a 16 KiB limit: 431, the connection closed, the server fine."""
    async with serving(max_header_bytes=16 * 1024) as running:
        reader, writer = await asyncio.open_connection("127.0.0.1", running.port)
        writer.write(b"GET /ok HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * 65536 + b"\r\n\r\n")
        await writer.drain()
        answer = await _read_to_end(reader, timeout_s=10)
        writer.close()
        assert answer.startswith(b"HTTP/1.1 431 ")
        assert b"connection: close" in answer.lower()
        assert running.reasons() == ["header_too_large"]
        assert await _get_ok(running.port) == 200


async def test_a_megabyte_of_headers_is_cut_off_without_being_parsed() -> None:
    """1 MiB of header bytes sent in a stream: refused once the limit is passed, not buffered."""
    async with serving(max_header_bytes=16 * 1024) as running:
        reader, writer = await asyncio.open_connection("127.0.0.1", running.port)
        writer.write(b"GET /ok HTTP/1.1\r\nHost: x\r\n")
        with contextlib.suppress(ConnectionError):
            for _ in range(64):
                writer.write(b"X-Filler: " + b"b" * 16374 + b"\r\n")
                await writer.drain()
        answer = await _read_to_end(reader, timeout_s=10)
        writer.close()
        # The answer arrives although the client was still sending: the server half-closes and
        # reads on for a moment instead of resetting the connection under it.
        assert answer.startswith(b"HTTP/1.1 431 ")
        assert running.reasons() == ["header_too_large"]
        assert await _get_ok(running.port) == 200


async def test_headers_within_the_limit_are_served() -> None:
    """A head just under the limit, and a head sent slowly but within the timeout, get 200."""
    async with serving(max_header_bytes=16 * 1024, header_timeout_s=2) as running:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{running.port}") as client:
            answer = await client.get("/ok", headers={"X-Big": "c" * 15_000})
        assert answer.status_code == 200
        reader, writer = await asyncio.open_connection("127.0.0.1", running.port)
        for part in (b"GET /ok HTTP/1.1\r\n", b"Host: x\r\n", b"Connection: close\r\n\r\n"):
            writer.write(part)
            await writer.drain()
            await asyncio.sleep(0.3)
        answer_bytes = await _read_to_end(reader, timeout_s=10)
        writer.close()
        assert answer_bytes.startswith(b"HTTP/1.1 200 ")
        assert running.refused == []


async def _trickle_head(port: int) -> tuple[bytes, float]:
    """Open a connection and send a request head one byte every 0.2 s for up to 30 s.

    Returns what the server answered and how long the connection lasted.
    """
    started = time.monotonic()
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    answer = asyncio.create_task(_read_to_end(reader, timeout_s=SLOW_CLIENT_S + 5))
    head = b"GET /ok HTTP/1.1\r\nHost: x\r\nX-Slow: " + b"s" * 1000
    with contextlib.suppress(ConnectionError):
        for byte in head:
            if answer.done() or time.monotonic() - started > SLOW_CLIENT_S:
                break
            writer.write(bytes([byte]))
            await writer.drain()
            await asyncio.sleep(0.2)
    received = await answer
    writer.close()
    return received, time.monotonic() - started


async def test_twenty_slow_clients_are_timed_out_while_others_are_served() -> None:
    """20 clients trickling their heads get 408 and are closed after the header timeout."""
    async with serving(header_timeout_s=1.0) as running:
        slow = [asyncio.create_task(_trickle_head(running.port)) for _ in range(20)]
        await asyncio.sleep(0.3)
        assert await _get_ok(running.port) == 200  # the server answers others meanwhile
        results = await asyncio.gather(*slow)
        for answer, lasted in results:
            assert answer.startswith(b"HTTP/1.1 408 "), answer
            assert lasted < SLOW_CLIENT_S / 3, lasted  # cut off, not left to finish
        assert running.reasons() == ["header_timeout"] * 20


async def test_a_silent_connection_is_closed() -> None:
    """A client that connects and sends nothing is closed after the header timeout."""
    async with serving(header_timeout_s=1.0) as running:
        started = time.monotonic()
        reader, writer = await asyncio.open_connection("127.0.0.1", running.port)
        answer = await _read_to_end(reader, timeout_s=SLOW_CLIENT_S)
        writer.close()
        assert answer.startswith(b"HTTP/1.1 408 ")
        assert time.monotonic() - started < SLOW_CLIENT_S / 3
        assert running.reasons() == ["header_timeout"]


async def test_a_slow_body_is_cut_off() -> None:
    """A body promised at 1,000 bytes and trickled is cut off after the body timeout."""
    async with serving(body_timeout_s=1.0) as running:
        started = time.monotonic()
        reader, writer = await asyncio.open_connection("127.0.0.1", running.port)
        writer.write(b"POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\n" + b"x" * 10)
        await writer.drain()
        answer = asyncio.create_task(_read_to_end(reader, timeout_s=SLOW_CLIENT_S))
        with contextlib.suppress(ConnectionError):
            while not answer.done() and time.monotonic() - started < SLOW_CLIENT_S:
                writer.write(b"x")
                await writer.drain()
                await asyncio.sleep(0.2)
        await answer
        writer.close()
        assert time.monotonic() - started < SLOW_CLIENT_S / 3
        assert running.reasons() == ["body_timeout"]


async def test_a_body_in_time_is_served_on_a_kept_alive_connection() -> None:
    """Two requests on one connection, the body sent in parts within the timeout: both answered."""
    async with serving(body_timeout_s=2.0, header_timeout_s=2.0) as running:
        reader, writer = await asyncio.open_connection("127.0.0.1", running.port)
        writer.write(b"POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 6\r\n\r\nabc")
        await writer.drain()
        await asyncio.sleep(0.5)
        writer.write(b"def")
        await writer.drain()
        first = await reader.readuntil(b"\r\n\r\n")
        assert first.startswith(b"HTTP/1.1 200 ")
        assert await reader.readexactly(1) == b"6"
        await asyncio.sleep(1.2)  # longer than half the header timeout, under keep-alive
        writer.write(b"GET /ok HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        await writer.drain()
        second = await _read_to_end(reader, timeout_s=10)
        writer.close()
        assert second.startswith(b"HTTP/1.1 200 ")
        assert running.refused == []


async def test_connections_beyond_the_limit_get_503() -> None:
    """With three connections open, a fourth is answered 503 at once and counted."""
    async with serving(max_connections=3, header_timeout_s=30) as running:
        held = [await asyncio.open_connection("127.0.0.1", running.port) for _ in range(3)]
        await asyncio.sleep(0.1)
        assert await _get_ok(running.port) == 503
        assert running.reasons() == ["too_many_connections"]
        for _, writer in held:
            writer.close()
