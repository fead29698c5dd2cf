"""Parsing Sitoo's Events SPI batches and reading the intake settings."""

from __future__ import annotations

import json

import pytest

from service.settings import HttpSettings, Settings
from service.webhooks.intake import IntakeConfig, MalformedBatchError, parse_batch


def _event(**overrides: object) -> dict[str, object]:
    return {"event_id": "e-1", "event_type": "order", "data": {"order_id": 5}, **overrides}


def test_a_well_formed_batch_keeps_unknown_fields():
    """Events parse with their data, and fields we do not know are kept for the consumer."""
    (event,) = parse_batch(json.dumps([_event(extra="x")]).encode())
    assert event.event_id == "e-1"
    assert event.data == {"order_id": 5}
    assert json.loads(event.model_dump_json())["extra"] == "x"


@pytest.mark.parametrize(
    "body",
    [
        b"",
        b"\xff\xfe",
        b"{}",
        b"[]",
        json.dumps([_event()] * 11).encode(),
        json.dumps([_event(event_id="has space")]).encode(),
        json.dumps([_event(data=[1, 2])]).encode(),
        json.dumps(["not an object"]).encode(),
        b"[" + b" " * (256 * 1024) + b"]",
    ],
    ids=["empty", "binary", "object", "none", "eleven", "bad-id", "bad-data", "string", "huge"],
)
def test_malformed_batches_are_refused_with_a_reason(body):
    """Anything but 1-10 well-formed events is malformed and says why."""
    with pytest.raises(MalformedBatchError) as caught:
        parse_batch(body)
    assert str(caught.value)


def test_intake_is_off_without_a_password_and_never_shows_it():
    """No password: no endpoint. With one, the config holds it but its repr does not leak it."""
    assert IntakeConfig.from_settings(Settings()) is None
    config = IntakeConfig.from_settings(
        Settings(http=HttpSettings(webhook_password="s3cret-value"))
    )
    assert config is not None
    assert config.names.dead_letters(config.stream) == "sitoo.webhooks.dlq"
    assert "s3cret-value" not in repr(config)
