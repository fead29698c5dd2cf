"""Shared fixtures: tier markers from folders, a real Redis, unique names per test."""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest
import redis.asyncio as aioredis
import stamina

from service.sandbox.violations import RequestViolations, Violation
from tests.support.redis_server import provide_redis_url

_TIERS = ("unit", "component", "integration")
_SITOO_SYNC_VARS = [name for name in os.environ if name.startswith("SITOO_SYNC_")]


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Mark each test with the tier its folder names."""
    root = Path(__file__).parent
    for item in items:
        parts = Path(item.fspath).relative_to(root).parts
        if parts and parts[0] in _TIERS:
            item.add_marker(getattr(pytest.mark, parts[0]))


@pytest.fixture(autouse=True)
def _isolated_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Tests never see the developer's SITOO_SYNC_* variables, .env file or secrets."""
    for name in _SITOO_SYNC_VARS:
        if name != "SITOO_SYNC_REDIS__URL":
            monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)


@pytest.fixture(autouse=True)
def _no_retry_waits() -> Iterator[None]:
    """Retries happen, but without real back-off sleeps, unless a test opts back in."""
    stamina.set_testing(True, attempts=10)
    yield
    stamina.set_testing(False)


@pytest.fixture(autouse=True)
def _no_request_violations(
    request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch
) -> Iterator[None]:
    """Every request an in-process sandbox saw in the test was one Sitoo's description allows.

    The strict sandbox refuses the others, which most tests would notice anyway; this also
    catches a refusal some caller swallowed. Tests that break the description on purpose say
    so with ``@pytest.mark.malformed_requests``.
    """
    if request.node.get_closest_marker("malformed_requests") is not None:
        yield
        return
    seen: list[Violation] = []
    original = RequestViolations.record

    def record(self: RequestViolations, **details: Any) -> Violation:
        violation = original(self, **details)
        seen.append(violation)
        return violation

    monkeypatch.setattr(RequestViolations, "record", record)
    yield
    assert not seen, f"requests outside the Sitoo description: {seen[:5]}"


@pytest.fixture(scope="session")
def redis_url() -> Iterator[str]:
    """A real Redis: env var, testcontainers, redis-server on PATH or the embedded one."""
    with provide_redis_url() as url:
        yield url


@pytest.fixture
async def redis(redis_url: str) -> AsyncIterator[aioredis.Redis]:
    """An asyncio client on the shared test Redis; tests keep to their own key prefix."""
    client = aioredis.Redis.from_url(redis_url)
    try:
        yield client
    finally:
        await client.aclose()


@pytest.fixture
def redis_cluster_mode() -> bool:
    """Whether ``redis_url`` names a Redis Cluster node (tests/integration/cluster says yes)."""
    return False


@pytest.fixture
def unique() -> str:
    """A short id to keep this test's keys and streams apart from every other test's."""
    return f"t{uuid.uuid4().hex[:10]}"
