"""Ack, retry-later and dead-letter decisions, with the real client and sandbox in-process."""

from __future__ import annotations

import dataclasses
import json

import pytest
from faststream.redis import RedisBroker

from service.brokers.redis.wiring import register_consumers
from service.contracts.registry import Channel
from service.inbox.delivery import LOOK_UP_RUNS
from service.inbox.subscribing import ConsumerRuntime
from service.sandbox import FaultConfig
from tests.component.consumers.conftest import Rig, envelope

CARD = "95000000000000000001"
PIN_CARD = "95000000000000000002"
EXPIRED_CARD = "95000000000000000003"
BLOCKED_CARD = "95000000000000000004"


@pytest.mark.parametrize(
    ("card", "extra", "code"),
    [
        (CARD, {"amount": "100000.00"}, "insufficient_funds"),
        (PIN_CARD, {"pin": "0000"}, "wrong_pin"),
        (PIN_CARD, {}, "wrong_pin"),
        (EXPIRED_CARD, {}, "expired"),
        (BLOCKED_CARD, {}, "not_redeemable"),
        ("11112222333344445555", {}, "unknown_card"),
    ],
)
async def test_sandbox_refusals_become_declines(
    rig: Rig, card: str, extra: dict[str, str], code: str
) -> None:
    """Each way the sandbox refuses a card is a decline with its code, acked, not parked."""
    data = {"card_number": card, "amount": "1.00", "currency": "SEK", **extra}
    entry = await rig.deliver(
        Channel.GIFTCARD_REQUESTS, envelope("giftcard.redeem", data), reply_to="checkout:1"
    )
    reply = json.loads(await rig.redis.lpop("checkout:1") or b"{}")
    assert (reply["status"], reply["reason_code"]) == ("declined", code)
    [result] = await rig.results()
    assert result["data"]["reason_code"] == code
    assert result["data"]["dead_lettered"] is False
    assert await rig.pending(entry.stream) == 0
    assert rig.sandbox.ledger_entries(kind="giftcard.transaction") == []


async def test_approved_redeem_costs_one_sitoo_request(rig: Rig) -> None:
    """The checkout waits for one Sitoo round trip only: the write itself."""
    data = {"card_number": CARD, "amount": "10.00", "currency": "SEK"}
    await rig.deliver(
        Channel.GIFTCARD_REQUESTS, envelope("giftcard.redeem", data), reply_to="checkout:2"
    )
    reply = json.loads(await rig.redis.lpop("checkout:2") or b"{}")
    assert (reply["status"], reply["balance"]) == ("approved", "490.00")
    assert rig.sandbox.counters.total == 1


async def test_transient_failure_stays_pending_until_the_last_delivery(rig: Rig) -> None:
    """Sitoo down: no ack and no result on early deliveries; parked on the last one."""
    rig.sandbox.set_faults(FaultConfig(error_before_rate=1.0, error_before_statuses=[503]))
    document = envelope("giftcard.balance", {"card_number": CARD})
    first = await rig.deliver(Channel.GIFTCARDS, document, deliveries=1)
    assert await rig.pending(first.stream) == 1
    assert await rig.results() == []
    # Runs count, not deliveries: the second run is not the last, however it is numbered.
    await rig.handler.handle(dataclasses.replace(first, deliveries=9))
    assert await rig.pending(first.stream) == 1
    assert await rig.results() == []
    await rig.handler.handle(dataclasses.replace(first, deliveries=10))
    assert await rig.pending(first.stream) == 0
    [result] = await rig.results()
    assert result["data"]["reason_code"] == "retries_exhausted"
    parked = await rig.redis.xrange(first.stream + ".dlq")
    assert parked[0][1][b"entry_id"] == first.entry_id.encode()


async def test_deliveries_that_found_the_event_busy_do_not_count(rig: Rig) -> None:
    """An entry delivered often while another delivery held its event still runs."""
    document = envelope("giftcard.balance", {"card_number": CARD})
    entry = await rig.deliver(Channel.GIFTCARDS, document, deliveries=13)
    [result] = await rig.results()
    assert result["type"] == "giftcard.balance.succeeded"
    assert await rig.pending(entry.stream) == 0


async def _runs_so_far(rig: Rig, event_id: str, runs: int) -> None:
    """Record ``runs`` earlier runs of the event that all died without a result."""
    key = f"{rig.settings.redis.key_prefix}:settled:{event_id}"
    await rig.redis.hset(key, "runs", runs)


async def test_an_event_whose_runs_all_died_is_looked_up_not_written(rig: Rig) -> None:
    """Past max deliveries runs, a redeem not found in Sitoo is parked, never made."""
    data = {"card_number": CARD, "amount": "10.00", "currency": "SEK"}
    document = envelope("giftcard.redeem", data)
    await _runs_so_far(rig, document["event_id"], rig.settings.streams.max_deliveries)
    entry = await rig.deliver(Channel.GIFTCARDS, document, deliveries=40)
    assert rig.sandbox.ledger_entries(kind="giftcard.transaction") == []
    [result] = await rig.results()
    assert result["data"]["reason_code"] == "retries_exhausted"
    assert "WriteWithheld" in result["data"]["reason"]
    assert await rig.pending(entry.stream) == 0


async def test_an_event_whose_look_ups_died_too_is_parked_without_running(rig: Rig) -> None:
    """When the look-up-only runs died as well, the event is parked before any Sitoo call."""
    document = envelope("giftcard.balance", {"card_number": CARD})
    runs = rig.settings.streams.max_deliveries + LOOK_UP_RUNS
    await _runs_so_far(rig, document["event_id"], runs)
    entry = await rig.deliver(Channel.GIFTCARDS, document, deliveries=40)
    assert rig.sandbox.counters.total == 0
    [result] = await rig.results()
    assert result["data"]["reason_code"] == "retries_exhausted"
    assert "look them up before replaying" in result["data"]["reason"]
    assert await rig.pending(entry.stream) == 0


async def test_reply_to_inside_the_service_keys_is_refused(rig: Rig) -> None:
    """A request may not make the service write into its own keys."""
    document = envelope("giftcard.balance", {"card_number": CARD})
    own_key = f"{rig.settings.redis.key_prefix}:idem:anything"
    await rig.deliver(Channel.GIFTCARD_REQUESTS, document, reply_to=own_key)
    [result] = await rig.results()
    assert "reply_to" in result["data"]["reason"]
    assert not await rig.redis.exists(own_key)


async def test_dead_letter_and_result_are_written_once_per_entry(rig: Rig) -> None:
    """Handling the same broken entry twice (crash before the ack) parks and reports once."""
    entry = await rig.deliver(Channel.ORDERS, b"{broken")
    await rig.handler.handle(entry)
    assert len(await rig.results()) == 1
    assert await rig.redis.xlen(entry.stream + ".dlq") == 1


def test_each_stream_has_a_reader_and_a_hidden_reclaimer(rig: Rig) -> None:
    """A reader (two for stock, read in batches) and a reclaimer per inbound stream."""
    broker = RedisBroker("redis://127.0.0.1:1")  # never connected
    register_consumers(broker, rig.settings, ConsumerRuntime())
    streams = [s.config.stream_sub for s in broker.subscribers]  # type: ignore[attr-defined]
    reclaim = rig.settings.streams.reclaim_idle_ms
    assert sorted((s.name, s.min_idle_time or 0) for s in streams) == sorted(
        [
            (name, idle)
            for name in (
                rig.settings.streams.orders,
                rig.settings.streams.giftcards,
                rig.settings.streams.giftcard_requests,
                rig.settings.streams.stock,
            )
            for idle in (0, reclaim)
        ]
        + [(rig.settings.streams.stock, 0)]
    )
    assert all(s.group == "sitoo-sync" for s in streams)
    stock = [s for s in streams if s.name == rig.settings.streams.stock]
    assert all(s.batch for s in stock)


async def test_a_delivery_seen_before_looks_up_a_write_whose_records_were_lost(rig: Rig) -> None:
    """A failover lost every record of a redeem; the stream still knew the entry: no repeat."""
    data = {"card_number": CARD, "amount": "10.00", "currency": "SEK"}
    document = envelope("giftcard.redeem", data)
    entry = await rig.deliver(Channel.GIFTCARDS, document)
    assert len(rig.sandbox.ledger_entries(kind="giftcard.transaction")) == 1
    # What a promoted replica that lagged behind would lack: the claim, its result, the
    # event's record, the use case's own note and the result event.
    pattern = f"{rig.settings.redis.key_prefix}:*{document['event_id']}*"
    lost = [key async for key in rig.redis.scan_iter(match=pattern)]
    assert len(lost) >= 2
    await rig.redis.delete(*lost, rig.settings.streams.results)
    await rig.handler.handle(dataclasses.replace(entry, deliveries=2))
    assert len(rig.sandbox.ledger_entries(kind="giftcard.transaction")) == 1
    [result] = await rig.results()
    assert result["type"] == "giftcard.redeem.succeeded"
    assert result["data"]["sitoo"]["balance"] == "490.00"
