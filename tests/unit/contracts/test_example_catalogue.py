"""The catalogue of documented examples: valid events, consistent claims, copy-paste safe."""

from __future__ import annotations

from itertools import combinations

import pytest

from service.contracts.envelope import InvalidEntry, decode_envelope
from service.contracts.example_model import CardBalance, Effect, OrderInSitoo, StockTotal
from service.contracts.examples import EXAMPLES, Example, in_order, primary
from service.contracts.registry import EVENT_KINDS, Channel, validate_payload
from service.settings import StreamSettings


def _validate(example: Example) -> None:
    raw = example.fields()["event"].encode()
    envelope = decode_envelope({b"event": raw}, max_bytes=1 << 20)
    validate_payload(envelope, Channel(example.channel))


@pytest.mark.parametrize("name", list(EXAMPLES))
def test_each_example_is_valid_unless_it_documents_a_refusal(name: str) -> None:
    """An example validates on its stream, or it is the one that documents reason invalid."""
    example = EXAMPLES[name]
    if example.expected.reason_code == "invalid":
        with pytest.raises(InvalidEntry, match=r"data\.lines: Field required"):
            _validate(example)
    else:
        _validate(example)


def test_every_type_has_a_valid_primary_example_and_the_models_show_it() -> None:
    """The first example of a type is valid, and the payload model's schema example is it."""
    for name, kind in EVENT_KINDS.items():
        example = primary(name)
        assert example.expected.reason_code != "invalid"
        assert kind.payload.model_json_schema()["examples"] == [example.payload()]


def test_prerequisites_exist_and_come_first() -> None:
    """`after` names catalogue examples that the catalogue order sends earlier."""
    seen: set[str] = set()
    for example in in_order():
        assert set(example.after) <= seen, example.name
        seen.add(example.name)


def _touches(effect: Effect) -> tuple[str, ...]:
    if isinstance(effect, CardBalance):
        return ("card", effect.card_number)
    if isinstance(effect, StockTotal):
        return ("total", effect.warehouse_externalid, effect.sku)
    assert isinstance(effect, OrderInSitoo)
    return ("order", effect.externalid)


def _related(first: Example, second: Example) -> bool:
    def needs(a: Example, b: Example) -> bool:
        return b.name in a.after or any(needs(EXAMPLES[n], b) for n in a.after)

    return needs(first, second) or needs(second, first)


def test_unrelated_examples_touch_different_things() -> None:
    """Only examples linked by `after` change the same order, card or level, so any order works.

    Reads (balances) may share a card: they change nothing.
    """
    writers = {
        e.name: {_touches(x) for x in e.expected.effects}
        for e in EXAMPLES.values()
        if e.event_type != "giftcard.balance"
    }
    for (a, touched_a), (b, touched_b) in combinations(writers.items(), 2):
        if not _related(EXAMPLES[a], EXAMPLES[b]):
            assert not touched_a & touched_b, f"{a} and {b} both change {touched_a & touched_b}"
    reads = {
        _touches(x)
        for e in EXAMPLES.values()
        if e.event_type == "giftcard.balance"
        for x in e.expected.effects
    }
    for name, touched in writers.items():
        assert not reads & touched, f"{name} changes a card a balance example reads"


def test_shell_lines_survive_copy_and_paste() -> None:
    """Each example renders as redis-cli lines on REDIS_URL, single-quoted without breaks."""
    streams = StreamSettings(consumer="x")
    for example in EXAMPLES.values():
        [send, *wait] = example.redis_cli(streams)
        assert send.startswith('redis-cli -u "$REDIS_URL" XADD ')
        assert send.count("'") == 4  # '*' and the quoted event
        assert bool(wait) == (example.reply_to is not None)


def test_documented_results_read_as_prose() -> None:
    """Every result text names the result type and, where any, what Sitoo looks like after."""
    for example in EXAMPLES.values():
        text = example.result_text()
        assert f"`{example.event_type}.{example.expected.status}`" in text
        assert text.endswith(".")
        for prerequisite in example.after:
            assert f"`{prerequisite}`" in text
