"""The in-process httpx transport for the fake Shopify (the shared fault-aware one)."""

from __future__ import annotations

import httpx
from starlette.types import ASGIApp

from service.fakes.common.transport import FakeTransport


def fake_shopify_transport(app: ASGIApp) -> httpx.AsyncBaseTransport:
    """The in-process transport for a fake app (pass it to httpx.AsyncClient(transport=...)).

    An injected drop becomes ``httpx.RemoteProtocolError``, a stall ``httpx.ReadTimeout``.
    """
    return FakeTransport(app)
