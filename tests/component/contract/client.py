"""A raw httpx client for contract tests: every request and response is checked against the spec."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Collection
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

import httpx

from .spec import ContractSpec, Operation


@dataclass(frozen=True)
class Exchange:
    """One validated call: which operation, and what status it answered."""

    operation_id: str
    status: int


class ContractViolationError(AssertionError):
    """A request or response that the (corrected) description rejects."""


@dataclass
class ContractClient:
    """Calls the Sitoo API like an independent integrator would, and validates both directions."""

    http: httpx.AsyncClient
    spec: ContractSpec
    account_id: int
    exchanges: list[Exchange] = field(default_factory=list)
    outside_spec: int = 0  # requests sent with request_in_spec=False

    async def call(
        self,
        method: str,
        path: str,
        *,
        body: object = None,
        params: dict[str, str] | None = None,
        expect: int | Collection[int] = 200,
        request_in_spec: bool = True,
        account_id: int | None = None,
        auth: tuple[str, str] | None = None,
    ) -> Any:
        """Send one request to `path` (relative to the account base URL) and return its JSON.

        `expect` is the status (or the statuses) the test accepts; any other fails the test.
        `request_in_spec=False` marks a request built to break the description on purpose;
        the client then insists that the description really rejects it.
        """
        operation = self.spec.find(method, path)
        problems = self.spec.parameter_errors(operation, path, params)
        problems += self.spec.request_body_errors(operation, body)
        if request_in_spec and problems:
            raise ContractViolationError(
                f"request to {operation.operation_id} breaks the description: {problems}"
            )
        if not request_in_spec and not problems:
            raise ContractViolationError(
                f"request to {operation.operation_id} was meant to break the description"
            )
        self.outside_spec += not request_in_spec
        response = await self._send(
            method, path, body=body, params=params, account_id=account_id, auth=auth
        )
        payload = self._decode(operation, response)
        expected = {expect} if isinstance(expect, int) else set(expect)
        if response.status_code not in expected:
            raise ContractViolationError(
                f"{method} {path}: expected {sorted(expected)}, "
                f"got {response.status_code}: {payload!r}"
            )
        self.check_response(
            operation, response.status_code, payload, fields="fields" in (params or {})
        )
        self.exchanges.append(Exchange(operation.operation_id, response.status_code))
        return payload

    def check_response(
        self, operation: Operation, status: int, payload: object, *, fields: bool = False
    ) -> None:
        """Raise if the description does not allow `payload` as this operation's answer."""
        problems = self.spec.response_errors(operation, status, payload, fields=fields)
        if problems:
            shown = json.dumps(payload)[:600]
            raise ContractViolationError(
                f"{operation.operation_id} answered {status} outside the description: "
                f"{problems[:10]}; body {shown}"
            )

    async def _send(
        self,
        method: str,
        path: str,
        *,
        body: object,
        params: dict[str, str] | None,
        account_id: int | None,
        auth: tuple[str, str] | None,
    ) -> httpx.Response:
        url = f"/v2/accounts/{account_id or self.account_id}{path}"
        content = None if body is None else json.dumps(body).encode()
        headers = {"Accept": "application/json"}
        if content is not None:
            headers["Content-Type"] = "application/json"
        return await self.http.request(
            method,
            url,
            content=content,
            params=params,
            headers=headers,
            auth=auth or httpx.USE_CLIENT_DEFAULT,
        )

    def _decode(self, operation: Operation, response: httpx.Response) -> Any:
        content_type = response.headers.get("content-type", "")
        if not content_type.startswith("application/json"):
            raise ContractViolationError(
                f"{operation.operation_id} answered {response.status_code} with "
                f"content-type {content_type!r}: {response.text[:300]!r}"
            )
        return response.json()

    def exercised(self) -> set[str]:
        """Operations this client has seen answer with a validated success."""
        return {
            exchange.operation_id for exchange in self.exchanges if 200 <= exchange.status < 300
        }


@asynccontextmanager
async def open_contract_client(
    transport: httpx.AsyncBaseTransport,
    spec: ContractSpec,
    *,
    account_id: int,
    credentials: tuple[str, str],
) -> AsyncIterator[ContractClient]:
    """A validating client over `transport`, closed on exit."""
    async with httpx.AsyncClient(
        transport=transport, base_url="http://sandbox.test", auth=credentials, timeout=5.0
    ) as http:
        yield ContractClient(http=http, spec=spec, account_id=account_id)
