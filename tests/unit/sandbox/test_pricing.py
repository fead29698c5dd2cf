"""Order-line arithmetic matches the stored order in Sitoo's own example."""

from __future__ import annotations

from decimal import Decimal

from service.sandbox.pricing import line_amounts, net_of, order_totals


def test_spec_example_lines_and_totals() -> None:
    """Posting 125.00/25 %, 250.00-50.00/25 % x2 and 106.00/6 % gives 360.00 + 71.00 = 431.00."""
    lines = [
        line_amounts(1, Decimal("125.00"), Decimal(0), Decimal(25)),
        line_amounts(2, Decimal("250.00"), Decimal("50.00"), Decimal(25)),
        line_amounts(1, Decimal("106.00"), Decimal(0), Decimal(6)),
    ]
    totals = order_totals(lines)
    assert (totals.net, totals.vat, totals.gross) == (
        Decimal("360.00"),
        Decimal("71.00"),
        Decimal("431.00"),
    )


def test_discounted_line_per_unit_values() -> None:
    """The discounted example line stores 80.00 per unit, 100.00 original, 20.00 discount."""
    amounts = line_amounts(2, Decimal("250.00"), Decimal("50.00"), Decimal(25))
    assert amounts.item_net == Decimal("160.00")
    assert amounts.item_vat == Decimal("40.00")
    assert amounts.net_per_unit == Decimal("80.00")
    assert amounts.original_per_unit == Decimal("100.00")
    assert amounts.discounted_per_unit == Decimal("80.00")
    assert amounts.discount_per_unit == Decimal("20.00")


def test_undiscounted_line_reports_zero_discount_fields() -> None:
    """Without a discount, moneydiscountedprice and moneydiscount are 0.00 as in the example."""
    amounts = line_amounts(1, Decimal("125.00"), Decimal(0), Decimal(25))
    assert amounts.discounted_per_unit == 0
    assert amounts.discount_per_unit == 0


def test_refund_line_keeps_unit_price_positive() -> None:
    """A negative quantity gives negative totals and a positive unit price."""
    amounts = line_amounts(-1, Decimal("-2990.00"), Decimal(0), Decimal(25))
    assert amounts.item_net == Decimal("-2392.00")
    assert amounts.net_per_unit == Decimal("2392.00")


def test_net_rounds_half_up_to_cents() -> None:
    """VAT extraction rounds to whole cents."""
    assert net_of(Decimal("10.00"), Decimal(25)) == Decimal("8.00")
    assert net_of(Decimal("0.05"), Decimal(25)) == Decimal("0.04")
