"""Fixtures for the contract tests: a fresh demo sandbox and a spec-checking raw client."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from starlette.applications import Starlette

from service.sandbox import SandboxConfig, create_sandbox_app, sandbox_transport

from .client import ContractClient, open_contract_client
from .spec import ContractSpec, load_contract_spec

API_ID = "contract"
PASSWORD = "contract-secret"
ACCOUNT_ID = 90001
SITE_ID = 1


def pytest_configure(config: pytest.Config) -> None:
    """Register the marker that ties a test to the operations it proves."""
    config.addinivalue_line(
        "markers",
        "covers(*operation_ids): the test validates a success answer of these operations",
    )


@pytest.fixture(scope="session")
def spec() -> ContractSpec:
    """The generated description subset with the documented overrides applied."""
    return load_contract_spec()


def sandbox_config(**changes: object) -> SandboxConfig:
    """The contract tests' sandbox: demo seed, one API user, one request in flight at a time."""
    settings: dict[str, object] = {
        "account_id": ACCOUNT_ID,
        "site_id": SITE_ID,
        "credentials": {API_ID: PASSWORD},
        "seed": "demo",
    }
    return SandboxConfig.model_validate(settings | changes)


@pytest.fixture
def sandbox_app() -> Starlette:
    """A fresh demo sandbox for every test."""
    return create_sandbox_app(sandbox_config())


@pytest.fixture
async def api(
    request: pytest.FixtureRequest, sandbox_app: Starlette, spec: ContractSpec
) -> AsyncIterator[ContractClient]:
    """The raw client; afterwards it checks the test really exercised what it claims to cover."""
    async with open_contract_client(
        sandbox_transport(sandbox_app),
        spec,
        account_id=ACCOUNT_ID,
        credentials=(API_ID, PASSWORD),
    ) as client:
        yield client
    # The sandbox checks requests with its own compiled validators; the client checked them
    # with another. They must agree: exactly the requests sent as outside the description
    # were recorded (and refused) as violations.
    violations = sandbox_app.state.sandbox.violations
    assert violations.count == client.outside_spec, violations.snapshot()
    assert all(violation.refused for violation in violations.recent())
    markers = request.node.iter_markers("covers")
    claimed = {operation_id for marker in markers for operation_id in marker.args}
    missing = claimed - client.exercised()
    assert not missing, f"the test claims to cover {sorted(missing)} but never got a success"
