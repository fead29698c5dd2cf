"""The request engine: cost budget, token, classification, retries, deadlines, write-once.

Every Admin API request goes through :meth:`GraphQLEngine.send`: it waits until the
local cost estimate has room, posts the query with the access token and turns the
answer into data or an error of :mod:`service.adapters.shopify.errors`. On top of it:

* :meth:`GraphQLEngine.query` retries anything transient (reading again is harmless);
* :meth:`GraphQLEngine.mutate` retries what surely did not apply, and, for mutations that
  are safe to repeat (an ``@idempotent`` key, or adding tags), unknown outcomes too;
* :meth:`GraphQLEngine.write_once` runs a mutation with no idempotency key: after an
  unknown outcome it looks the write up before it would ever send it again.

Each public call runs under one total deadline (``call_deadline_s``), retries included;
the retry loop, the deadline and write-once are the shared :class:`CallPolicy`.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any, TypeVar

import httpx
import structlog

from service.adapters.common.retrying import CallPolicy
from service.adapters.shopify.errors import (
    ConnectFailed,
    Throttled,
)
from service.adapters.shopify.protocol import Answer, interpret
from service.adapters.shopify.throttle import CostBudget, ThrottleStatus
from service.adapters.shopify.transport import error_from_transport
from service.settings_shopify import ShopifySettings

T = TypeVar("T")
log = structlog.get_logger(__name__)


@dataclass(frozen=True, slots=True, kw_only=False)
class Operation:
    """One GraphQL document the client sends, with the cost Shopify charges for it up front."""

    name: str
    document: str
    mutation: bool
    cost: int  # requestedQueryCost with the client's usual variables (checked against the fake)


def _cost_key(operation: Operation, variables: Mapping[str, Any]) -> str:
    sizes = sorted(
        (name, len(value) if isinstance(value, list) else value)
        for name, value in variables.items()
        if isinstance(value, list | int) and not isinstance(value, bool)
    )
    return f"{operation.name}:{sizes}"


class GraphQLEngine:
    """Sends Admin API requests within the cost budget and classifies their outcome."""

    def __init__(
        self,
        http: httpx.AsyncClient,
        settings: ShopifySettings,
        *,
        budget: CostBudget | None = None,
        attempts: int = 8,
        wait_initial_s: float = 0.2,
        wait_max_s: float = 10.0,
    ) -> None:
        if settings.access_token is None:
            raise ValueError("no Shopify access token: configure SITOO_SYNC_SHOPIFY__ACCESS_TOKEN")
        self._http = http
        self._url = settings.graphql_url
        self._token = settings.access_token
        self.version = settings.api_version
        self.budget = budget or CostBudget()
        self.policy = CallPolicy(
            adapter="shopify",
            deadline_s=settings.call_deadline_s,
            attempts=attempts,
            wait_initial_s=wait_initial_s,
            wait_max_s=wait_max_s,
        )
        self._learned: dict[str, float] = {}
        self._warned_version: str | None = None
        self.spent = 0.0  # actualQueryCost summed over every answer, for benchmarks

    async def send(self, operation: Operation, variables: Mapping[str, Any]) -> Answer:
        """One request, one attempt: wait for budget, send, classify."""
        key = _cost_key(operation, variables)
        cost = self._learned.get(key, operation.cost)
        await self.budget.take(cost)
        what = f"{operation.name}"
        try:
            response = await self._http.post(
                self._url,
                json={"query": operation.document, "variables": dict(variables)},
                headers={"X-Shopify-Access-Token": self._token.get_secret_value()},
            )
        except httpx.TransportError as exc:
            error = error_from_transport(exc, mutation=operation.mutation, what=what)
            if isinstance(error, ConnectFailed):
                self.budget.refund(cost)
            raise error from exc
        try:
            answer = interpret(
                response.status_code,
                response.headers,
                response.content,
                mutation=operation.mutation,
                what=what,
            )
        except Throttled as throttled:
            if isinstance(throttled.throttle, ThrottleStatus):
                self.budget.observe(throttled.throttle)
            raise
        if answer.throttle is not None:
            self.budget.observe(answer.throttle)
        if answer.requested_cost is not None:
            self._learned[key] = answer.requested_cost
        self.spent += answer.actual_cost or 0.0
        if answer.version and answer.version not in {self.version, self._warned_version}:
            self._warned_version = answer.version
            log.warning(
                "shopify_api_version_differs", configured=self.version, served=answer.version
            )
        return answer

    async def query(self, operation: Operation, variables: Mapping[str, Any]) -> dict[str, Any]:
        """A query, retried on anything transient within the call deadline."""

        async def attempt() -> dict[str, Any]:
            return (await self.send(operation, variables)).data

        return await self.policy.read(operation.name, attempt)

    async def mutate(
        self, operation: Operation, variables: Mapping[str, Any], *, repeatable: bool
    ) -> dict[str, Any]:
        """A mutation; ``repeatable`` ones are also retried after an unknown outcome."""

        async def attempt() -> dict[str, Any]:
            return (await self.send(operation, variables)).data

        return await self.policy.write(operation.name, attempt, repeatable=repeatable)

    async def write_once(
        self,
        label: str,
        *,
        write: Callable[[], Awaitable[T]],
        reconcile: Callable[[], Awaitable[T | None]],
        unknown: bool = False,
    ) -> T:
        """Run ``write`` at most once in effect (see :meth:`CallPolicy.write_once`)."""
        return await self.policy.write_once(
            label, write=write, reconcile=reconcile, unknown=unknown
        )
