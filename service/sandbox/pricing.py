"""Order-line and order-total arithmetic, as Sitoo derives stored amounts from posted rows."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from service.sandbox.values import CENT, ZERO

HUNDRED = Decimal(100)


def net_of(gross: Decimal, vat_percent: Decimal) -> Decimal:
    """The VAT-exclusive part of a VAT-inclusive amount, rounded to cents."""
    return (gross * HUNDRED / (HUNDRED + vat_percent)).quantize(CENT, rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class LineAmounts:
    """What Sitoo stores for a line posted as (quantity, moneyrowprice, moneyrowdiscount, VAT)."""

    item_net: Decimal
    item_vat: Decimal
    net_per_unit: Decimal
    original_per_unit: Decimal
    discounted_per_unit: Decimal
    discount_per_unit: Decimal


def line_amounts(
    quantity: int, rowprice: Decimal, rowdiscount: Decimal, vat_percent: Decimal
) -> LineAmounts:
    """moneyrowprice is the VAT-inclusive row total before the VAT-inclusive row discount."""
    gross = rowprice - rowdiscount
    item_net = net_of(gross, vat_percent)
    item_vat = gross - item_net
    divisor = Decimal(quantity) if quantity else Decimal(1)
    per_unit = (item_net / divisor).quantize(CENT, rounding=ROUND_HALF_UP)
    original = (net_of(rowprice, vat_percent) / divisor).quantize(CENT, rounding=ROUND_HALF_UP)
    discounted = rowdiscount != ZERO
    return LineAmounts(
        item_net=item_net,
        item_vat=item_vat,
        net_per_unit=per_unit,
        original_per_unit=original,
        discounted_per_unit=per_unit if discounted else ZERO,
        discount_per_unit=(original - per_unit) if discounted else ZERO,
    )


@dataclass(frozen=True)
class OrderTotals:
    """Order-level sums of the lines (no delivery or checkout fees in the sandbox)."""

    net: Decimal
    vat: Decimal

    @property
    def gross(self) -> Decimal:
        """Net plus VAT."""
        return self.net + self.vat


def order_totals(lines: list[LineAmounts]) -> OrderTotals:
    """Sum the stored line amounts."""
    return OrderTotals(
        net=sum((line.item_net for line in lines), ZERO),
        vat=sum((line.item_vat for line in lines), ZERO),
    )
