"""Every documented outbound event, with what makes the service publish it on the demo seed.

The outbound models take their schema examples from here; docs/outbound-events.md and
the AsyncAPI document show them with their scenario; a test plays each scenario against
the demo seed (inbound examples sent, store staff acting through the sandbox's admin
API) and compares what the service publishes with the example, field by field, except
the fields listed as ``varying`` (ids and times that differ from one run to the next).
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

from pydantic import JsonValue

StoreActionName = Literal["pos-sale", "ready-for-pickup", "reject-pickup", "picked-up", "redeem"]
_ADMIN_PATH = {
    "pos-sale": "/_sandbox/actions/pos-sale",
    "ready-for-pickup": "/_sandbox/actions/ready-for-pickup",
    "reject-pickup": "/_sandbox/actions/reject-pickup",
    "picked-up": "/_sandbox/actions/picked-up",
    "redeem": "/_sandbox/actions/redeem-giftcard",
}


@dataclass(frozen=True, slots=True)
class StoreAction:
    """What store staff do in Sitoo POS, played through the sandbox's admin API.

    ``order_externalid`` names the order an order action works on; its Sitoo id is looked
    up when the action is played and added to ``body`` as ``orderid``.
    """

    action: StoreActionName
    text: str
    body: Mapping[str, JsonValue]
    order_externalid: str | None = None

    @property
    def admin_path(self) -> str:
        """Where the sandbox's admin API takes this action."""
        return _ADMIN_PATH[self.action]

    def describe(self) -> str:
        """The step in prose, with the admin call that plays it in the sandbox."""
        return f"{self.text} (`POST {self.admin_path}`)"


Step = str | StoreAction
"""The name of an inbound example to send, or something store staff do."""


@dataclass(frozen=True, slots=True)
class OutboundExample:
    """One outbound event and the steps after which the service publishes it."""

    name: str
    event_type: str
    steps: tuple[Step, ...]
    data: Mapping[str, JsonValue]
    varying: frozenset[str]

    def payload(self) -> dict[str, JsonValue]:
        """A copy of the event's ``data``."""
        return copy.deepcopy(dict(self.data))

    def scenario_text(self) -> str:
        """The steps and the varying fields, as one paragraph of Markdown."""
        steps = [
            f"send example `{step}`" if isinstance(step, str) else step.describe()
            for step in self.steps
        ]
        varying = ", ".join(f"`{name}`" for name in sorted(self.varying))
        return (
            f"**Published** on the demo seed after these steps: {'; then '.join(steps)}. "
            f"Each run differs only in {varying}."
        )


_SALE = StoreAction(
    "pos-sale",
    "a till in store STORE-1 sells two units of SKU-0001 on receipt R-1-000231",
    {"storeid": 1, "lines": [{"sku": "SKU-0001", "quantity": 2}], "receipt_id": "R-1-000231"},
)
_READY = StoreAction(
    "ready-for-pickup",
    "the store marks order 100234 ready for pickup",
    {},
    order_externalid="100234",
)


def _card_sale(receipt: str, sku: str, amount: str) -> StoreAction:
    """A till sale in STORE-1 paid partly with the card sold online (card 8720, PIN 4711)."""
    return StoreAction(
        "pos-sale",
        f"a till in store STORE-1 sells one {sku} on receipt {receipt}, {amount} of it paid "
        "with card 95000000000000008720",
        {
            "storeid": 1,
            "lines": [{"sku": sku, "quantity": 1}],
            "receipt_id": receipt,
            "giftcard": "95000000000000008720",
            "giftcard_amount": amount,
            "pin": "4711",
        },
    )


_PICKUP: dict[str, JsonValue] = {
    "order_id": 1001,
    "externalid": "100234",
    "webshop_order_id": "100234",
    "warehouse_id": 1,
    "at": "2026-03-01T14:05:00Z",
}
_PICKUP_VARYING = frozenset({"order_id", "at"})

_CATALOGUE = (
    OutboundExample(
        name="stock-changed",
        event_type="stock.changed",
        steps=(_SALE,),
        data={
            "sku": "SKU-0001",
            "warehouse_id": 1,
            "store_id": 1,
            "store_externalid": "STORE-1",
            "total": "10.000",
            "reserved": "0.000",
            "available": "10.000",
            "version": 2,
            "modified_at": "2026-03-01T11:59:58Z",
            "at": "2026-03-01T12:00:03Z",
        },
        varying=frozenset({"version", "modified_at", "at"}),
    ),
    OutboundExample(
        name="order-recorded",
        event_type="order.recorded",
        steps=(_SALE,),
        data={
            "order_id": 1001,
            "externalid": None,
            "kind": "sale",
            "order_type_id": 10,
            "state": "closed",
            "warehouse_id": 1,
            "store_externalid": "STORE-1",
            "receipt_id": "R-1-000231",
            "currency": "SEK",
            "total": "274.00",
            "ordered_at": "2026-03-01T11:42:10Z",
            "lines": [
                {
                    "line_id": 0,
                    "sku": "SKU-0001",
                    "name": "Product 0001",
                    "quantity": 2,
                    "row_price": "274.00",
                    "row_discount": "0.00",
                    "vat_rate": "25",
                    "giftcard_cardnumber": None,
                }
            ],
            "payments": [{"name": "Card", "amount": "274.00", "giftcard_cardnumber": None}],
        },
        varying=frozenset({"order_id", "ordered_at"}),
    ),
    OutboundExample(
        name="order-pickup-ready",
        event_type="order.pickup_ready",
        steps=("order-placed", _READY),
        data=_PICKUP,
        varying=_PICKUP_VARYING,
    ),
    OutboundExample(
        name="order-pickup-rejected",
        event_type="order.pickup_rejected",
        steps=(
            "order-placed",
            StoreAction(
                "reject-pickup",
                "the store rejects the pickup of order 100234: item damaged",
                {"reason": "Item damaged"},
                order_externalid="100234",
            ),
        ),
        data={**_PICKUP, "reason": "Item damaged"},
        varying=_PICKUP_VARYING,
    ),
    OutboundExample(
        name="order-picked-up",
        event_type="order.picked_up",
        steps=(
            "order-placed",
            _READY,
            StoreAction(
                "picked-up",
                "the customer collects order 100234",
                {},
                order_externalid="100234",
            ),
        ),
        data=_PICKUP,
        varying=_PICKUP_VARYING,
    ),
    OutboundExample(
        name="order-cancelled-in-sitoo",
        event_type="order.cancelled",
        steps=("order-placed", "order-cancelled"),
        data=_PICKUP,
        varying=_PICKUP_VARYING,
    ),
    OutboundExample(
        name="giftcard-balance-changed",
        event_type="giftcard.balance_changed",
        steps=(
            "giftcard-issued",
            _card_sale("R-1-000231", "SKU-0003", "100.00"),
            _card_sale("R-1-000232", "SKU-0004", "199.00"),
        ),
        data={
            "cardnumber": "95000000000000008720",
            "balance": "201.00",
            "previous_balance": "400.00",
            "currency": "SEK",
            "redeemable": True,
            "last_transaction": {
                "transaction_id": "3002",
                "amount": "-199.00",
                "transaction_reference": "R-1-000232",
                "merchant_reference": "STORE-1",
                "at": "2026-03-01T11:42:10Z",
            },
            "at": "2026-03-01T11:45:00Z",
        },
        varying=frozenset({"at", "last_transaction.transaction_id", "last_transaction.at"}),
    ),
)

OUTBOUND_EXAMPLES: Mapping[str, OutboundExample] = {e.name: e for e in _CATALOGUE}


def outbound_example(event_type: str) -> OutboundExample:
    """The example of an outbound event type."""
    return next(e for e in _CATALOGUE if e.event_type == event_type)


def outbound_schema_examples(event_type: str) -> list[JsonValue]:
    """``json_schema_extra`` examples of an outbound payload model."""
    return [outbound_example(event_type).payload()]
