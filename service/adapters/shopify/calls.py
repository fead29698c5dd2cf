"""What the client's call groups share: the engine and the configured API version."""

from __future__ import annotations

from typing import Any

from service.adapters.common.errors import ReadCutShort
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


def whole(owner: Any, field: str, limit: int, what: str) -> list[Any]:  # noqa: ANN401 - raw JSON
    """The nodes of ``owner[field]``, a connection read in one page of ``limit``; when its
    pageInfo says there is more, ``what`` (the owner, for the message) is refused."""
    connection = owner.get(field) if isinstance(owner, dict) else None
    if isinstance(connection, dict) and (connection.get("pageInfo") or {}).get("hasNextPage"):
        raise ReadCutShort(f"{what} has more than {limit} {field}: sitoo-sync reads {limit}")
    return nodes(connection)


def listed(owner: Any, field: str, limit: int, what: str) -> list[Any]:  # noqa: ANN401 - raw JSON
    """The items of ``owner[field]``, a plain list asked for with ``first: limit + 1``."""
    found = owner.get(field) if isinstance(owner, dict) else None
    items = [i for i in found if i is not None] if isinstance(found, list) else []
    if len(items) > limit:
        raise ReadCutShort(f"{what} has more than {limit} {field}: sitoo-sync reads {limit}")
    return items
