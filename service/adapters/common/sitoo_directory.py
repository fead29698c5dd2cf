"""Sitoo's stores and warehouses as a webshop adapter's start-up check reads them."""

from __future__ import annotations

from typing import Protocol

from service.settings import ConfigurationError
from service.sitoo.catalog_models import Store, Warehouse
from service.sitoo.errors import Forbidden, Unauthorized
from service.sitoo.limiter import Lane


class StoresAndWarehouses(Protocol):
    """The Sitoo reads the check needs."""

    async def list_stores(self, *, lane: Lane = ...) -> list[Store]:
        """Every store of the site."""
        ...

    async def list_warehouses(self, *, lane: Lane = ...) -> list[Warehouse]:
        """Every warehouse of the site."""
        ...


async def stores_and_warehouses(
    sitoo: StoresAndWarehouses,
) -> tuple[list[Store], list[Warehouse]]:
    """Both lists; Sitoo refusing the API user is bad configuration, named in one line.

    The check is the first Sitoo call of a start with an adapter on, so a wrong password
    shows here first and stops the start like a wrong mapping does.
    """
    try:
        return await sitoo.list_stores(lane=Lane.BULK), await sitoo.list_warehouses(lane=Lane.BULK)
    except (Unauthorized, Forbidden) as exc:
        raise ConfigurationError(
            "SITOO_SYNC_SITOO__API_ID / SITOO_SYNC_SITOO__API_PASSWORD: Sitoo refused them "
            f"({type(exc).__name__}) while the start-up check read its stores and warehouses"
        ) from None
