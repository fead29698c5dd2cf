"""What a use case reports back: a success with Sitoo ids, a decline, or a rejection."""

from __future__ import annotations

from dataclasses import dataclass, field

from pydantic import JsonValue


@dataclass(frozen=True, slots=True)
class Outcome:
    """The effect of one event: succeeded, or failed for a business reason (not an error)."""

    succeeded: bool
    sitoo: dict[str, JsonValue] = field(default_factory=dict)
    reason_code: str | None = None
    reason: str | None = None

    @classmethod
    def ok(cls, **sitoo: JsonValue) -> Outcome:
        """A success carrying the Sitoo ids and values it produced."""
        return cls(succeeded=True, sitoo=dict(sitoo))

    @classmethod
    def declined(cls, code: str, reason: str, **sitoo: JsonValue) -> Outcome:
        """An expected refusal (e.g. insufficient funds): reported, never dead-lettered."""
        return cls(succeeded=False, sitoo=dict(sitoo), reason_code=code, reason=reason)


class Rejected(Exception):
    """The event can never succeed as it is (unknown SKU, unknown store, …): dead-letter it."""

    def __init__(self, code: str, reason: str) -> None:
        super().__init__(reason)
        self.code = code
        self.reason = reason
