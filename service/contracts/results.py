"""Result events: one per inbound event, on the results stream."""

from __future__ import annotations

import hashlib
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from service.contracts.envelope import SCHEMA_VERSION, Envelope
from service.contracts.examples import EXAMPLES, sample_result

RESULT_SOURCE = "sitoo-sync"
UNKNOWN_TYPE = "unknown"


class ResultData(BaseModel):
    """The ``data`` of a ``<type>.succeeded`` or ``<type>.failed`` result event."""

    model_config = ConfigDict(
        extra="forbid",
        frozen=True,
        json_schema_extra={
            "examples": [
                sample_result(
                    EXAMPLES["order-placed"], stream="webshop.orders", entry_id="1767268800000-0"
                )
            ]
        },
    )

    inbound_event_id: str | None = Field(
        description="The inbound event's id; null only when it could not be read."
    )
    inbound_type: str
    stream: str
    entry_id: str
    status: Literal["succeeded", "failed"]
    sitoo: dict[str, Any] = Field(
        default_factory=dict, description="Sitoo ids and values the effect produced."
    )
    reason_code: str | None = Field(
        default=None, description="Machine-readable reason of a failure (e.g. insufficient_funds)."
    )
    reason: str | None = Field(default=None, description="Human-readable reason of a failure.")
    dead_lettered: bool = Field(
        default=False, description="True when the inbound entry was parked in the dead letters."
    )


def result_event_id(
    inbound_event_id: str | None,
    stream: str,
    entry_id: str,
    status: str,
    *,
    entry_bound: bool = False,
) -> str:
    """Deterministic: the same inbound event and outcome always yield the same result id.

    The status is part of it so that an event that failed and later succeeded (replayed
    from the dead letters) gets a second, distinct result event. A result that belongs to
    one entry only (unreadable, or reusing an event id) is derived from the entry, so it
    never shares its id with the result of the event whose id it carries.
    """
    unbound = inbound_event_id is not None and not entry_bound
    root = inbound_event_id if unbound else f"{stream}/{entry_id}"
    digest = hashlib.blake2b(f"{root}|{status}".encode(), digest_size=16).hexdigest()
    return f"result-{digest}"


def result_envelope(
    data: ResultData,
    *,
    occurred_at: datetime,
    correlation_id: str | None,
    entry_bound: bool = False,
) -> Envelope:
    """The envelope of the result event for ``data``."""
    return Envelope(
        event_id=result_event_id(
            data.inbound_event_id,
            data.stream,
            data.entry_id,
            data.status,
            entry_bound=entry_bound,
        ),
        type=f"{data.inbound_type}.{data.status}",
        schema_version=SCHEMA_VERSION,
        occurred_at=occurred_at,
        source=RESULT_SOURCE,
        correlation_id=correlation_id,
        data=data.model_dump(mode="json"),
    )
