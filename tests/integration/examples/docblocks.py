"""Code blocks of the Markdown documents, and which example each one sends."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from service.contracts.examples import EXAMPLES, Example

ROOT = Path(__file__).resolve().parents[3]
_FENCE = re.compile(r"^```(\w*)\n(.*?)^```", re.MULTILINE | re.DOTALL)
_EVENT_ID = re.compile(r"""['"]event_id['"]\s*(?::|=>)\s*['"]([^'"]+)['"]""")


@dataclass(frozen=True)
class Block:
    """One fenced block: its language and text."""

    language: str
    text: str


def blocks(name: str) -> list[Block]:
    """Every fenced block of a document under the repository's root, in order."""
    text = (ROOT / name).read_text(encoding="utf-8")
    return [Block(m.group(1), m.group(2)) for m in _FENCE.finditer(text)]


def sent_example(text: str) -> Example | None:
    """The catalogue example whose envelope the text sends (by its first event_id), if any."""
    match = _EVENT_ID.search(text)
    if match is None:
        return None
    found = [e for e in EXAMPLES.values() if e.event_id == match.group(1)]
    assert found, f"the document sends event {match.group(1)!r}, which is no catalogue example"
    return found[0]


def xadd_lines(text: str) -> list[str]:
    """The redis-cli XADD lines of a shell block."""
    return [line for line in text.splitlines() if line.startswith("redis-cli") and " XADD " in line]
