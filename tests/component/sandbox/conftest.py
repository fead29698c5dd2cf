"""Fixtures: a sandbox app on a controllable clock, and raw httpx clients over its transport."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager

import httpx
import pytest
from starlette.applications import Starlette

from service.sandbox import Sandbox, SandboxConfig, create_sandbox_app, sandbox_transport

BASE = "http://sandbox.test/v2/accounts/90001"
START = 1_700_000_000.0


class FakeTime:
    """A time source tests move by hand."""

    def __init__(self) -> None:
        self.value = START

    def __call__(self) -> float:
        return self.value


@pytest.fixture
def fake_time() -> FakeTime:
    """The sandbox's time source, starting at a fixed instant."""
    return FakeTime()


@pytest.fixture
def config() -> SandboxConfig:
    """Default configuration; tests override it by redefining this fixture or making their own."""
    return SandboxConfig()


@pytest.fixture
def app(config: SandboxConfig, fake_time: FakeTime) -> Starlette:
    """A demo-seeded sandbox app."""
    return create_sandbox_app(config, now=fake_time)


@pytest.fixture
def sandbox(app: Starlette) -> Sandbox:
    """The app's state object."""
    state: Sandbox = app.state.sandbox
    return state


ClientFactory = Callable[..., AbstractAsyncContextManager[httpx.AsyncClient]]


@pytest.fixture
def make_client(app: Starlette) -> ClientFactory:
    """Opens raw httpx clients over the in-process transport (auth and timeout adjustable)."""

    @asynccontextmanager
    async def factory(
        auth: tuple[str, str] | None = ("sandbox", "sandbox"),
        base_url: str = BASE,
        client_timeout: httpx.Timeout | float = 5.0,
    ) -> AsyncIterator[httpx.AsyncClient]:
        async with httpx.AsyncClient(
            transport=sandbox_transport(app),
            base_url=base_url,
            auth=auth,
            timeout=client_timeout,
        ) as client:
            yield client

    return factory


@pytest.fixture
async def client(make_client: ClientFactory) -> AsyncIterator[httpx.AsyncClient]:
    """An authenticated client for account 90001."""
    async with make_client() as opened:
        yield opened


@pytest.fixture
async def admin(app: Starlette) -> AsyncIterator[httpx.AsyncClient]:
    """A client for the /_sandbox admin API (no auth)."""
    async with httpx.AsyncClient(
        transport=sandbox_transport(app), base_url="http://sandbox.test/_sandbox"
    ) as opened:
        yield opened
