"""The invariants hostile entries probe: reply targets, replies to refusals, reused ids, bounds.

Each test names the rule it proves, not only the instance that was found breaking it.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from redis.exceptions import ConnectionError as RedisConnectionError

from service.brokers.redis.replies import Replier
from service.brokers.redis.settlement import Settlements
from service.contracts.registry import Channel
from service.inbox.delivery import Entry
from tests.component.consumers.conftest import Rig, envelope

CARD = "95000000000000000001"  # demo seed: 500.00 SEK


def redeem(amount: str = "10.00", **data: Any) -> dict[str, Any]:
    """A redeem request on the demo card."""
    return envelope(
        "giftcard.redeem", {"card_number": CARD, "amount": amount, "currency": "SEK", **data}
    )


def again(entry: Entry, deliveries: int) -> Entry:
    """The same entry, delivered once more."""
    return Entry(entry.stream, entry.channel, entry.entry_id, entry.fields, deliveries)


async def stock_batch(rig: Rig, documents: list[tuple[dict[str, Any], int]]) -> list[Entry]:
    """XADD stock entries, read them in the group and hand them over as one batch."""
    stream = rig.settings.streams.stock
    entries = []
    for document, deliveries in documents:
        raw = json.dumps(document).encode()
        entry_id = (await rig.redis.xadd(stream, {b"event": raw})).decode()
        entries.append(Entry(stream, Channel.STOCK, entry_id, {b"event": raw}, deliveries))
    await rig.redis.xreadgroup(rig.settings.streams.group, "component", {stream: ">"})
    await rig.handler.handle_batch(entries)
    return entries


async def replies(rig: Rig, key: str) -> list[dict[str, Any]]:
    """Every reply pushed to ``key``."""
    return [json.loads(r) for r in await rig.redis.lrange(key, 0, -1)]


def transactions(rig: Rig) -> int:
    """Gift-card transactions Sitoo applied."""
    return len(rig.sandbox.ledger_entries(kind="giftcard.transaction"))


@pytest.mark.parametrize("kind", ["inbound stream", "string", "hash", "set"])
async def test_a_reply_target_of_another_type_is_refused_before_any_effect(
    rig: Rig, unique: str, kind: str
) -> None:
    """Only an absent key or a list may be a reply target; the rest is dead-lettered at once."""
    target = f"shop-{unique}:reply-of-another-type"
    if kind == "inbound stream":
        target = rig.settings.streams.orders
        await rig.redis.xadd(target, {"event": "{}"})
    elif kind == "string":
        await rig.redis.set(target, "x")
    elif kind == "hash":
        await rig.redis.hset(target, "f", "v")
    else:
        await rig.redis.sadd(target, "m")
    before = await rig.redis.type(target)
    entry = await rig.deliver(Channel.GIFTCARD_REQUESTS, redeem(), reply_to=target)
    assert transactions(rig) == 0
    assert await rig.pending(entry.stream) == 0
    [result] = await rig.results()
    assert (result["data"]["reason_code"], result["data"]["dead_lettered"]) == ("invalid", True)
    expected = "the service's key" if kind == "inbound stream" else "names an existing"
    assert expected in result["data"]["reason"]
    assert await rig.redis.type(target) == before


async def test_the_services_own_streams_are_never_reply_targets(rig: Rig) -> None:
    """Not even before they exist: a list there would break every later XADD to them."""
    streams = rig.settings.streams
    assert not await rig.redis.exists(streams.results, streams.stock + ".dlq")
    for name in (streams.results, streams.stock + ".dlq", streams.outbound, streams.sitoo_webhooks):
        before = await rig.redis.type(name)
        await rig.deliver(Channel.GIFTCARD_REQUESTS, redeem(), reply_to=name)
        assert await rig.redis.type(name) in {before, b"stream"}
    reasons = {r["data"]["reason"] for r in await rig.results()}
    # Named by whichever part of the rule matched first: the test's streams share its prefix.
    assert all(
        reason.startswith("invalid reply_to: reply_to ")
        and ("names a stream the service uses" in reason or "key prefix" in reason)
        for reason in reasons
    )
    assert transactions(rig) == 0


async def test_an_invalid_request_gets_exactly_one_decline_with_the_reason(
    rig: Rig, unique: str
) -> None:
    """The checkout hears "declined, invalid_request" at once instead of waiting for a timeout."""
    reply_to = f"shop-{unique}:checkout"
    document = redeem(amount="-5.00")
    entry = await rig.deliver(Channel.GIFTCARD_REQUESTS, document, reply_to=reply_to)
    await rig.handler.handle(again(entry, 2))  # a redelivery answers nothing twice
    [reply] = await replies(rig, reply_to)
    assert (reply["status"], reply["reason_code"]) == ("declined", "invalid_request")
    assert reply["request_event_id"] == document["event_id"]
    assert "data.amount" in reply["reason"]
    assert len(await rig.results()) == 1
    assert await rig.redis.ttl(reply_to) > 0


@pytest.mark.parametrize(
    "raw",
    [b"{not json", b"\xff\xfe", b"[" * 10_000, json.dumps({"event_id": "a\x00b"}).encode()],
    ids=["not json", "not utf-8", "nested", "nul"],
)
async def test_an_unreadable_request_still_gets_its_decline(
    rig: Rig, unique: str, raw: bytes
) -> None:
    """Whatever the event holds, a usable reply_to is answered once."""
    reply_to = f"shop-{unique}:checkout"
    await rig.deliver(Channel.GIFTCARD_REQUESTS, raw, reply_to=reply_to)
    [reply] = await replies(rig, reply_to)
    assert (reply["status"], reply["reason_code"]) == ("declined", "invalid_request")
    assert reply["reason"]


async def test_a_reused_event_id_with_other_content_is_a_conflict(rig: Rig, unique: str) -> None:
    """The first redeem stands; the second gets its own conflict result, dead letter and reply."""
    first = redeem(amount="10.00")
    reused = {**first, "data": {**first["data"], "amount": "400.00"}}
    await rig.deliver(Channel.GIFTCARD_REQUESTS, first, reply_to=f"shop-{unique}:a")
    entry = await rig.deliver(Channel.GIFTCARD_REQUESTS, reused, reply_to=f"shop-{unique}:a")
    assert transactions(rig) == 1
    original, conflict = await rig.results()
    assert original["type"] == "giftcard.redeem.succeeded"
    assert conflict["type"] == "giftcard.redeem.failed"
    assert conflict["event_id"] != original["event_id"]
    assert conflict["data"]["inbound_event_id"] == first["event_id"]
    assert (conflict["data"]["reason_code"], conflict["data"]["entry_id"]) == (
        "conflict",
        entry.entry_id,
    )
    [(_, parked)] = await rig.redis.xrange(entry.stream + ".dlq")
    assert parked[b"reason_code"] == b"conflict"
    assert parked[b"digest"].startswith(b"sha256:")
    assert parked[b"first_digest"].startswith(b"sha256:")
    assert parked[b"digest"] != parked[b"first_digest"]
    assert parked[b"first_digest"].decode() in conflict["data"]["reason"]
    answers = await replies(rig, f"shop-{unique}:a")
    assert sorted((a["status"], a["reason_code"]) for a in answers) == [
        ("approved", None),
        ("declined", "conflict"),
    ]
    assert await rig.pending(entry.stream) == 0


async def test_the_same_content_in_another_form_is_no_conflict(rig: Rig, unique: str) -> None:
    """Key order, spacing and 10 against "10.00" are the same event: its result is repeated."""
    first = redeem(amount="10.00")
    await rig.deliver(Channel.GIFTCARDS, first)
    data = {"currency": "SEK", "amount": 10, "card_number": CARD}
    resent = json.dumps({**first, "data": data}, indent=2).encode()
    await rig.deliver(Channel.GIFTCARD_REQUESTS, resent, reply_to=f"shop-{unique}:b")
    [reply] = await replies(rig, f"shop-{unique}:b")
    assert reply["status"] == "approved"
    assert transactions(rig) == 1
    assert len(await rig.results()) == 1


async def test_a_reply_target_that_changes_type_after_the_check_ends_quietly(
    rig: Rig, unique: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Checked as a list, turned into a string before the reply: outcome stands, entry acked."""
    target = f"shop-{unique}:racy"
    checked = Replier.check_usable

    async def check_then_race(self: Replier, key: str) -> None:
        await checked(self, key)
        await rig.redis.set(key, "someone else's")

    monkeypatch.setattr(Replier, "check_usable", check_then_race)
    entry = await rig.deliver(Channel.GIFTCARD_REQUESTS, redeem(), reply_to=target)
    assert await rig.pending(entry.stream) == 0
    [result] = await rig.results()
    assert result["type"] == "giftcard.redeem.succeeded"
    assert await rig.redis.get(target) == b"someone else's"


async def test_a_reply_that_keeps_failing_never_outlives_the_last_delivery(
    rig: Rig, unique: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Redis refusing the reply: pending on early deliveries, acked on the last one."""

    async def refuse(*_: object, **__: object) -> bool:
        raise RedisConnectionError("reply list unreachable")

    monkeypatch.setattr(Replier, "reply", refuse)
    entry = await rig.deliver(Channel.GIFTCARD_REQUESTS, redeem(), reply_to=f"shop-{unique}:r")
    assert await rig.pending(entry.stream) == 1
    await rig.handler.handle(again(entry, 2))
    assert await rig.pending(entry.stream) == 1
    await rig.handler.handle(again(entry, rig.settings.streams.max_deliveries))
    assert await rig.pending(entry.stream) == 0
    [result] = await rig.results()
    assert result["type"] == "giftcard.redeem.succeeded"
    assert transactions(rig) == 1


async def test_an_unforeseen_failure_before_the_outcome_is_ended_on_the_last_delivery(
    rig: Rig, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Recording the outcome breaks for a reason nobody foresaw: parked once, never stuck."""
    settle = Settlements.settle
    calls = {"n": 0}

    async def break_first(self: Settlements, items: Any) -> Any:
        calls["n"] += 1
        if calls["n"] == 1:
            raise RuntimeError("a bug while recording")
        return await settle(self, items)

    monkeypatch.setattr(Settlements, "settle", break_first)
    last = rig.settings.streams.max_deliveries
    entry = await rig.deliver(
        Channel.GIFTCARDS, envelope("giftcard.balance", {"card_number": CARD}), deliveries=last
    )
    assert await rig.pending(entry.stream) == 0
    [result] = await rig.results()
    assert result["data"]["reason_code"] == "retries_exhausted"
    assert "a bug while recording" in result["data"]["reason"]
    assert await rig.redis.xlen(entry.stream + ".dlq") == 1


async def test_an_unforeseen_failure_leaves_an_early_delivery_pending(
    rig: Rig, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Before the last delivery the entry is left for the reclaimer: nothing is recorded."""

    async def broken(*_: object, **__: object) -> Any:
        raise RuntimeError("a bug while recording")

    monkeypatch.setattr(Settlements, "settle", broken)
    entry = await rig.deliver(
        Channel.GIFTCARDS, envelope("giftcard.balance", {"card_number": CARD})
    )
    assert await rig.pending(entry.stream) == 1
    assert await rig.results() == []


async def test_a_batch_failing_unforeseen_ends_its_entries_on_the_last_delivery(
    rig: Rig, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Stock entries read together are bound by the same rule, each on its own count."""

    async def broken(*_: object, **__: object) -> Any:
        raise RuntimeError("a bug in the batch")

    monkeypatch.setattr(Settlements, "begin", broken)
    stream = rig.settings.streams.stock
    last = rig.settings.streams.max_deliveries
    adjusted = {"warehouse_id": 1, "items": [{"sku": "SKU-0001", "delta": "1"}]}
    entries = await stock_batch(
        rig,
        [(envelope("stock.adjusted", adjusted), 1), (envelope("stock.adjusted", adjusted), last)],
    )
    pending = await rig.redis.xpending_range(stream, rig.settings.streams.group, "-", "+", 10)
    assert [p["message_id"].decode() for p in pending] == [entries[0].entry_id]
    [result] = await rig.results()
    assert (result["data"]["entry_id"], result["data"]["reason_code"]) == (
        entries[1].entry_id,
        "retries_exhausted",
    )


async def test_a_far_future_stock_level_never_blocks_later_ones(rig: Rig) -> None:
    """Year 9999 is refused; the next honest level is applied, not skipped as older."""
    web = next(
        w.warehouseid for w in rig.sandbox.catalog.warehouses.values() if w.externalid == "WH-WEB"
    )
    items = [{"sku": "SKU-0007", "quantity": "99"}]
    future = envelope("stock.set", {"warehouse_externalid": "WH-WEB", "items": items})
    future["occurred_at"] = "9999-12-31T23:59:59Z"
    honest = envelope(
        "stock.set",
        {"warehouse_externalid": "WH-WEB", "items": [{"sku": "SKU-0007", "quantity": "5"}]},
    )
    honest["occurred_at"] = (datetime.now(UTC) - timedelta(seconds=1)).isoformat()
    for document in (future, honest):
        await stock_batch(rig, [(document, 1)])
    refused, applied = await rig.results()
    assert refused["data"]["reason_code"] == "invalid"
    assert "in the future" in refused["data"]["reason"]
    assert applied["type"] == "stock.set.succeeded"
    assert applied["data"]["sitoo"].get("skipped_older", []) == []
    [level] = rig.sandbox.stock_state(warehouseid=web, sku="SKU-0007")
    assert Decimal(str(level["decimaltotal"])) == Decimal(5)
