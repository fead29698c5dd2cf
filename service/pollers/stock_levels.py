"""Turning Sitoo warehouse items into ``stock.changed`` events, once per distinct level."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal

from service.contracts.outbound import StockChanged, derive_event_id, outbound_envelope
from service.records.publishing import OutboundPublisher, StateChange
from service.sitoo.models import Store, Warehouse, WarehouseItem

_STEP = Decimal("0.001")
PUBLISH_CHUNK = 500  # changes per Lua call: keeps each script short for Redis' single thread


@dataclass(frozen=True, slots=True)
class WarehousePlace:
    """Where a warehouse is: its store, for the webshop's benefit."""

    warehouse_id: int
    store_id: int | None
    store_externalid: str | None


def places(warehouses: Iterable[Warehouse], stores: Iterable[Store]) -> list[WarehousePlace]:
    """Each warehouse with an id, joined to its store."""
    store_refs = {s.storeid: s.externalid for s in stores if s.storeid is not None}
    return [
        WarehousePlace(
            warehouse_id=w.warehouseid,
            store_id=w.storeid,
            store_externalid=store_refs.get(w.storeid) if w.storeid is not None else None,
        )
        for w in warehouses
        if w.warehouseid is not None
    ]


@dataclass(frozen=True, slots=True)
class Level:
    """A SKU's three stock figures, normalised to three decimals."""

    total: Decimal
    reserved: Decimal
    available: Decimal

    @classmethod
    def of(cls, item: WarehouseItem) -> Level:
        """The level of a warehouse item (missing figures count as zero)."""
        total = item.decimaltotal if item.decimaltotal is not None else Decimal(0)
        reserved = item.decimalreserved if item.decimalreserved is not None else Decimal(0)
        available = item.decimalavailable if item.decimalavailable is not None else total - reserved
        return cls(total.quantize(_STEP), reserved.quantize(_STEP), available.quantize(_STEP))

    def figures(self) -> str:
        """The comparable text form: ``total|reserved|available``."""
        return f"{self.total:f}|{self.reserved:f}|{self.available:f}"


def parse_state(state: str | None) -> tuple[int, str | None]:
    """The stored ``version|total|reserved|available`` as (version, figures)."""
    if not state:
        return 0, None
    version, _, figures = state.partition("|")
    return int(version), figures


def state_family(warehouse_id: int) -> str:
    """The name of the hash holding a warehouse's last published levels."""
    return f"stock:{warehouse_id}"


@dataclass(frozen=True, slots=True)
class PublishOutcome:
    """How many levels were read, published, and skipped because another writer moved."""

    read: int = 0
    published: int = 0
    conflicts: int = 0

    def __add__(self, other: PublishOutcome) -> PublishOutcome:
        return PublishOutcome(
            self.read + other.read,
            self.published + other.published,
            self.conflicts + other.conflicts,
        )


def _timestamp(seconds: int | None) -> datetime | None:
    return datetime.fromtimestamp(seconds, UTC) if seconds is not None else None


async def publish_levels(
    publisher: OutboundPublisher,
    place: WarehousePlace,
    items: Sequence[WarehouseItem],
    *,
    seen_at: datetime,
) -> PublishOutcome:
    """Publish ``stock.changed`` for every item whose level differs from the last published."""
    latest: dict[str, WarehouseItem] = {item.sku: item for item in items if item.sku}
    skus = list(latest)
    family = state_family(place.warehouse_id)
    outcome = PublishOutcome(read=len(skus))
    for start in range(0, len(skus), PUBLISH_CHUNK):
        chunk = skus[start : start + PUBLISH_CHUNK]
        states = await publisher.last_states(family, chunk)
        changes: list[StateChange] = []
        for sku, state in zip(chunk, states, strict=True):
            item = latest[sku]
            level = Level.of(item)
            version, figures = parse_state(state)
            if figures == level.figures():
                continue
            payload = StockChanged(
                sku=sku,
                warehouse_id=place.warehouse_id,
                store_id=place.store_id,
                store_externalid=place.store_externalid,
                total=level.total,
                reserved=level.reserved,
                available=level.available,
                version=version + 1,
                modified_at=_timestamp(item.datelastmodified),
                at=seen_at,
            )
            event_id = derive_event_id(
                "stock.changed", place.warehouse_id, sku, version + 1, level.figures()
            )
            changes.append(
                StateChange(
                    field=sku,
                    expected=state,
                    new=f"{version + 1}|{level.figures()}",
                    envelope=outbound_envelope(event_id, payload, occurred_at=seen_at),
                )
            )
        flags = await publisher.publish_changes(family, changes)
        published = sum(flags)
        outcome += PublishOutcome(published=published, conflicts=len(flags) - published)
    return outcome
