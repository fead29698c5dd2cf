"""Corrections to the known defects of the Sitoo OpenAPI description, applied when it is loaded.

Each override names its defect (from the bundled description's README and FACTS.md) and first
checks that it is still there: a regenerated description that fixed it fails loudly instead.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from service.sandbox.openapi.document import (
    SCHEMA_PREFIX,
    Document,
    operation,
    operations,
    ref,
    request_schemas,
    response,
    schemas,
)

SCALAR_TYPES = frozenset({"string", "integer", "number", "boolean"})
ERROR_STATUSES = ("400", "401", "404", "429", "500")
ADDED_BY = "x-override"  # marks every node an override adds, so its origin stays visible
_CARD_PATHS = 2  # the card and its transactions
_ADDITIONALDATA_MAPS = 8


class StaleOverrideError(AssertionError):
    """The description no longer has the defect an override was written for."""


@dataclass(frozen=True)
class Override:
    """One documented correction: what is wrong in the description and how it is fixed."""

    name: str
    defect: str
    apply: Callable[[Document], None]


def apply_overrides(document: Document) -> Document:
    """Return a corrected copy of the description; the input is left untouched."""
    corrected = copy.deepcopy(document)
    for override in OVERRIDES:
        override.apply(corrected)
    return corrected


def _expect(condition: bool, override: str, what: str) -> None:
    if not condition:
        raise StaleOverrideError(f"override {override!r}: expected {what}")


def _json_content(schema: dict[str, Any], override: str) -> dict[str, Any]:
    return {"application/json": {"schema": schema | {ADDED_BY: override}}}


# --- the overrides -------------------------------------------------------------------------


def _nullable_scalars(node: object) -> None:
    if isinstance(node, dict):
        kind = node.get("type")  # a property may be called "type": its value is a dict
        if isinstance(kind, str) and kind in SCALAR_TYPES:
            node["nullable"] = True
        for key, value in node.items():
            if key not in {"example", "examples"}:
                _nullable_scalars(value)
    elif isinstance(node, list):
        for value in node:
            _nullable_scalars(value)


def _every_scalar_nullable(document: Document) -> None:
    name = "every-scalar-nullable"
    text = str(document)
    _expect("'nullable'" not in text, name, "no 'nullable' anywhere in the description")
    # Nulls are seen in answers. Requests keep their types (Sitoo refused a null barcode,
    # FACTS 12): they get only the nulls their prose allows (documented-request-nulls).
    written = request_schemas(document)
    _expect(bool(written), name, "request bodies referencing component schemas")
    for schema_name, schema in schemas(document).items():
        if schema_name not in written:
            _nullable_scalars(schema)
    for _, _, candidate in operations(document):
        _nullable_scalars(candidate.get("responses", {}))


# Write-schema fields whose description says null is a meaningful value, e.g. order-write
# datereserved: "(Null value is allowed for no reservation)".
_NULLABLE_IN_REQUESTS = {
    "order-write": ("datereserved",),
    "orderitem-write": ("decimalunitquantity",),
    "warehousetransaction-write": ("shipmentid", "externalid", "reasoncode"),
}


def _documented_request_nulls(document: Document) -> None:
    name = "documented-request-nulls"
    for schema_name, fields in _NULLABLE_IN_REQUESTS.items():
        properties = schemas(document)[schema_name]["properties"]
        for field in fields:
            _expect(
                field in properties and "nullable" not in properties[field],
                name,
                f"{schema_name}.{field} declared and not nullable",
            )
            properties[field] = properties[field] | {"nullable": True, ADDED_BY: name}


def _collections_page_like_the_others(document: Document) -> None:
    name = "collection-paging"
    for operation_id in ("getSites", "getOrderDeliveries", "getOrderLogItems"):
        answer = response(document, operation_id)["content"]["application/json"]["schema"]
        envelope = schemas(document)[answer["$ref"].removeprefix(SCHEMA_PREFIX)]
        _expect(envelope["required"] == ["totalcount", "items"], name, f"{operation_id} envelope")
        parameters = operation(document, operation_id).setdefault("parameters", [])
        declared = {parameter["name"] for parameter in parameters}
        _expect(not declared & {"start", "num"}, name, f"{operation_id} without start and num")
        parameters.extend(
            {"name": key, "in": "query", "schema": {"type": "integer"}, ADDED_BY: name}
            for key in ("start", "num")
        )


def _cardnumber_is_a_string(document: Document) -> None:
    name = "giftcard-cardnumber-string"
    changed = 0
    for path, item in document["paths"].items():
        for parameter in item.get("parameters", []):
            if parameter["name"] == "cardnumber" and parameter["in"] == "path":
                _expect(parameter["schema"] == {"type": "integer"}, name, f"integer in {path}")
                parameter["schema"] = {"type": "string", ADDED_BY: name}
                changed += 1
    _expect(changed == _CARD_PATHS, name, "the cardnumber path parameter on the two card paths")


def _rollback_body_is_an_id_array(document: Document) -> None:
    name = "giftcard-rollback-body"
    content = operation(document, "deleteGiftCardTransactions")["requestBody"]["content"]
    _expect(
        content["application/json"]["schema"] == ref("giftcardresponse-write"),
        name,
        "the request body declared as giftcardresponse-write",
    )
    content["application/json"]["schema"] = {
        "type": "array",
        "minItems": 1,
        "items": {"type": "string"},
        ADDED_BY: name,
    }


def _get_giftcard_returns_the_bare_card(document: Document) -> None:
    name = "getgiftcard-bare-card"
    content = response(document, "getGiftCard")["content"]["application/json"]
    _expect(
        content["schema"] == ref("giftcardresponse-read"),
        name,
        "getGiftCard's 200 declared as giftcardresponse-read",
    )
    _expect("giftcard" not in content["example"], name, "an example showing the bare card")
    content["schema"] = ref("giftcard-read") | {ADDED_BY: name}


def _batch_envelope_element(document: Document) -> None:
    name = "batch-envelope-element"
    envelope = schemas(document)["batchResponse"]
    _expect(
        envelope["properties"]["return"].get("type") == "integer",
        name,
        "batchResponse.return typed integer only",
    )
    # Update/delete batches answer `true` in `return`; failed elements carry their own
    # statuscode and an errortext, and nothing says they carry `return` at all.
    envelope["required"] = ["statuscode"]
    envelope["properties"] = {
        "statuscode": {"type": "integer"},
        "return": {"anyOf": [{"type": "integer"}, {"type": "boolean", "enum": [True]}]},
        "errortext": {"type": "string"},
    }
    envelope[ADDED_BY] = name


def _create_responses_have_schemas(document: Document) -> None:
    name = "missing-create-response-schemas"
    batch = {"type": "array", "items": ref("batchResponse")}
    expected: dict[str, dict[str, Any]] = {
        # "Returns orderid" / "orderdeliveryid" / "warehousebatchid": a bare number [FACTS 1].
        "addOrder": {"type": "integer"},
        "addOrderDelivery": {"type": "integer"},
        "addWarehouseBatch": {"type": "integer"},
        # "Returns warehousetransactionid or a batch envelope if multiple were added".
        "batchAddWarehouseTransactions": {"oneOf": [{"type": "integer"}, batch]},
        # "Returns a batch envelope with warehouseitemid for the warehouseitems set."
        "batchSetWarehouseItems": batch,
        # "Returns true or a batch envelope if multiple warehousebatchitems were set/deleted".
        "batchSetWarehouseBatchItems": {"oneOf": [{"type": "boolean", "enum": [True]}, batch]},
        "batchDeleteWarehouseBatchItems": {"oneOf": [{"type": "boolean", "enum": [True]}, batch]},
    }
    for operation_id, schema in expected.items():
        answer = response(document, operation_id)
        _expect("content" not in answer, name, f"{operation_id} without a response schema")
        answer["content"] = _json_content(schema, name)


def _error_responses_have_a_body(document: Document) -> None:
    name = "error-body"
    schemas(document)["Error-read"] = {
        "type": "object",
        "required": ["statuscode", "errortext"],
        "properties": {"statuscode": {"type": "integer"}, "errortext": {"type": "string"}},
        ADDED_BY: name,
    }
    for _, _, candidate in operations(document):
        for status in ERROR_STATUSES:
            response = candidate["responses"][status]
            _expect("content" not in response, name, f"{status} without content")
            response["content"] = _json_content(ref("Error-read"), name)


def _put_bodies_are_partial(document: Document) -> None:
    name = "partial-put-bodies"
    for operation_id, write_schema in (
        ("updateOrder", "order-write"),
        ("updateWarehouseBatch", "warehousebatch-write"),
    ):
        content = operation(document, operation_id)["requestBody"]["content"]["application/json"]
        _expect(content["schema"] == ref(write_schema), name, f"{operation_id} reusing POST")
        _expect(bool(schemas(document)[write_schema].get("required")), name, "required fields")
        patch = copy.deepcopy(schemas(document)[write_schema])
        del patch["required"]
        patch[ADDED_BY] = name
        schemas(document)[f"{write_schema}-patch"] = patch
        content["schema"] = ref(f"{write_schema}-patch")


def _product_categories_are_integers(document: Document) -> None:
    name = "product-categories-integers"
    categories = schemas(document)["product-read"]["properties"]["categories"]
    _expect(categories["items"]["type"] == "string", name, "categories typed array of string")
    categories["items"] = {"type": "integer", ADDED_BY: name}


def _sites_carry_their_guid(document: Document) -> None:
    name = "site-siteid"
    properties = schemas(document)["site-read"]["properties"]
    _expect("siteid" not in properties, name, "site-read without siteid")
    properties["siteid"] = {"type": "string", ADDED_BY: name}


def _additionaldata_is_a_string_map(document: Document) -> None:
    name = "additionaldata-string-map"
    maps = [schema for key, schema in schemas(document).items() if "-additionaldata-" in key]
    _expect(len(maps) == _ADDITIONALDATA_MAPS, name, "order/item/payment/reserved, read and write")
    for schema in maps:
        _expect("additionalProperties" not in schema, name, "additionaldata without a map type")
        # Their descriptions say: "any other properties are allowed as long as their values
        # are of type string" - the schemas only list the Sitoo-defined keys.
        schema["additionalProperties"] = {"type": "string", ADDED_BY: name}


def _order_lists_have_the_current_filters(document: Document) -> None:
    name = "order-list-filters"
    comma_list = {"style": "form", "explode": False, ADDED_BY: name}
    added = {
        "warehouseid": {"type": "array", "items": {"type": "integer"}},
        "creditorderid": {"type": "array", "items": {"type": "integer"}},
        "receiptid": {"type": "array", "items": {"type": "string"}},
    }
    for operation_id in ("getOrders", "getAllOrders"):
        parameters = operation(document, operation_id)["parameters"]
        declared = {parameter["name"] for parameter in parameters}
        _expect(not declared & added.keys(), name, f"{operation_id} without {sorted(added)}")
        parameters.extend(
            {"name": key, "in": "query", "schema": schema} | comma_list
            for key, schema in added.items()
        )


def _order_fields_from_the_examples(document: Document) -> None:
    name = "order-example-fields"
    # In the getOrder/getOrders examples (integers 0, strings), not in the schemas.
    order_fields = {
        "deliverytypeid": "integer",
        "deliverytypename": "string",
        "checkouttypeid": "integer",
        "checkouttypename": "string",
        "checkoutmethodid": "integer",
        "checkoutmethodsubid": "integer",
    }
    for schema_name, fields in (
        ("order-read", order_fields),
        ("orderitem-read", {"voucherid": "integer"}),
    ):
        properties = schemas(document)[schema_name]["properties"]
        _expect(not properties.keys() & fields.keys(), name, f"{schema_name} without {fields}")
        for field, kind in fields.items():
            properties[field] = {"type": kind, "nullable": True, ADDED_BY: name}


OVERRIDES: tuple[Override, ...] = (
    Override(
        "every-scalar-nullable",
        "No `nullable: true` anywhere, yet the API returns null for many typed fields "
        "(datereserved, externalid, storeid, reasoncode, ...). Every scalar schema of an "
        "answer becomes nullable; objects, arrays and request bodies do not.",
        _every_scalar_nullable,
    ),
    Override(
        "documented-request-nulls",
        "Request bodies get no blanket nullability (Sitoo refuses a null barcode); the write "
        "fields whose description allows null (order datereserved, line decimalunitquantity, "
        "warehouse-transaction shipmentid, externalid, reasoncode) become nullable.",
        _documented_request_nulls,
    ),
    Override(
        "giftcard-cardnumber-string",
        "The gift-card `cardnumber` path parameter is typed integer; card numbers are "
        "20-digit strings larger than int64.",
        _cardnumber_is_a_string,
    ),
    Override(
        "giftcard-rollback-body",
        "deleteGiftCardTransactions declares the giftcardresponse object as its body; the "
        "documented body is a JSON array of the addedtransactionids strings.",
        _rollback_body_is_an_id_array,
    ),
    Override(
        "getgiftcard-bare-card",
        "getGiftCard's 200 is declared as {giftcard: ...} but the example and "
        "developer.sitoo.com show the bare card object.",
        _get_giftcard_returns_the_bare_card,
    ),
    Override(
        "batch-envelope-element",
        "batchResponse.return is typed integer, but update/delete batches return true there "
        "and failed elements carry an errortext that is not modelled.",
        _batch_envelope_element,
    ),
    Override(
        "missing-create-response-schemas",
        "Create and batch operations have no response schema, only a description. Supplied "
        "from those descriptions: a bare integer id for creates, a batch envelope (or an id / "
        "true when a single element was sent) for batches.",
        _create_responses_have_schemas,
    ),
    Override(
        "error-body",
        "No 4xx/5xx response has content, though errors carry {statuscode, errortext} "
        "(Error-read, unreferenced). Every error response gets that body.",
        _error_responses_have_a_body,
    ),
    Override(
        "partial-put-bodies",
        "PUT bodies reuse the POST schemas with their required lists although the API patches "
        "(the spec's own PUT examples are partial). PUT bodies get a copy without required.",
        _put_bodies_are_partial,
    ),
    Override(
        "product-categories-integers",
        "product-read.categories is typed array of strings; real values are integers.",
        _product_categories_are_integers,
    ),
    Override(
        "site-siteid",
        "site-read has no siteid property although getSites returns one (the GUID string).",
        _sites_carry_their_guid,
    ),
    Override(
        "additionaldata-string-map",
        "additionaldata schemas list only Sitoo-defined keys while their description allows "
        "any other key with a string value.",
        _additionaldata_is_a_string_map,
    ),
    Override(
        "order-list-filters",
        "getOrders/getAllOrders lack the receiptid, creditorderid and warehouseid filters the "
        "current reference documents (comma lists, like the other id filters).",
        _order_lists_have_the_current_filters,
    ),
    Override(
        "order-example-fields",
        "The order examples carry fields the order schemas do not declare (deliverytypeid, "
        "deliverytypename, checkouttypeid, checkouttypename, checkoutmethodid, "
        "checkoutmethodsubid; voucherid on lines).",
        _order_fields_from_the_examples,
    ),
    Override(
        "collection-paging",
        "getSites, getOrderDeliveries and getOrderLogItems answer the {totalcount, items} "
        "envelope of every list but declare no start/num, with which every list pages "
        "(FACTS 2; default num 10, so a long order log would be cut at ten entries).",
        _collections_page_like_the_others,
    ),
)
