"""Base classes of the Sitoo models: tolerant reads, strict writes, list pages.

Read models ignore unknown fields and accept null for every scalar, because Sitoo's
payloads are looser than its reference. Write models are strict and are serialised
with money as two-decimal and quantities as three-decimal strings.
"""

from __future__ import annotations

from typing import Any, Generic, TypeVar

from pydantic import BaseModel, ConfigDict, Field


class Resource(BaseModel):
    """A Sitoo object as read: tolerant of unknown fields and nulls."""

    model_config = ConfigDict(extra="ignore", frozen=True)


class Payload(BaseModel):
    """A Sitoo object as written: unknown fields are a programming error."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    def to_json(self) -> dict[str, Any]:
        """The JSON body, without fields left unset."""
        return self.model_dump(mode="json", exclude_none=True)


T = TypeVar("T")


class Page(BaseModel, Generic[T]):
    """One page of a ``{totalcount, items}`` envelope."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    totalcount: int = 0
    items: list[T] = Field(default_factory=list)
