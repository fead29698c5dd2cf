"""Which inbound streams this replica consumes, how many readers each, and its handler's holder."""

from __future__ import annotations

from collections.abc import Collection, Mapping
from typing import TYPE_CHECKING

from service.contracts.registry import Channel

if TYPE_CHECKING:
    from service.inbox.delivery import DeliveryHandler
    from service.inbox.transport import EntrySource

# Readers per stream in one replica, each reading its own new entries: while one stock
# batch waits for Sitoo or the records, the next is parsed and settled. Two batches at
# once in one replica are no different from two replicas, which settle-once covers. The
# other streams keep one reader: a second did not raise the orders' use of the Sitoo slot
# (the replicas already keep it queued).
READERS = {Channel.STOCK: 2}


class ConsumerRuntime:
    """Holds the delivery handler the lifespan builds; subscribers exist before it does."""

    def __init__(self) -> None:
        self.handler: DeliveryHandler | None = None

    def require(self) -> DeliveryHandler:
        """The handler; the broker only starts after the lifespan has set it."""
        if self.handler is None:
            raise RuntimeError("consumers started before the lifespan built their dependencies")
        return self.handler


def subscribe_inbound(
    source: EntrySource,
    streams: Mapping[Channel, str],
    runtime: ConsumerRuntime,
    *,
    consumed: Collection[str],
    stock_batch_size: int,
) -> None:
    """Have ``source`` deliver every consumed channel's stream; stock in batches, last."""
    for channel, stream in streams.items():
        if channel is Channel.STOCK or channel.value not in consumed:
            continue
        source.deliver_each(stream, channel, runtime, readers=READERS.get(channel, 1))
    if Channel.STOCK.value in consumed:
        source.deliver_batches(
            streams[Channel.STOCK],
            Channel.STOCK,
            runtime,
            readers=READERS[Channel.STOCK],
            max_records=stock_batch_size,
        )
