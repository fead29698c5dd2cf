"""Warehouse-item paging, the datelastmodified index and reservations."""

from __future__ import annotations

from decimal import Decimal

from service.sandbox.clock import Clock, IdSequence
from service.sandbox.movements import stocktaking_delta
from service.sandbox.stock import StockBook


class _Time:
    def __init__(self) -> None:
        self.value = 1000.0

    def __call__(self) -> float:
        return self.value


def _book(*, bump: bool = False) -> tuple[StockBook, _Time]:
    time = _Time()
    return StockBook(Clock(time), IdSequence(), reservation_bumps_modified=bump), time


def test_modified_window_pages_in_time_order() -> None:
    """Items touched later come after earlier ones; the window and paging are exact."""
    book, time = _book()
    for n in range(10):
        time.value = 1000 + n
        book.move(1, f"S{n}", Decimal(1), Decimal(0))
    time.value = 2000
    book.move(1, "S0", Decimal(1), Decimal(0))
    total, items = book.query(1, skus=[], modified_from=1005, modified_to=None, start=0, num=3)
    assert total == 6
    assert [i.sku for i in items] == ["S5", "S6", "S7"]
    total, items = book.query(1, skus=[], modified_from=1005, modified_to=None, start=5, num=3)
    assert [i.sku for i in items] == ["S0"]
    total, items = book.query(1, skus=[], modified_from=None, modified_to=1001, start=0, num=10)
    assert [i.sku for i in items] == ["S1"]


def test_reservations_expire_and_do_not_bump_modified_by_default() -> None:
    """Reserved stock lowers available until datereserved, without moving datelastmodified."""
    book, time = _book()
    item = book.move(1, "A", Decimal(10), Decimal(0))
    before = item.datelastmodified
    time.value += 50
    book.reserve_for_order(7, 1, {"A": Decimal(3)}, until=int(time.value) + 100)
    shown = book.to_json(item)
    assert (shown["decimalreserved"], shown["decimalavailable"]) == ("3.000", "7.000")
    assert shown["datelastmodified"] == before
    time.value += 101
    assert book.to_json(item)["decimalreserved"] == "0.000"


def test_reservation_can_bump_modified_when_configured() -> None:
    """With the option on, reserving moves datelastmodified."""
    book, time = _book(bump=True)
    item = book.move(1, "A", Decimal(10), Decimal(0))
    time.value += 50
    book.reserve_for_order(7, 1, {"A": Decimal(3)}, until=int(time.value) + 100)
    assert item.datelastmodified == int(time.value)


def test_releasing_a_reservation() -> None:
    """An empty reservation releases what the order held."""
    book, time = _book()
    item = book.move(1, "A", Decimal(10), Decimal(0))
    book.reserve_for_order(7, 1, {"A": Decimal(3)}, until=int(time.value) + 100)
    book.reserve_for_order(7, None, {}, until=0)
    assert book.to_json(item)["decimalreserved"] == "0.000"


def test_stocktaking_moves_by_the_difference() -> None:
    """A counted level becomes a delta against on-hand."""
    assert stocktaking_delta(Decimal(9), Decimal(10)) == Decimal(-1)
    assert stocktaking_delta(Decimal(12), Decimal(10)) == Decimal(2)
