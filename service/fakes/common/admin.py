"""The admin API every fake has under /_fake/: reset, faults, request counts, ledger, clock."""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol, TypeVar

from pydantic import BaseModel, ConfigDict, ValidationError
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from service.fakes.common.clock import Clock
from service.fakes.common.faults import BaseFaultConfig
from service.fakes.common.ledger import LedgerEntry
from service.fakes.common.responses import json_answer

PREFIX = "/_fake"
Model = TypeVar("Model", bound=BaseModel)


class UnknownSeed(ValueError):
    """reset() was asked for a seed that does not exist."""


class FakeState(Protocol):
    """What the shared admin routes need of a fake's state object."""

    clock: Clock
    requests: dict[str, int]

    @property
    def faults(self) -> BaseFaultConfig:
        """The fault configuration in force."""
        ...

    def reset(self, seed: str = "demo") -> None:
        """Throw all state away and load a seed (raises UnknownSeed)."""
        ...

    def ledger_entries(
        self, *, kind: str | None = None, key: str | None = None
    ) -> list[LedgerEntry]:
        """Applied writes in order, optionally filtered."""
        ...


class AdminError(Exception):
    """A refused admin call: status and text."""

    def __init__(self, status: int, text: str) -> None:
        super().__init__(text)
        self.status = status
        self.text = text


class Body(BaseModel):
    """A strict admin request body."""

    model_config = ConfigDict(extra="forbid")


async def parse(request: Request, model: type[Model]) -> Model:
    """The request body as ``model``, or a 400 naming the first bad field."""
    try:
        return model.model_validate_json((await request.body()) or b"{}")
    except ValidationError as exc:
        first = exc.errors(include_url=False, include_input=False)[0]
        raise AdminError(400, f"{'.'.join(str(p) for p in first['loc'])}: {first['msg']}") from None


async def admin_error(request: Request, exc: Exception) -> Response:
    """An AdminError as JSON."""
    del request
    assert isinstance(exc, AdminError)  # noqa: S101 - registered for this type only
    return json_answer(exc.status, {"error": exc.text})


class ResetBody(Body):
    """POST /_fake/reset."""

    seed: str = "demo"


class ClockBody(Body):
    """PUT /_fake/clock."""

    offset_s: float | None = None
    advance_s: float | None = None


class _SharedRoutes:
    """The shared admin handlers, bound to one fake's state and fault configuration type."""

    def __init__(
        self,
        state_of: Callable[[Request], FakeState],
        fault_model: type[BaseFaultConfig],
        set_faults: Callable[[Request, BaseFaultConfig], None],
    ) -> None:
        self._state_of = state_of
        self._fault_model = fault_model
        self._set_faults = set_faults

    async def reset(self, request: Request) -> Response:
        """Reload a seed; everything else is forgotten."""
        body = await parse(request, ResetBody)
        try:
            self._state_of(request).reset(body.seed)
        except UnknownSeed as exc:
            raise AdminError(400, str(exc)) from None
        return json_answer(200, {"seed": body.seed})

    async def faults(self, request: Request) -> Response:
        """GET or PUT (replace) the fault configuration."""
        if request.method == "PUT":
            self._set_faults(request, await parse(request, self._fault_model))
        return json_answer(200, self._state_of(request).faults.model_dump(mode="json"))

    async def requests_seen(self, request: Request) -> Response:
        """API requests by outcome; DELETE clears them."""
        state = self._state_of(request)
        if request.method == "DELETE":
            state.requests = {}
        return json_answer(200, state.requests)

    async def ledger(self, request: Request) -> Response:
        """Applied writes, optionally of one kind and/or key."""
        query = request.query_params
        entries = self._state_of(request).ledger_entries(
            kind=query.get("kind"), key=query.get("key")
        )
        return json_answer(200, [e.to_json() for e in entries])

    async def clock(self, request: Request) -> Response:
        """GET or move the fake's clock."""
        state = self._state_of(request)
        if request.method == "PUT":
            body = await parse(request, ClockBody)
            if body.offset_s is not None:
                state.clock.set_offset(body.offset_s)
            if body.advance_s is not None:
                state.clock.advance(body.advance_s)
        return json_answer(200, {"now": state.clock.now(), "offset_s": state.clock.offset_s})


def common_routes(
    state_of: Callable[[Request], FakeState],
    fault_model: type[BaseFaultConfig],
    set_faults: Callable[[Request, BaseFaultConfig], None],
) -> list[Route]:
    """The shared admin routes: reset, faults, requests, ledger, clock."""
    shared = _SharedRoutes(state_of, fault_model, set_faults)
    return [
        Route(f"{PREFIX}/reset", shared.reset, methods=["POST"]),
        Route(f"{PREFIX}/faults", shared.faults, methods=["GET", "PUT"]),
        Route(f"{PREFIX}/requests", shared.requests_seen, methods=["GET", "DELETE"]),
        Route(f"{PREFIX}/ledger", shared.ledger, methods=["GET"]),
        Route(f"{PREFIX}/clock", shared.clock, methods=["GET", "PUT"]),
    ]
