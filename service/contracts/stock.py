"""Stock events: signed adjustments on FIFO warehouses, absolute levels on virtual ones."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, model_validator

from service.contracts.examples import schema_examples
from service.contracts.fields import Identifier, ShortText, Sku, StockDelta, StockLevel

_STRICT = ConfigDict(extra="forbid", frozen=True)


class WarehouseRef(BaseModel):
    """A Sitoo warehouse by warehouseid or externalid (exactly one)."""

    model_config = _STRICT

    warehouse_id: Annotated[int, Field(strict=True, ge=1)] | None = None
    warehouse_externalid: Identifier | None = None

    @model_validator(mode="after")
    def _exactly_one(self) -> WarehouseRef:
        if (self.warehouse_id is None) == (self.warehouse_externalid is None):
            raise ValueError("give exactly one of warehouse_id and warehouse_externalid")
        return self


class StockDeltaItem(BaseModel):
    """One SKU's signed change."""

    model_config = _STRICT

    sku: Sku
    delta: StockDelta

    @model_validator(mode="after")
    def _not_zero(self) -> StockDeltaItem:
        if self.delta == 0:
            raise ValueError("delta must not be zero")
        return self


class StockAdjusted(WarehouseRef):
    """``stock.adjusted``: signed changes in one FIFO warehouse (e.g. a return received).

    Becomes one Sitoo warehouse transaction (type 10 when all deltas are positive, 20 when
    all are negative; mixed signs are refused: send two events). Events for the same
    warehouse that arrive together go to Sitoo in one request.
    """

    model_config = ConfigDict(
        extra="forbid",
        frozen=True,
        json_schema_extra={"examples": schema_examples("stock.adjusted")},
    )

    items: Annotated[list[StockDeltaItem], Field(min_length=1, max_length=100)]
    reason: ShortText | None = None

    @model_validator(mode="after")
    def _one_direction(self) -> StockAdjusted:
        signs = {item.delta > 0 for item in self.items}
        if len(signs) > 1:
            raise ValueError("deltas must all be positive or all negative; send two events")
        if len({item.sku for item in self.items}) != len(self.items):
            raise ValueError("each sku may appear once")
        return self


class StockLevelItem(BaseModel):
    """One SKU's absolute level."""

    model_config = _STRICT

    sku: Sku
    quantity: StockLevel


class StockSet(WarehouseRef):
    """``stock.set``: absolute levels in a virtual warehouse; the newest ``occurred_at`` wins.

    An event older than the last applied one for the same (warehouse, SKU) is skipped for
    that SKU and reported in the result.
    """

    model_config = ConfigDict(
        extra="forbid",
        frozen=True,
        json_schema_extra={"examples": schema_examples("stock.set")},
    )

    items: Annotated[list[StockLevelItem], Field(min_length=1, max_length=1000)]

    @model_validator(mode="after")
    def _unique_skus(self) -> StockSet:
        if len({item.sku for item in self.items}) != len(self.items):
            raise ValueError("each sku may appear once")
        return self
