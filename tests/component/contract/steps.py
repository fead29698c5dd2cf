"""Request bodies built from the description's own examples, fitted to the sandbox's data."""

from __future__ import annotations

import uuid
from typing import Any

from .client import ContractClient

SITE = "/sites/1"
WAREHOUSE_FIFO = 10
WAREHOUSE_VIRTUAL = 20


def unique_externalid(prefix: str) -> str:
    """An externalid inside Sitoo's [A-Za-z0-9_-]{1,40}, new for every call."""
    return f"{prefix}-{uuid.uuid4().hex[:12]}"


async def warehouses(api: ContractClient) -> list[dict[str, Any]]:
    """Every warehouse of the site."""
    page = await api.call("GET", f"{SITE}/warehouses.json", params={"num": "100"})
    items: list[dict[str, Any]] = page["items"]
    return items


async def store_warehouse(api: ContractClient) -> dict[str, Any]:
    """A FIFO warehouse attached to a store: where pick-up orders and transactions go."""
    return next(
        warehouse
        for warehouse in await warehouses(api)
        if warehouse["warehousetype"] == WAREHOUSE_FIFO and warehouse["storeid"] is not None
    )


async def virtual_warehouse(api: ContractClient) -> dict[str, Any]:
    """The virtual warehouse, whose stock is set directly."""
    return next(
        warehouse
        for warehouse in await warehouses(api)
        if warehouse["warehousetype"] == WAREHOUSE_VIRTUAL
    )


async def products(api: ContractClient, count: int) -> list[dict[str, Any]]:
    """The first `count` products of the catalogue."""
    page = await api.call("GET", f"{SITE}/products.json", params={"num": str(count)})
    items: list[dict[str, Any]] = page["items"]
    assert len(items) == count, "the demo seed has fewer products than the test needs"
    return items


def with_skus(example: Any, skus: list[str]) -> Any:
    """The example with each distinct SKU it mentions replaced by the next sandbox SKU."""
    mapping: dict[str, str] = {}

    def replace(node: Any) -> Any:
        if isinstance(node, list):
            return [replace(value) for value in node]
        if not isinstance(node, dict):
            return node
        result = {key: replace(value) for key, value in node.items()}
        if isinstance(result.get("sku"), str):
            sku = result["sku"]
            if sku not in mapping:
                mapping[sku] = skus[len(mapping)]
            result["sku"] = mapping[sku]
        return result

    return replace(example)


async def order_body(api: ContractClient, *, warehouseid: int, currencycode: str) -> Any:
    """addOrder's example for this sandbox: its SKUs, names and prices, our warehouse."""
    example = api.spec.request_example("addOrder")
    catalogue = await products(api, 3)
    body = with_skus(example, [product["sku"] for product in catalogue])
    by_sku = {product["sku"]: product for product in catalogue}
    for line in body["orderitems"]:
        product = by_sku[line["sku"]]
        line["productname"] = product["title"]
        line["vatvalue"] = product["vatvalue"]
    body |= {
        "externalid": unique_externalid("web"),
        "currencycode": currencycode,
        "warehouseid": warehouseid,
        "orderstateid": 0,
        "paymentstateid": 20,
        "additionaldata": {"webshop-order": "yes"},
        "payments": [{"name": "Card", "moneyamount": "431.00"}],
    }
    return body


async def create_order(api: ContractClient) -> tuple[int, dict[str, Any]]:
    """A new open web order in a store warehouse; returns its id and the body sent."""
    warehouse = await store_warehouse(api)
    body = await order_body(
        api, warehouseid=warehouse["warehouseid"], currencycode=warehouse["currencycode"]
    )
    orderid = await api.call("POST", f"{SITE}/orders.json", body=body)
    assert isinstance(orderid, int)
    return orderid, body
