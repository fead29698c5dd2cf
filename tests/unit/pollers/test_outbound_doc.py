"""The outbound events reference is generated from the models and must be current."""

from __future__ import annotations

from service.contracts.outbound import OUTBOUND_KINDS
from service.contracts.outbound_doc import DOC_PATH, render


def test_the_reference_is_current():
    """docs/outbound-events.md equals what the models render (regenerate with write())."""
    assert DOC_PATH.read_text(encoding="utf-8") == render(), (
        "stale: run python -c 'from service.contracts.outbound_doc import write; write()'"
    )


def test_every_event_type_has_a_validating_example():
    """Each type is documented with an example that its own model accepts."""
    for kind in OUTBOUND_KINDS.values():
        examples = kind.payload.model_json_schema()["examples"]
        kind.payload.model_validate(examples[0])
