"""Sitoo routes for warehouse items, warehouse transactions and warehouse batches."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from service.sandbox.errors import SandboxError, bad_request
from service.sandbox.http import (
    answer,
    as_list,
    batch_entry,
    envelope,
    json_body,
    one,
    page,
    site_of,
)
from service.sandbox.movement_model import WarehouseTransaction
from service.sandbox.routes_catalog import SITE
from service.sandbox.sandbox import Sandbox
from service.sandbox.values import (
    MAX_TRANSACTIONS_PER_REQUEST,
    parse_money,
    parse_optional_str,
    parse_quantity,
    parse_str,
    query_int,
    split_int_list,
    split_list,
)

WAREHOUSE = SITE + "/warehouses/{warehouseid:int}"


async def get_items(request: Request) -> Response:
    """GET warehouseitems.json: by SKU list and/or datelastmodified window, paged."""
    sandbox = site_of(request)
    warehouse = sandbox.catalog.warehouse(request.path_params["warehouseid"])
    start, num = page(request)
    query = request.query_params
    total, items = sandbox.stock.query(
        warehouse.warehouseid,
        skus=split_list(query.get("sku")),
        modified_from=query_int(query.get("datelastmodifiedfrom"), "datelastmodifiedfrom"),
        modified_to=query_int(query.get("datelastmodifiedto"), "datelastmodifiedto"),
        start=start,
        num=num,
    )
    return envelope(request, total, [sandbox.stock.to_json(i) for i in items])


def _set_item(sandbox: Sandbox, warehouseid: int, raw: object) -> int:
    if not isinstance(raw, dict):
        raise bad_request("Invalid value")
    sku = parse_str(raw.get("sku"), "sku")
    sandbox.catalog.product(sku)
    total = raw.get("decimaltotal")
    money = raw.get("moneytotal")
    threshold = raw.get("decimalthreshold")
    item = sandbox.stock.set_values(
        warehouseid,
        sku,
        total=None if total is None else parse_quantity(total, "decimaltotal"),
        money=None if money is None else parse_money(money, "moneytotal"),
        binlocation=parse_optional_str(raw.get("binlocation"), "binlocation"),
        threshold=None if threshold is None else parse_quantity(threshold, "decimalthreshold"),
    )
    sandbox.ledger.record(
        "warehouseitem.set",
        f"{warehouseid}:{sku}",
        warehouseid=warehouseid,
        sku=sku,
        warehouseitemid=item.warehouseitemid,
        decimaltotal=total,
        moneytotal=money,
    )
    return item.warehouseitemid


async def put_items(request: Request) -> Response:
    """PUT warehouseitems.json: absolute values; totals only on virtual warehouses."""
    sandbox = site_of(request)
    warehouse = sandbox.catalog.warehouse(request.path_params["warehouseid"])
    elements = as_list(await json_body(request))
    sets_stock = any(
        isinstance(e, dict) and ("decimaltotal" in e or "moneytotal" in e) for e in elements
    )
    if sets_stock and not warehouse.is_virtual:
        raise bad_request(
            f"decimaltotal and moneytotal can only be set on virtual warehouses; "
            f"warehouse {warehouse.warehouseid} is FIFO."
        )
    results: list[object] = []
    for element in elements:
        try:
            results.append(batch_entry(_set_item(sandbox, warehouse.warehouseid, element)))
        except SandboxError as error:
            results.append(batch_entry(error))
    return answer(results)


def _transactions_matching(
    sandbox: Sandbox, request: Request, warehouseid: int | None
) -> list[WarehouseTransaction]:
    query = request.query_params
    ids = set(split_int_list(query.get("warehousetransactionid"), "warehousetransactionid"))
    id_from = query_int(query.get("warehousetransactionidfrom"), "warehousetransactionidfrom")
    id_to = query_int(query.get("warehousetransactionidto"), "warehousetransactionidto")
    date_from = query_int(query.get("datecreatedfrom"), "datecreatedfrom")
    date_to = query_int(query.get("datecreatedto"), "datecreatedto")
    types = set(split_int_list(query.get("transactiontype"), "transactiontype"))
    if warehouseid is None:
        warehouses = set(split_int_list(query.get("warehouseid"), "warehouseid"))
    else:
        warehouses = {warehouseid}
    sort = query.get("sort", "-warehousetransactionid")
    if sort not in ("warehousetransactionid", "-warehousetransactionid"):
        raise bad_request(f"Invalid value '{sort}' for 'sort'.")
    found = [
        tx
        for tx in sandbox.movements.transactions
        if (not ids or tx.warehousetransactionid in ids)
        and (id_from is None or tx.warehousetransactionid >= id_from)
        and (id_to is None or tx.warehousetransactionid <= id_to)
        and (date_from is None or tx.datecreated >= date_from)
        and (date_to is None or tx.datecreated <= date_to)
        and (not types or tx.transactiontype in types)
        and (not warehouses or tx.warehouseid in warehouses)
    ]
    if sort.startswith("-"):
        found.reverse()
    return found


async def get_transactions(request: Request) -> Response:
    """GET warehousetransactions.json at site level (filter warehouseid) or per warehouse."""
    sandbox = site_of(request)
    warehouseid = request.path_params.get("warehouseid")
    if warehouseid is not None:
        sandbox.catalog.warehouse(warehouseid)
    start, num = page(request)
    found = _transactions_matching(sandbox, request, warehouseid)
    return envelope(request, len(found), [tx.to_json() for tx in found[start : start + num]])


async def get_transaction(request: Request) -> Response:
    """GET one warehouse transaction of a warehouse."""
    sandbox = site_of(request)
    tx = sandbox.movements.transaction(
        request.path_params["warehousetransactionid"], request.path_params["warehouseid"]
    )
    return one(request, tx.to_json())


async def post_transactions(request: Request) -> Response:
    """POST warehousetransactions.json: one element -> bare id; several -> batch envelope."""
    sandbox = site_of(request)
    body = await json_body(request)
    elements = as_list(body)
    if not elements:
        raise bad_request("No transactions given.")
    if len(elements) > MAX_TRANSACTIONS_PER_REQUEST:
        raise bad_request(
            f"At most {MAX_TRANSACTIONS_PER_REQUEST} transactions per request; got {len(elements)}."
        )
    if len(elements) == 1:
        return answer(sandbox.movements.add_from_request(elements[0]).warehousetransactionid)
    results: list[object] = []
    for element in elements:
        try:
            tx = sandbox.movements.add_from_request(element)
            results.append(batch_entry(tx.warehousetransactionid))
        except SandboxError as error:
            results.append(batch_entry(error))
    return answer(results)


async def post_batch(request: Request) -> Response:
    """POST warehousebatches.json: open a batch, answer its id."""
    sandbox = site_of(request)
    batch = sandbox.movements.open_batch(
        request.path_params["warehouseid"], await json_body(request)
    )
    return answer(batch.warehousebatchid)


async def get_batches(request: Request) -> Response:
    """GET warehousebatches.json: filter warehousebatchstate (default 10) and transactiontype."""
    sandbox = site_of(request)
    warehouseid = request.path_params["warehouseid"]
    sandbox.catalog.warehouse(warehouseid)
    state = query_int(request.query_params.get("warehousebatchstate"), "warehousebatchstate")
    kind = query_int(request.query_params.get("transactiontype"), "transactiontype")
    start, num = page(request)
    found = [
        b
        for b in sandbox.movements.batches.values()
        if b.warehouseid == warehouseid
        and b.warehousebatchstate == (10 if state is None else state)
        and (kind is None or b.transactiontype == kind)
    ]
    return envelope(request, len(found), [b.to_json() for b in found[start : start + num]])


async def get_batch(request: Request) -> Response:
    """GET one batch."""
    sandbox = site_of(request)
    batch = sandbox.movements.batch(
        request.path_params["warehouseid"], request.path_params["warehousebatchid"]
    )
    return one(request, batch.to_json())


async def put_batch(request: Request) -> Response:
    """PUT a batch: texts and state; state 20 commits it."""
    sandbox = site_of(request)
    sandbox.movements.update_batch(
        request.path_params["warehouseid"],
        request.path_params["warehousebatchid"],
        await json_body(request),
    )
    return answer(True)  # noqa: FBT003 - Sitoo's literal answer


async def batch_items(request: Request) -> Response:
    """GET, PUT (add/replace by SKU) or DELETE ([{sku}]) the items of a batch."""
    sandbox = site_of(request)
    warehouseid = request.path_params["warehouseid"]
    batchid = request.path_params["warehousebatchid"]
    batch = sandbox.movements.batch(warehouseid, batchid)
    if request.method == "GET":
        start, num = page(request)
        items = list(batch.items.values())
        return envelope(
            request, len(items), [batch.item_json(i) for i in items[start : start + num]]
        )
    elements = as_list(await json_body(request))
    results: list[object] = []
    for element in elements:
        try:
            if request.method == "PUT":
                item = sandbox.movements.put_batch_item(warehouseid, batchid, element)
                results.append(batch_entry(item.warehousebatchitemid))
            else:
                sandbox.movements.delete_batch_item(warehouseid, batchid, element)
                results.append(batch_entry(True))  # noqa: FBT003 - Sitoo's literal answer
        except SandboxError as error:
            results.append(batch_entry(error))
    return answer(results)


ROUTES = [
    Route(WAREHOUSE + "/warehouseitems.json", get_items, methods=["GET"]),
    Route(WAREHOUSE + "/warehouseitems.json", put_items, methods=["PUT"]),
    Route(SITE + "/warehousetransactions.json", get_transactions, methods=["GET"]),
    Route(SITE + "/warehousetransactions.json", post_transactions, methods=["POST"]),
    Route(WAREHOUSE + "/warehousetransactions.json", get_transactions, methods=["GET"]),
    Route(
        WAREHOUSE + "/warehousetransactions/{warehousetransactionid:int}.json",
        get_transaction,
        methods=["GET"],
    ),
    Route(WAREHOUSE + "/warehousebatches.json", get_batches, methods=["GET"]),
    Route(WAREHOUSE + "/warehousebatches.json", post_batch, methods=["POST"]),
    Route(WAREHOUSE + "/warehousebatches/{warehousebatchid:int}.json", get_batch, methods=["GET"]),
    Route(WAREHOUSE + "/warehousebatches/{warehousebatchid:int}.json", put_batch, methods=["PUT"]),
    Route(
        WAREHOUSE + "/warehousebatches/{warehousebatchid:int}/warehousebatchitems.json",
        batch_items,
        methods=["GET", "PUT", "DELETE"],
    ),
]
