"""`sitoo-sync send` sends exactly the examples the documents show, to the streams they name."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from service.contracts.examples import EXAMPLES, primary
from service.contracts.registry import EVENT_KINDS
from service.operator.send import examples, find_example
from service.operator.tail import render_entry
from service.settings import StreamSettings

DOCS = Path(__file__).resolve().parents[3] / "docs"
_XADD = re.compile(r"^redis-cli -u \"\$REDIS_URL\" XADD (\S+) '\*' event '(\{.*\})'$", re.MULTILINE)


def _documented(page: str) -> dict[str, tuple[str, dict[str, Any]]]:
    """The first `redis-cli XADD` of each event type on a page: (stream, event)."""
    found: dict[str, tuple[str, dict[str, Any]]] = {}
    for stream, document in _XADD.findall((DOCS / page).read_text(encoding="utf-8")):
        event = json.loads(document)
        found.setdefault(event["type"], (stream, event))
    return found


def _without_time(event: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in event.items() if k != "occurred_at"}


def test_every_catalogue_example_can_be_sent_by_name_or_event_type() -> None:
    """Each documented example by its name; an event type names its main example."""
    streams = StreamSettings(consumer="c")
    assert [e.name for e in examples(streams)] == list(EXAMPLES)
    for event_type in EVENT_KINDS:
        found = find_example(event_type, streams)
        assert found is not None
        assert found.name == primary(event_type).name
    assert find_example("no-such-example", streams) is None


@pytest.mark.parametrize("page", ["producers.md", "events.md"])
def test_send_and_the_documents_agree(page: str) -> None:
    """Same stream and same event (the time is filled in when sending) as the page shows."""
    documented = _documented(page)
    for event_type in EVENT_KINDS:
        example = find_example(event_type, StreamSettings(consumer="c"))
        assert example is not None
        stream, event = documented[event_type]
        assert example.stream == stream, example.name
        assert _without_time(example.event) == _without_time(event), example.name


def test_tail_prints_one_line_per_event() -> None:
    """Time, stream, type, event id and the data, compact."""
    event = {"event_id": "r-1", "type": "order.placed.succeeded", "data": {"status": "succeeded"}}
    line = render_entry("sitoo-sync.results", "1767268800000-0", {"event": json.dumps(event)})
    assert line.endswith('sitoo-sync.results  order.placed.succeeded  r-1  {"status":"succeeded"}')
    odd = render_entry("sitoo.events", "1767268800000-1", {"something": "else"})
    assert '{"something": "else"}' in odd
