"""Stream replies of a bytes (not decoding) Redis client, as text, for the operator commands."""

from __future__ import annotations

from typing import Any

Entry = tuple[str, dict[str, str]]


def text(value: object) -> str:
    """A reply element as text."""
    if isinstance(value, bytes):
        return value.decode("utf-8", errors="replace")
    return str(value)


def entries(raw: Any) -> list[Entry]:  # noqa: ANN401 - redis-py types replies loosely
    """An XRANGE/XREVRANGE reply: (entry id, fields)."""
    return [
        (text(entry_id), {text(k): text(v) for k, v in fields.items()})
        for entry_id, fields in raw or []
    ]


def batches(raw: Any) -> list[tuple[str, list[Entry]]]:  # noqa: ANN401 - redis-py types replies loosely
    """An XREAD reply: (stream, entries) per stream that had any."""
    return [(text(stream), entries(found)) for stream, found in raw or []]
