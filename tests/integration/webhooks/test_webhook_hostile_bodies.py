"""Any body that authenticates is answered 200 and kept; only Redis trouble earns a 5xx (503)."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator

import httpx
import pytest

from service.webhooks import intake
from service.webhooks.intake import MAX_BODY_BYTES, webhook_app
from tests.integration.webhooks.test_webhook_intake import AUTH, _client, _event, _settings

DEEP = 100_000


async def _post(redis, unique, content, **headers: str) -> tuple[httpx.Response, list]:
    settings = _settings(unique)
    async with _client(webhook_app(settings, lambda: redis)) as client:
        response = await client.post("/sitoo/events", content=content, auth=AUTH, headers=headers)
    letters = await redis.xrange(settings.streams.sitoo_webhooks + ".dlq")
    assert await redis.xlen(settings.streams.sitoo_webhooks) == 0
    return response, letters


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (b"[" * DEEP + b"]" * DEEP, "nested too deeply"),
        (b'[{"a":' * 30_000, "not JSON"),
        (b"[" * DEEP, "not JSON"),
        (b'[{"event_id": "\xff\xfe"}]', "not UTF-8"),
        (json.dumps([{**_event("e"), "data": {"note": "a\x00b"}}]).encode(), "U+0000"),
        (json.dumps([{**_event("e"), "event_type": "order\u202e"}]).encode(), "U+202E"),
        (json.dumps([{**_event("e"), "data": {"k" * 500: 1}}]).encode(), "key: longer than"),
        (json.dumps([_event("e", order_id=1)] * 3)[:-1].encode(), "not JSON"),
        (b"\x00" * 64, "not JSON"),
        (json.dumps(["not an event"]).encode(), "invalid event"),
        (b'[{"event_id": "a", "event_id": "b", "event_type": "order"}]', "more than once"),
        (b'[{"event_id": "a", "event_type": "order", "data": {"n": NaN}}]', "NaN is not"),
        (b'[{"event_id": "a", "event_type": "order", "data": {"n": 1e999}}]', "finite"),
    ],
    ids=[
        "deep",
        "deep-objects",
        "unbalanced",
        "utf-8",
        "nul",
        "bidi",
        "long-key",
        "cut",
        "nuls",
        "shape",
        "key-twice",
        "nan",
        "infinite",
    ],
)
async def test_a_body_that_cannot_be_used_is_kept_with_its_reason(redis, unique, body, reason):
    """Deep nesting, broken UTF-8, forbidden characters, wrong shape: 200 and a dead letter."""
    response, letters = await _post(redis, unique, body)
    assert response.status_code == 200
    assert response.json()["outcome"] == "dead_lettered"
    [(_, letter)] = letters
    assert reason in letter[b"reason"].decode()
    assert letter[b"original:body"] == body[:MAX_BODY_BYTES]


async def test_a_body_declared_too_large_is_not_read_and_still_answered_200(redis, unique):
    """The Content-Length alone says it cannot be a batch: nothing is buffered."""
    body = b"[" + b" " * (MAX_BODY_BYTES + 10) + b"]"
    response, [(_, letter)] = await _post(redis, unique, body)
    assert response.status_code == 200
    assert f"exceeds {MAX_BODY_BYTES} bytes" in letter[b"reason"].decode()


async def test_each_body_too_large_is_kept_as_its_own_dead_letter(redis, unique):
    """Two different oversized bodies cannot be told apart by what was read: both are kept."""
    for filler in (b" ", b"\n"):
        body = b"[" + filler * (MAX_BODY_BYTES + 10) + b"]"
        response, letters = await _post(redis, unique, body)
        assert response.status_code == 200
    assert len(letters) == 2


async def test_a_streamed_body_too_large_is_cut_at_the_limit(redis, unique):
    """Without a Content-Length the body is read up to the limit; that much is kept."""

    async def chunks() -> AsyncIterator[bytes]:
        for _ in range(40):
            yield b"x" * 16_384

    response, [(_, letter)] = await _post(redis, unique, chunks())
    assert response.status_code == 200
    assert len(letter[b"original:body"]) == MAX_BODY_BYTES


async def test_an_unforeseen_failure_keeps_the_body_and_answers_200(
    redis, unique, monkeypatch: pytest.MonkeyPatch
):
    """A bug in handling one batch must not hold back every later one behind a 5xx."""

    def broken(body: bytes, *, cut: bool = False) -> list:
        raise ZeroDivisionError("a bug")

    monkeypatch.setattr(intake, "parse_batch", broken)
    body = json.dumps([_event(f"{unique}-1")]).encode()
    response, [(_, letter)] = await _post(redis, unique, body)
    assert response.status_code == 200
    assert letter[b"reason"] == b"could not be handled (ZeroDivisionError)"
    assert letter[b"original:body"] == body
