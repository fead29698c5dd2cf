"""The last published stock levels, handed once to a webshop writer whose group is new.

A writer's group starts at the end of ``sitoo.events``, and a level is published only when
it changes, so a shop connected to a running installation would never receive the levels
of SKUs that do not move. The publisher keeps the last published level of every SKU and
warehouse (the hashes it compares against); rebuilt from them, the same ``stock.changed``
events (same ids and versions) are given to the writer before it reads the stream.
Reconstructed, they lack the store and Sitoo's modification time, which no writer uses.
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import TYPE_CHECKING

from service.adapters.common.outbound import OutboundEntry
from service.contracts.outbound import StockChanged, derive_event_id, outbound_envelope
from service.pollers.stock_levels import parse_state, state_family
from service.records.publishing import OutboundPublisher

if TYPE_CHECKING:
    import redis.asyncio as aioredis

    from service.records.keys import DeploymentKeys

SNAPSHOT_ENTRY = "snapshot"
"""The entry id prefix of the rebuilt levels (they have no place in the stream)."""


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value


async def last_published_levels(redis: aioredis.Redis, keys: DeploymentKeys) -> list[OutboundEntry]:
    """Every SKU's last published level in every warehouse, as ``stock.changed`` entries."""
    publisher_keys = OutboundPublisher(redis, stream="", keys=keys, marker_ttl_s=1)
    # The hashes are named like the pollers name them; only the warehouse id varies.
    family_key = publisher_keys.state_key(state_family(0)).removesuffix("0")
    now = datetime.now(UTC)
    entries: list[OutboundEntry] = []
    async for raw_key in redis.scan_iter(match=f"{family_key}*", count=500):
        key = _text(raw_key)
        warehouse = key.removeprefix(family_key)
        if not warehouse.isdigit():
            continue
        levels = await redis.hgetall(key)
        for raw_sku, raw_state in sorted(levels.items()):
            sku, state = _text(raw_sku), _text(raw_state)
            version, figures = parse_state(state)
            if figures is None or version < 1:
                continue
            total, reserved, available = figures.split("|")
            payload = StockChanged(
                sku=sku,
                warehouse_id=int(warehouse),
                store_id=None,
                store_externalid=None,
                total=Decimal(total),
                reserved=Decimal(reserved),
                available=Decimal(available),
                version=version,
                modified_at=None,
                at=now,
            )
            event_id = derive_event_id("stock.changed", int(warehouse), sku, version, figures)
            envelope = outbound_envelope(event_id, payload, occurred_at=now)
            entries.append(
                OutboundEntry(
                    f"{SNAPSHOT_ENTRY}:{warehouse}:{sku}",
                    envelope,
                    envelope.model_dump_json().encode(),
                )
            )
    return entries
