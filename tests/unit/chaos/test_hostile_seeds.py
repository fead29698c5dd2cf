"""The hostile runs start from a seed of every event type, and their lax spellings break it."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from service.contracts.envelope import EVENT_FIELD, InvalidEntry, decode_envelope
from service.contracts.registry import EVENT_KINDS, validate_payload
from tests.support.contract_strategies import SEEDS
from tests.support.hostile_cases import CHANGED_FIELDS, ID_MARK, LENIENT, NOW_MARK, document


def _entry(text: str) -> dict[bytes, bytes]:
    now = datetime.now(UTC).isoformat().replace("+00:00", "Z")
    text = text.replace(json.dumps(NOW_MARK), json.dumps(now)).replace(ID_MARK, "seed-1")
    return {EVENT_FIELD.encode(): text.encode()}


def _accepted(event_type: str, text: str) -> bool:
    channel = min(EVENT_KINDS[event_type].channels, key=str)
    try:
        validate_payload(decode_envelope(_entry(text), max_bytes=1 << 20), channel)
    except InvalidEntry:
        return False
    return True


def test_every_event_type_has_a_seed_and_a_changed_field() -> None:
    """A type added to the contract without a seed would never be mutated or reused."""
    assert set(SEEDS) == set(EVENT_KINDS)
    assert set(CHANGED_FIELDS) == set(EVENT_KINDS)


@pytest.mark.parametrize("event_type", sorted(SEEDS))
def test_each_seed_is_accepted_and_each_lax_spelling_of_it_refused(event_type: str) -> None:
    seed = json.dumps(document(event_type, SEEDS[event_type]))
    assert _accepted(event_type, seed)
    for what, old, new in LENIENT:
        if old in seed:
            assert not _accepted(event_type, seed.replace(old, new, 1)), what
