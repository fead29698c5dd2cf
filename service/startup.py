"""Start-up refusals: bad configuration found while the service starts ends it in one line.

A check that needs the outside world (a webshop mapping read against Sitoo's stores, a
location map) can only run in the app's lifespan, under uvicorn. A failed lifespan makes
FastStream hand uvicorn the traceback, which uvicorn logs, and uvicorn then leaves with
``sys.exit(3)``. The refusal is recorded here instead, the traceback withheld, and the
launcher turns it back into the :class:`ConfigurationError` the command line reports.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from service.settings import ConfigurationError
from service.usecases.handlers import handler_problem


@dataclass(slots=True)
class StartRefusal:
    """The configuration error that stopped this process's start, once there is one."""

    error: ConfigurationError | None = None

    @contextlib.contextmanager
    def recorded(self) -> Iterator[None]:
        """Note a configuration error raised in the block (it still propagates)."""
        try:
            yield
        except ConfigurationError as exc:
            self.error = exc
            raise


def without_refusal_traceback(app: ASGIApp, refusal: StartRefusal) -> ASGIApp:
    """``app`` whose failed start-up carries no traceback when it was a recorded refusal."""

    async def wrapped(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "lifespan":
            await app(scope, receive, send)
            return

        async def quiet(message: Message) -> None:
            if message["type"] == "lifespan.startup.failed" and refusal.error is not None:
                # The reason is reported once, by whoever started the server.
                message = {"type": "lifespan.startup.failed", "message": ""}
            await send(message)

        await app(scope, receive, quiet)

    return wrapped


def refuse_unhandled_event_types() -> None:
    """Refuse to start when an event type of the contract registry has no handler.

    Checked before anything is read: without a handler every such event would be retried
    until it is dead-lettered.
    """
    if (problem := handler_problem()) is not None:
        raise ConfigurationError(problem)
