"""The shape of a documented example: what it sends, and what it gives on the demo seed."""

from __future__ import annotations

import copy
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal

from pydantic import JsonValue

from service.contracts.envelope import EVENT_FIELD, REPLY_TO_FIELD

if TYPE_CHECKING:
    from service.settings import StreamSettings

EXAMPLE_TIME = "2026-03-01T12:00:00Z"
"""``occurred_at`` of the examples as printed (producer snippets use the current time)."""

REDIS_CLI = 'redis-cli -u "$REDIS_URL"'
"""How every shell example calls redis-cli: on the Redis named by REDIS_URL, never a default."""
ChannelName = Literal["orders", "giftcards", "giftcard_requests", "stock"]


@dataclass(frozen=True, slots=True)
class OrderInSitoo:
    """The Sitoo order with this externalid is in this state and holds these reservations."""

    externalid: str
    warehouse_externalid: str
    state: Literal["open", "cancelled"]
    reserved: Mapping[str, str]  # SKU -> units reserved in that warehouse

    def describe(self) -> str:
        """One clause of prose."""
        held = ", ".join(f"{units} of `{sku}`" for sku, units in self.reserved.items())
        return (
            f"the order with externalid `{self.externalid}` is {self.state} in warehouse "
            f"`{self.warehouse_externalid}`, which holds {held} reserved"
        )


@dataclass(frozen=True, slots=True)
class CardBalance:
    """The gift card's balance in Sitoo."""

    card_number: str
    balance: str

    def describe(self) -> str:
        """One clause of prose."""
        return f"card `{self.card_number}` has a balance of {self.balance}"


@dataclass(frozen=True, slots=True)
class StockTotal:
    """On-hand units of a SKU in a warehouse (and what the fresh demo seed has there)."""

    warehouse_externalid: str
    sku: str
    total: str
    seeded: str

    def describe(self) -> str:
        """One clause of prose."""
        return (
            f"`{self.sku}` in warehouse `{self.warehouse_externalid}` has {self.total} on hand "
            f"(the seed has {self.seeded})"
        )


Effect = OrderInSitoo | CardBalance | StockTotal


@dataclass(frozen=True, slots=True)
class Expected:
    """What an example gives: its result event, its reply, its dead letter, Sitoo's state.

    ``sitoo`` lists fields of the result's ``sitoo`` object that must have exactly these
    values; ``varying`` lists fields that must be there but whose values differ from one
    account to the next (new ids), with the value a fresh demo seed gives as a sample.
    """

    status: Literal["succeeded", "failed"]
    sitoo: Mapping[str, JsonValue] = field(default_factory=dict)
    varying: Mapping[str, JsonValue] = field(default_factory=dict)
    reason_code: str | None = None
    reason: str | None = None
    dead_lettered: bool = False
    reply: Mapping[str, JsonValue] | None = None
    effects: tuple[Effect, ...] = ()

    def describe(self, event_type: str) -> str:
        """The documented result, as one paragraph of Markdown."""
        parts = [f"`{event_type}.{self.status}`"]
        if self.reason_code is not None:
            parts.append(f"`reason_code` `{self.reason_code}` ({self.reason})")
        values = [f"`{k}` `{json.dumps(v)}`" for k, v in self.sitoo.items()]
        values += [f"`{k}` (new each time)" for k in self.varying]
        if values:
            parts.append("`sitoo`: " + ", ".join(values))
        text = ", ".join(parts)
        if self.dead_lettered:
            text += "; the entry is dead-lettered to `<stream>.dlq` with that reason"
        if self.reply is not None:
            text += f"; the reply is `{self.reply['status']}`"
            if self.reply.get("balance") is not None:
                text += f" with balance `{self.reply['balance']}`"
        if self.effects:
            text += "; in Sitoo, " + "; ".join(effect.describe() for effect in self.effects)
        return text + "."


@dataclass(frozen=True, slots=True)
class Example:
    """One inbound event to send, where to send it, and what it gives."""

    name: str
    summary: str
    event_type: str
    channel: ChannelName
    event_id: str
    data: Mapping[str, JsonValue]
    expected: Expected
    after: tuple[str, ...] = ()
    reply_to: str | None = None
    correlation_id: str | None = "checkout-5521"

    def payload(self) -> dict[str, JsonValue]:
        """A copy of the event's ``data``."""
        return copy.deepcopy(dict(self.data))

    def envelope(self, occurred_at: str = EXAMPLE_TIME) -> dict[str, JsonValue]:
        """The whole envelope, as the ``event`` field's JSON holds it."""
        return {
            "event_id": self.event_id,
            "type": self.event_type,
            "schema_version": 1,
            "occurred_at": occurred_at,
            "source": "webshop",
            "correlation_id": self.correlation_id,
            "data": self.payload(),
        }

    def fields(self, occurred_at: str = EXAMPLE_TIME) -> dict[str, str]:
        """The stream entry's fields: ``event`` (and ``reply_to`` for a request)."""
        document = json.dumps(self.envelope(occurred_at), separators=(",", ":"))
        fields = {EVENT_FIELD: document}
        if self.reply_to is not None:
            fields[REPLY_TO_FIELD] = self.reply_to
        return fields

    def stream(self, streams: StreamSettings) -> str:
        """The stream it goes to under these stream settings."""
        return str(getattr(streams, self.channel))

    def redis_cli(self, streams: StreamSettings) -> list[str]:
        """The shell lines that send it with redis-cli (and wait for the reply of a request)."""
        document = json.dumps(self.envelope(), separators=(",", ":"), ensure_ascii=False)
        if "'" in document:  # the shell's single quotes could not hold it
            raise ValueError(f"example {self.name!r} holds a single quote")
        reply = "" if self.reply_to is None else f" {REPLY_TO_FIELD} {self.reply_to}"
        stream = self.stream(streams)
        lines = [f"{REDIS_CLI} XADD {stream} '*'{reply} {EVENT_FIELD} '{document}'"]
        if self.reply_to is not None:
            lines.append(f"{REDIS_CLI} BLPOP {self.reply_to} 10")
        return lines

    def result_text(self) -> str:
        """The documented result, with what must be sent first."""
        text = self.expected.describe(self.event_type)
        if self.after:
            first = ", ".join(f"`{name}`" for name in self.after)
            return f"after {first}, {text}"
        return text
