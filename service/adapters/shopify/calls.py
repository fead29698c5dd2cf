"""What the client's call groups share: the engine and the configured API version."""

from __future__ import annotations

from typing import Any

from service.adapters.shopify.engine import GraphQLEngine


class ShopifyCalls:
    """Base of the client's call groups (inventory, orders, gift cards)."""

    def __init__(self, engine: GraphQLEngine, *, batch_size: int = 250) -> None:
        self._engine = engine
        self._batch_size = batch_size

    @property
    def version(self) -> str:
        """The Admin API version the client speaks."""
        return self._engine.version


def nodes(connection: Any) -> list[Any]:  # noqa: ANN401 - raw JSON
    """The nodes of a connection (empty when it is null)."""
    if not isinstance(connection, dict):
        return []
    found = connection.get("nodes")
    return [n for n in found if n is not None] if isinstance(found, list) else []
