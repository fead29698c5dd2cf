"""How carefully a run must write: what its caller knows about earlier runs of the same work.

The claim records of the idempotency store say whether an operation was tried before,
but those records can be lost (a Redis failover to a replica that had not received them
yet) while the delivery itself knows better: its event was run before. The delivery
says so here, for the duration of the run, and every exactly-once write obeys it:

* ``FIRST``: nothing known beyond the claim records; write when the claim is fresh.
* ``LOOK_FIRST``: an earlier run may have written; look the write up before sending it,
  even when its claim looks fresh.
* ``LOOK_ONLY``: earlier runs kept dying without a result; look writes up and record what
  is found, but send nothing (a write not found raises :class:`WriteWithheld`).

A context variable, so the use cases between the delivery and the client stay unaware.
"""

from __future__ import annotations

import contextlib
import enum
from collections.abc import Iterator
from contextvars import ContextVar


class Caution(enum.Enum):
    """What a write may do, given what is known about earlier runs."""

    FIRST = "first"
    LOOK_FIRST = "look_first"
    LOOK_ONLY = "look_only"


_current: ContextVar[Caution] = ContextVar("write_caution", default=Caution.FIRST)


def current_caution() -> Caution:
    """The caution the running work was started with."""
    return _current.get()


@contextlib.contextmanager
def caution(level: Caution) -> Iterator[None]:
    """Run the block's writes with ``level``."""
    token = _current.set(level)
    try:
        yield
    finally:
        _current.reset(token)
