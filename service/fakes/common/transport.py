"""An in-process httpx transport for a fake that turns injected faults into httpx errors."""

from __future__ import annotations

import asyncio

import httpx
from starlette.types import ASGIApp, Receive, Scope, Send

from service.fakes.common.responses import IN_PROCESS_KEY, ConnectionDropped, StallInjected


class _MarkInProcess:
    """Tells the fake there is no socket, so drops and stalls must be raised, not acted out."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        scope[IN_PROCESS_KEY] = True
        await self.app(scope, receive, send)


class FakeTransport(httpx.AsyncBaseTransport):
    """httpx.ASGITransport, plus drop -> RemoteProtocolError and stall -> ReadTimeout."""

    def __init__(self, app: ASGIApp) -> None:
        self._inner = httpx.ASGITransport(app=_MarkInProcess(app), raise_app_exceptions=True)

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        """Run the request through the app; injected faults become what a socket would give."""
        try:
            return await self._inner.handle_async_request(request)
        except ConnectionDropped:
            raise httpx.RemoteProtocolError(
                "Server disconnected without sending a response.", request=request
            ) from None
        except StallInjected as stall:
            read_timeout = request.extensions.get("timeout", {}).get("read")
            if read_timeout is not None and read_timeout <= stall.stall_s:
                await asyncio.sleep(read_timeout)
                raise httpx.ReadTimeout(
                    "timed out waiting for the answer", request=request
                ) from None
            await asyncio.sleep(stall.stall_s)
            return httpx.Response(
                stall.status, headers=stall.headers, content=stall.body, request=request
            )

    async def aclose(self) -> None:
        """Nothing to release."""
        await self._inner.aclose()
