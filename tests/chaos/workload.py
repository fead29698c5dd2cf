"""The mixed load of a chaos run: orders, gift cards, stock and hostile entries, in a fixed plan.

The plan is deterministic for a seed. It remembers what every good event should do, so
the verdict can compare the sandbox's ledger against intent rather than against itself.
"""

from __future__ import annotations

import hashlib
import json
import random
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from tests.chaos.hostile import GIFTCARDS, ORDERS, REQUESTS, STOCK, HostileEntry, hostile_corpus

FIFO_WAREHOUSES = (1, 2, 3)
VIRTUAL_WAREHOUSE = 4
VIRTUAL_WAREHOUSE_EXTERNALID = "WH-WEB"
STORES = ("STORE-1", "STORE-2", "STORE-3")
SKU_COUNT = 100
CARD_LOAD = Decimal("1000.00")
CARD_PIN = "4711"
WRONG_CURRENCY_SHARE = 0.1  # redemptions sent in EUR against the SEK cards


def sku(index: int) -> str:
    """A demo-seed SKU (SKU-0001 ... SKU-0100)."""
    return f"SKU-{index:04d}"


@dataclass(frozen=True, slots=True)
class Size:
    """How much of each kind one run sends."""

    name: str
    orders: int
    cancel_share: float
    cards: int
    redeems_per_card: int
    refunds: int
    loads: int
    balances: int
    adjustments: int
    levels: int
    hostile_rounds: int
    pos_sales: int
    store_redeems: int
    stock_counts: int


SIZES = {
    "ci": Size("ci", 24, 0.3, 4, 5, 4, 2, 3, 60, 16, 1, 3, 3, 2),
    "full": Size("full", 300, 0.25, 30, 8, 40, 20, 30, 1500, 200, 3, 30, 30, 15),
}


@dataclass(frozen=True, slots=True)
class Send:
    """One stream entry to write, good or hostile."""

    channel: str
    fields: dict[str, bytes]
    event_id: str | None
    event_type: str
    hostile: str | None = None
    reply_to: str | None = None


@dataclass
class Plan:
    """What to send, in two phases, and what each good event means."""

    run_id: str
    setup: list[Send] = field(default_factory=list)  # gift cards must exist before use
    main: list[Send] = field(default_factory=list)
    orders: dict[str, dict[str, Any]] = field(default_factory=dict)  # order_id -> facts
    cancels: dict[str, str] = field(default_factory=dict)  # cancel event id -> order_id
    cards: dict[str, Decimal] = field(default_factory=dict)  # card number -> initial load
    card_pins: dict[str, str | None] = field(default_factory=dict)
    issues: dict[str, str] = field(default_factory=dict)  # issue event id -> card
    redeems: dict[str, dict[str, Any]] = field(default_factory=dict)
    refunds: dict[str, dict[str, Any]] = field(default_factory=dict)
    adjustments: dict[str, dict[str, Any]] = field(default_factory=dict)
    levels: dict[str, dict[str, Any]] = field(default_factory=dict)
    requests: dict[str, str] = field(default_factory=dict)  # request event id -> reply list

    @property
    def good(self) -> list[Send]:
        """Every good entry, both phases."""
        return [s for s in (*self.setup, *self.main) if s.hostile is None]

    @property
    def hostile(self) -> list[Send]:
        """Every hostile entry."""
        return [s for s in self.main if s.hostile is not None]


def _envelope(event_id: str, event_type: str, data: dict[str, Any], at: datetime) -> bytes:
    return json.dumps(
        {
            "event_id": event_id,
            "type": event_type,
            "schema_version": 1,
            "occurred_at": at.isoformat().replace("+00:00", "Z"),
            "source": "webshop",
            "correlation_id": f"chaos-{event_id}",
            "data": data,
        }
    ).encode()


def _money(value: Decimal) -> str:
    return f"{value.quantize(Decimal('0.01')):f}"


class _Builder:
    def __init__(self, size: Size, seed: int, run_id: str, key_prefix: str) -> None:
        self.size = size
        self.rng = random.Random(seed)
        self.run_id = run_id
        self.key_prefix = key_prefix
        self.plan = Plan(run_id)
        self.now = datetime.now(UTC)
        self.serial = 0

    def event_id(self, kind: str) -> str:
        self.serial += 1
        return f"{self.run_id}-{kind}-{self.serial}"

    def send(
        self,
        channel: str,
        event_type: str,
        data: dict[str, Any],
        *,
        event_id: str,
        at: datetime | None = None,
        reply_to: str | None = None,
    ) -> Send:
        fields = {"event": _envelope(event_id, event_type, data, at or self.now)}
        if reply_to is not None:
            fields["reply_to"] = reply_to.encode()
            self.plan.requests[event_id] = reply_to
        return Send(channel, fields, event_id, event_type, reply_to=reply_to)

    # orders ------------------------------------------------------------------------------

    def order(self, number: int) -> tuple[list[Send], str]:
        rng = self.rng
        order_id = f"{self.run_id}-o{number}"
        lines: list[dict[str, Any]] = []
        for index in rng.sample(range(1, SKU_COUNT + 1), rng.randint(1, 3)):
            price = Decimal(rng.randint(50, 900))
            lines.append(
                {
                    "sku": sku(index),
                    "name": f"Product {index}",
                    "quantity": rng.randint(1, 2),
                    "unit_price": _money(price),
                    "vat_rate": "25",
                }
            )
        total = sum((Decimal(ln["unit_price"]) * ln["quantity"] for ln in lines), Decimal(0))
        pickup = rng.random() < 0.5
        data: dict[str, Any] = {
            "order_id": order_id,
            "currency": "SEK",
            "customer": {"email": f"{order_id}@example.com", "first_name": "Chaos"},
            "lines": lines,
        }
        store = rng.choice(STORES)
        if pickup:
            data["fulfilment"] = {"kind": "pickup", "store_externalid": store}
        else:
            data["fulfilment"] = {
                "kind": "delivery",
                "address": {
                    "name": "Chaos Customer",
                    "street": "Storgatan 1",
                    "postal_code": "11122",
                    "city": "Stockholm",
                    "country": "SE",
                },
            }
            data["shipping"] = {"price": "49.00", "vat_rate": "25"}
            total += Decimal("49.00")
        data["payments"] = [
            {"method": "Card", "amount": _money(total), "state": "captured", "reference": order_id}
        ]
        data["total"] = _money(total)
        placed = self.send(ORDERS, "order.placed", data, event_id=self.event_id("place"))
        cancelled = rng.random() < self.size.cancel_share
        self.plan.orders[order_id] = {
            "placed_event": placed.event_id,
            "pickup": pickup,
            "store": store if pickup else None,
            "cancelled": cancelled,
        }
        sends = [placed]
        if cancelled:
            cancel = self.send(
                ORDERS,
                "order.cancelled",
                {"order_id": order_id, "reason": "changed my mind"},
                event_id=self.event_id("cancel"),
            )
            assert cancel.event_id is not None
            self.plan.cancels[cancel.event_id] = order_id
            # Some cancels overtake their placement: sent first.
            sends = [cancel, placed] if rng.random() < 0.3 else [placed, cancel]
        return sends, order_id

    # gift cards --------------------------------------------------------------------------

    def card_number(self, number: int) -> str:
        digest = hashlib.blake2b(f"{self.run_id}:{number}".encode(), digest_size=8).digest()
        return f"77{number:06d}{int.from_bytes(digest, 'big') % 10**12:012d}"

    def issue(self, number: int) -> Send:
        card = self.card_number(number)
        pin = CARD_PIN if number % 2 else None
        self.plan.cards[card] = CARD_LOAD
        self.plan.card_pins[card] = pin
        data: dict[str, Any] = {
            "card_number": card,
            "amount": _money(CARD_LOAD),
            "currency": "SEK",
            "pin": pin,
        }
        issued = self.send(GIFTCARDS, "giftcard.issued", data, event_id=self.event_id("issue"))
        assert issued.event_id is not None
        self.plan.issues[issued.event_id] = card
        return issued

    def redeem(self, card: str, order_id: str | None, *, request: bool) -> Send:
        amount = Decimal(self.rng.randint(40, 260))
        # Sitoo does not check a card's currency: the service must refuse (or undo) these.
        currency = "EUR" if self.rng.random() < WRONG_CURRENCY_SHARE else "SEK"
        event_id = self.event_id("redeem")
        data = {
            "card_number": card,
            "amount": _money(amount),
            "currency": currency,
            "pin": self.plan.card_pins[card],
            "order_id": order_id,
        }
        self.plan.redeems[event_id] = {
            "card": card,
            "amount": amount,
            "order_id": order_id,
            "currency": currency,
        }
        if request:
            return self.send(
                REQUESTS,
                "giftcard.redeem",
                data,
                event_id=event_id,
                reply_to=f"chaos-reply:{self.key_prefix}:{event_id}",
            )
        return self.send(GIFTCARDS, "giftcard.redeem", data, event_id=event_id)

    def refund_of(self, redeem_id: str) -> Send:
        card = self.plan.redeems[redeem_id]["card"]
        event_id = self.event_id("refund")
        self.plan.refunds[event_id] = {"card": card, "redemption": redeem_id, "amount": None}
        data = {"card_number": card, "currency": "SEK", "redemption_event_id": redeem_id}
        return self.send(GIFTCARDS, "giftcard.refund", data, event_id=event_id)

    def load(self, card: str) -> Send:
        amount = Decimal(self.rng.randint(10, 100))
        event_id = self.event_id("load")
        self.plan.refunds[event_id] = {"card": card, "redemption": None, "amount": amount}
        data = {"card_number": card, "currency": "SEK", "amount": _money(amount)}
        return self.send(GIFTCARDS, "giftcard.refund", data, event_id=event_id)

    def balance(self, card: str) -> Send:
        event_id = self.event_id("balance")
        data = {"card_number": card, "pin": self.plan.card_pins[card], "currency": "SEK"}
        return self.send(
            REQUESTS,
            "giftcard.balance",
            data,
            event_id=event_id,
            reply_to=f"chaos-reply:{self.key_prefix}:{event_id}",
        )

    # stock -------------------------------------------------------------------------------

    def adjustment(self) -> Send:
        rng = self.rng
        warehouse = rng.choice(FIFO_WAREHOUSES)
        sign = rng.choice((1, -1))
        items = [
            {"sku": sku(index), "delta": str(sign * rng.randint(1, 5))}
            for index in rng.sample(range(1, SKU_COUNT + 1), rng.randint(1, 3))
        ]
        event_id = self.event_id("adjust")
        self.plan.adjustments[event_id] = {"warehouse": warehouse, "items": items}
        data = {"warehouse_id": warehouse, "items": items, "reason": "chaos"}
        return self.send(STOCK, "stock.adjusted", data, event_id=event_id)

    def level(self) -> Send:
        rng = self.rng
        # Out of order on purpose: occurred_at is random within an hour of the run start.
        at = self.now - timedelta(seconds=rng.randint(0, 3600), milliseconds=rng.randint(0, 999))
        items = [
            {"sku": sku(index), "quantity": str(rng.randint(0, 50))}
            for index in rng.sample(range(1, 21), rng.randint(1, 4))
        ]
        event_id = self.event_id("level")
        self.plan.levels[event_id] = {"at": at, "items": items}
        data = {"warehouse_externalid": VIRTUAL_WAREHOUSE_EXTERNALID, "items": items}
        return self.send(STOCK, "stock.set", data, event_id=event_id, at=at)

    # the whole plan ----------------------------------------------------------------------

    def build(self) -> Plan:
        size, rng, plan = self.size, self.rng, self.plan
        plan.setup = [self.issue(n) for n in range(size.cards)]
        chunks: list[list[Send]] = []
        order_ids: list[str] = []
        for number in range(size.orders):
            sends, order_id = self.order(number)
            chunks.append(sends)
            order_ids.append(order_id)
        cancelled = [o for o in order_ids if plan.orders[o]["cancelled"]]
        redeem_ids: list[str] = []
        for card in plan.cards:
            burst: list[Send] = []
            for _ in range(size.redeems_per_card):
                # A third of the redemptions pay for an order, some of which get cancelled.
                paid_for = rng.choice(cancelled or order_ids) if rng.random() < 0.3 else None
                burst.append(self.redeem(card, paid_for, request=rng.random() < 0.5))
                redeem_ids.extend(s.event_id for s in burst[-1:] if s.event_id)
                if len(burst) == 3:
                    chunks.append(burst)
                    burst = []
            if burst:
                chunks.append(burst)
        refunded = rng.sample(redeem_ids, min(size.refunds, len(redeem_ids)))
        chunks.extend([self.refund_of(redeem_id)] for redeem_id in refunded)
        cards = list(plan.cards)
        chunks.extend([self.load(rng.choice(cards))] for _ in range(size.loads))
        chunks.extend([self.balance(rng.choice(cards))] for _ in range(size.balances))
        chunks.extend([self.adjustment()] for _ in range(size.adjustments))
        chunks.extend([self.level()] for _ in range(size.levels))
        rng.shuffle(chunks)
        hostile = [
            _hostile_send(entry)
            for round_no in range(size.hostile_rounds)
            for entry in hostile_corpus(self.run_id, round_no, self.key_prefix)
        ]
        # Interleave the hostile entries evenly among the good ones.
        main = [s for chunk in chunks for s in chunk]
        step = max(1, len(main) // max(1, len(hostile)))
        for offset, bad in enumerate(hostile):
            main.insert(min(len(main), (offset + 1) * step + offset), bad)
        plan.main = main
        return plan


def _hostile_send(entry: HostileEntry) -> Send:
    return Send(
        entry.channel, entry.fields, None, "hostile", hostile=entry.label, reply_to=entry.reply_to
    )


def build_plan(size: Size, *, seed: int, run_id: str, key_prefix: str) -> Plan:
    """The deterministic plan of one run."""
    return _Builder(size, seed, run_id, key_prefix).build()
