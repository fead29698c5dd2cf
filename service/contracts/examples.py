"""Every documented inbound example, with the result it gives against the demo seed.

The one source of the examples: the contract models take their schema examples from
here, and the event reference, the producer page, the AsyncAPI document, the tests that
run every example and ``sitoo-sync send`` all read this module, so none of them can
disagree about what an example sends or what it does.

Each example's result is stated for the built-in sandbox's ``demo`` seed (see
``service/sandbox/seed.py``) with the examples named in ``after`` sent before it. Apart
from those, no two examples touch the same order, card or stock level, so they can be
sent in any order and each still gives its stated result.

To send one (as a webshop would): ``example = EXAMPLES[name]``, then XADD
``example.fields(occurred_at)`` to ``example.stream(settings.streams)``; a request's
reply comes back on ``example.reply_to``; ``example.result_text()`` is what to expect.
"""

from __future__ import annotations

from collections.abc import Mapping

from pydantic import JsonValue

from service.contracts.example_model import (
    EXAMPLE_TIME,
    REDIS_CLI,
    CardBalance,
    Example,
    Expected,
    OrderInSitoo,
    StockTotal,
)

__all__ = ["EXAMPLES", "EXAMPLE_TIME", "REDIS_CLI", "Example", "in_order", "primary"]

_ORDER: dict[str, JsonValue] = {
    "order_id": "100234",
    "currency": "SEK",
    "customer": {"email": "anna@example.com", "first_name": "Anna"},
    "fulfilment": {"kind": "pickup", "store_externalid": "STORE-1"},
    "lines": [
        {
            "sku": "SKU-0001",
            "name": "T-shirt",
            "quantity": 2,
            "unit_price": "249.00",
            "discount": "50.00",
            "vat_rate": "25",
        }
    ],
    "order_discount": "0.00",
    "shipping": None,
    "payments": [
        {"method": "Card", "amount": "448.00", "state": "captured", "reference": "psp-8812"}
    ],
    "total": "448.00",
}
_ISSUED_CARD = "95000000000000008720"  # sold online by giftcard-issued
_DEMO_CARD = "95000000000000000001"  # demo seed: 500.00 SEK, no PIN
_DEMO_PIN_CARD = "95000000000000000002"  # demo seed: 300.00 SEK, PIN 1234
_EXPIRED_CARD = "95000000000000000003"  # demo seed: 200.00 SEK, expired
_PIN_CARD_BALANCE: dict[str, JsonValue] = {
    "card_number": _DEMO_PIN_CARD,
    "balance": "300.00",
    "currency": "SEK",
    "redeemable": True,
}
_ISSUED_CARD_REDEEMED: dict[str, JsonValue] = {
    "card_number": _ISSUED_CARD,
    "balance": "301.00",
    "currency": "SEK",
    "amount": "199.00",
}


def _approved(
    request_event_id: str, event_type: str, sitoo: dict[str, JsonValue]
) -> dict[str, JsonValue]:
    """The reply to a request that succeeded: the card's fields of its result."""
    card = {name: sitoo[name] for name in ("card_number", "balance", "currency")}
    return {
        "request_event_id": request_event_id,
        "type": event_type,
        "status": "approved",
        "reason_code": None,
        "reason": None,
        **card,
    }


_TRANSACTION_IDS: list[JsonValue] = ["3002", "7c0b5d1f9e2a48c3b6d7e8f9a0b1c2d3e4f5a6b7"]

_CATALOGUE = (
    Example(
        name="order-placed",
        summary="A click-and-collect order to pick up in store STORE-1.",
        event_type="order.placed",
        channel="orders",
        event_id="shop-order-placed-1",
        data=_ORDER,
        expected=Expected(
            status="succeeded",
            sitoo={"externalid": "100234", "warehouseid": 1},
            varying={"orderid": 1001},
            effects=(OrderInSitoo("100234", "WH-STORE-1", "open", {"SKU-0001": "2.000"}),),
        ),
    ),
    Example(
        name="order-refunded",
        summary="The webshop gives back one of the two T-shirts of order 100234.",
        event_type="order.refunded",
        channel="orders",
        event_id="shop-order-refunded-1",
        data={
            "order_id": "100234",
            "refund_id": "R-5521-1",
            "currency": "SEK",
            "amount": "224.00",
            "lines": [{"sku": "SKU-0001", "quantity": 1, "restock_warehouse_id": None}],
            "complete": False,
            "note": "one size too small",
        },
        after=("order-placed",),
        expected=Expected(
            status="succeeded",
            sitoo={
                "externalid": "100234",
                "cancelled_orderids": [],
                "restocked_transaction_ids": [],
                "rolled_back_redemptions": [],
            },
            varying={"recorded_on_orderids": [1001]},
        ),
    ),
    Example(
        name="order-cancelled",
        summary="The webshop cancels order 100234.",
        event_type="order.cancelled",
        channel="orders",
        event_id="shop-order-cancelled-1",
        data={"order_id": "100234", "reason": "customer request"},
        after=("order-placed",),
        expected=Expected(
            status="succeeded",
            sitoo={"externalid": "100234", "order_found": True, "rolled_back_redemptions": []},
            varying={"cancelled_orderids": [1001]},
            effects=(OrderInSitoo("100234", "WH-STORE-1", "cancelled", {"SKU-0001": "0.000"}),),
        ),
    ),
    Example(
        name="giftcard-issued",
        summary="A gift card sold online, with its number and PIN chosen by the webshop.",
        event_type="giftcard.issued",
        channel="giftcards",
        event_id="shop-giftcard-issued-1",
        data={
            "card_number": _ISSUED_CARD,
            "amount": "500.00",
            "currency": "SEK",
            "kind": "giftcard",
            "pin": "4711",
            "order_id": "100235",
        },
        expected=Expected(
            status="succeeded",
            sitoo={"card_number": _ISSUED_CARD, "balance": "500.00", "currency": "SEK"},
            varying={"transaction_ids": _TRANSACTION_IDS},
            effects=(CardBalance(_ISSUED_CARD, "500.00"),),
        ),
    ),
    Example(
        name="giftcard-redeem",
        summary="199.00 taken off demo card …0001 for web order 100236.",
        event_type="giftcard.redeem",
        channel="giftcards",
        event_id="shop-giftcard-redeem-1",
        data={
            "card_number": _DEMO_CARD,
            "amount": "199.00",
            "currency": "SEK",
            "pin": None,
            "order_id": "100236",
        },
        expected=Expected(
            status="succeeded",
            sitoo={
                "card_number": _DEMO_CARD,
                "balance": "301.00",
                "currency": "SEK",
                "amount": "199.00",
            },
            varying={"transaction_ids": _TRANSACTION_IDS},
            effects=(CardBalance(_DEMO_CARD, "301.00"),),
        ),
    ),
    Example(
        name="giftcard-refund",
        summary="The redemption shop-giftcard-redeem-1 is rolled back.",
        event_type="giftcard.refund",
        channel="giftcards",
        event_id="shop-giftcard-refund-1",
        data={
            "card_number": _DEMO_CARD,
            "currency": "SEK",
            "redemption_event_id": "shop-giftcard-redeem-1",
            "amount": None,
            "order_id": "100236",
        },
        after=("giftcard-redeem",),
        expected=Expected(
            status="succeeded",
            sitoo={
                "card_number": _DEMO_CARD,
                "voided": "shop-giftcard-redeem-1",
                "rolled_back": True,
            },
            varying={"transaction_ids": _TRANSACTION_IDS},
            effects=(CardBalance(_DEMO_CARD, "500.00"),),
        ),
    ),
    Example(
        name="giftcard-balance",
        summary="The balance of demo card …0002, which has a PIN.",
        event_type="giftcard.balance",
        channel="giftcards",
        event_id="shop-giftcard-balance-1",
        data={"card_number": _DEMO_PIN_CARD, "pin": "1234", "currency": "SEK"},
        expected=Expected(
            status="succeeded",
            sitoo=_PIN_CARD_BALANCE,
            varying={"expires_at": "2029-02-28T12:00:00Z"},
            effects=(CardBalance(_DEMO_PIN_CARD, "300.00"),),
        ),
    ),
    Example(
        name="stock-adjusted",
        summary="A returned unit of SKU-0001 back on the shelf in store STORE-1.",
        event_type="stock.adjusted",
        channel="stock",
        event_id="shop-stock-adjusted-1",
        data={
            "warehouse_id": None,
            "warehouse_externalid": "WH-STORE-1",
            "items": [{"sku": "SKU-0001", "delta": "1"}],
            "reason": "return 100234",
        },
        expected=Expected(
            status="succeeded",
            sitoo={"warehouseid": 1},
            varying={"warehousetransactionid": 1},
            effects=(StockTotal("WH-STORE-1", "SKU-0001", "13.000", "12.000"),),
        ),
    ),
    Example(
        name="stock-set",
        summary="The webshop's own count of SKU-0002 in the virtual web warehouse.",
        event_type="stock.set",
        channel="stock",
        event_id="shop-stock-set-1",
        data={
            "warehouse_id": None,
            "warehouse_externalid": "WH-WEB",
            "items": [{"sku": "SKU-0002", "quantity": "12"}],
        },
        expected=Expected(
            status="succeeded",
            sitoo={"warehouseid": 4, "applied": ["SKU-0002"], "skipped_older": []},
            effects=(StockTotal("WH-WEB", "SKU-0002", "12.000", "28.000"),),
        ),
    ),
    Example(
        name="giftcard-redeem-request",
        summary="A checkout pays 199.00 with the card sold online and waits for the reply.",
        event_type="giftcard.redeem",
        channel="giftcard_requests",
        event_id="shop-checkout-5521-redeem",
        reply_to="checkout:5521:reply",
        data={
            "card_number": _ISSUED_CARD,
            "amount": "199.00",
            "currency": "SEK",
            "pin": "4711",
            "order_id": "100237",
        },
        after=("giftcard-issued",),
        expected=Expected(
            status="succeeded",
            sitoo=_ISSUED_CARD_REDEEMED,
            varying={"transaction_ids": _TRANSACTION_IDS},
            reply=_approved("shop-checkout-5521-redeem", "giftcard.redeem", _ISSUED_CARD_REDEEMED),
            effects=(CardBalance(_ISSUED_CARD, "301.00"),),
        ),
    ),
    Example(
        name="giftcard-balance-request",
        summary="A checkout asks the balance of demo card …0002 and waits for the reply.",
        event_type="giftcard.balance",
        channel="giftcard_requests",
        event_id="shop-checkout-5522-balance",
        reply_to="checkout:5522:reply",
        correlation_id="checkout-5522",
        data={"card_number": _DEMO_PIN_CARD, "pin": "1234", "currency": "SEK"},
        expected=Expected(
            status="succeeded",
            sitoo=_PIN_CARD_BALANCE,
            varying={"expires_at": "2029-02-28T12:00:00Z"},
            reply=_approved("shop-checkout-5522-balance", "giftcard.balance", _PIN_CARD_BALANCE),
            effects=(CardBalance(_DEMO_PIN_CARD, "300.00"),),
        ),
    ),
    Example(
        name="giftcard-redeem-expired",
        summary="A redeem on the demo seed's expired card: declined, not dead-lettered.",
        event_type="giftcard.redeem",
        channel="giftcards",
        event_id="shop-giftcard-redeem-expired-1",
        data={"card_number": _EXPIRED_CARD, "amount": "50.00", "currency": "SEK"},
        expected=Expected(
            status="failed",
            reason_code="expired",
            reason="the card has expired",
            sitoo={"card_number": _EXPIRED_CARD},
            effects=(CardBalance(_EXPIRED_CARD, "200.00"),),
        ),
    ),
    Example(
        name="stock-adjusted-virtual",
        summary="A delta sent to the virtual web warehouse: refused, use stock.set there.",
        event_type="stock.adjusted",
        channel="stock",
        event_id="shop-stock-adjusted-virtual-1",
        data={"warehouse_externalid": "WH-WEB", "items": [{"sku": "SKU-0001", "delta": "1"}]},
        expected=Expected(
            status="failed",
            reason_code="virtual_warehouse",
            reason="warehouse 4 is virtual: use stock.set for it",
            dead_lettered=True,
            effects=(StockTotal("WH-WEB", "SKU-0001", "21.000", "21.000"),),
        ),
    ),
    Example(
        name="order-placed-invalid",
        summary="An order without lines: dead-lettered at once with the reason.",
        event_type="order.placed",
        channel="orders",
        event_id="shop-order-placed-invalid-1",
        data={k: v for k, v in _ORDER.items() if k != "lines"} | {"order_id": "100299"},
        expected=Expected(
            status="failed",
            reason_code="invalid",
            reason="invalid order.placed: data.lines: Field required",
            dead_lettered=True,
        ),
    ),
)

EXAMPLES: Mapping[str, Example] = {example.name: example for example in _CATALOGUE}


def primary(event_type: str) -> Example:
    """The first example of a type: the one its schema, reference section and snippets show."""
    return next(e for e in _CATALOGUE if e.event_type == event_type)


def schema_examples(event_type: str) -> list[JsonValue]:
    """``json_schema_extra`` examples of a payload model: its primary example's data."""
    return [primary(event_type).payload()]


def in_order(names: list[str] | None = None) -> list[Example]:
    """The examples (all, or those named) in catalogue order, which sends prerequisites first."""
    wanted = set(EXAMPLES) if names is None else set(names)
    return [example for example in _CATALOGUE if example.name in wanted]


def sample_result(example: Example, *, stream: str, entry_id: str) -> dict[str, JsonValue]:
    """The ``data`` of the result event the example gives on a fresh demo seed."""
    expected = example.expected
    return {
        "inbound_event_id": example.event_id,
        "inbound_type": example.event_type,
        "stream": stream,
        "entry_id": entry_id,
        "status": expected.status,
        "sitoo": {**expected.sitoo, **expected.varying},
        "reason_code": expected.reason_code,
        "reason": expected.reason,
        "dead_lettered": expected.dead_lettered,
    }


def sample_reply(example: Example) -> dict[str, JsonValue]:
    """The reply a request example gives on a fresh demo seed."""
    if example.expected.reply is None:
        raise ValueError(f"example {example.name!r} is not a request")
    ids = example.expected.varying.get("transaction_ids", [])
    return {**example.expected.reply, "transaction_ids": ids}
