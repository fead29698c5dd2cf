"""The corrected description itself: the generated subset, the overrides and the validator."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest

from service.sandbox.openapi.description import raw_subset
from service.sandbox.openapi.overrides import OVERRIDES, StaleOverrideError, apply_overrides

from . import generate_spec
from .spec import ContractSpec

# The description's own examples that stay wrong after the overrides, and why. These are
# example defects (the schema is right), so they are not overridden.
EXAMPLE_DEFECTS = {
    ("getWarehouses", "response"): "items lack currencycode, which warehouse-read requires",
}


def _raw_subset() -> dict[str, Any]:
    return raw_subset()


def _refs(node: object) -> set[str]:
    if isinstance(node, dict):
        found = {node["$ref"]} if isinstance(node.get("$ref"), str) else set()
        return found.union(*(_refs(value) for value in node.values()))
    if isinstance(node, list):
        return set().union(*(_refs(value) for value in node))
    return set()


def test_subset_holds_exactly_the_listed_operations() -> None:
    """The generated file has every listed operation and nothing else."""
    document = _raw_subset()
    found = [
        operation["operationId"]
        for item in document["paths"].values()
        for method, operation in item.items()
        if method in generate_spec.HTTP_METHODS
    ]
    assert sorted(found) == sorted(generate_spec.OPERATION_IDS)


def test_subset_schemas_are_exactly_the_ref_closure() -> None:
    """Every $ref resolves inside the file and every kept schema is reachable."""
    document = _raw_subset()
    schemas = document["components"]["schemas"]
    referenced = {ref.removeprefix("#/components/schemas/") for ref in _refs(document)}
    assert referenced <= schemas.keys()
    assert schemas.keys() - referenced == set(generate_spec.EXTRA_SCHEMAS)


def test_generator_is_deterministic_on_its_own_output_shape() -> None:
    """Rebuilding the subset from the subset gives the same operations and schemas."""
    document = _raw_subset()
    rebuilt = generate_spec.build_subset(document)
    assert rebuilt["paths"] == document["paths"]
    assert rebuilt["components"]["schemas"] == document["components"]["schemas"]


@pytest.mark.parametrize("override", OVERRIDES, ids=lambda override: override.name)
def test_each_override_refuses_a_description_without_its_defect(override: Any) -> None:
    """Applying an override to an already corrected description fails instead of re-patching."""
    corrected = apply_overrides(_raw_subset())
    with pytest.raises(StaleOverrideError):
        override.apply(copy.deepcopy(corrected))


def test_overrides_leave_the_loaded_file_untouched() -> None:
    """apply_overrides works on a copy, so the raw description stays comparable."""
    raw = _raw_subset()
    before = json.dumps(raw, sort_keys=True)
    apply_overrides(raw)
    assert json.dumps(raw, sort_keys=True) == before


def test_every_example_matches_the_corrected_schemas(spec: ContractSpec) -> None:
    """The description's own request and response examples pass once the overrides apply."""
    failures: dict[tuple[str, str], list[str]] = {}
    for operation_id, operation in spec.operations.items():
        if operation.has_request_body:
            errors = spec.request_body_errors(operation, spec.request_example(operation_id))
            if errors:
                failures[operation_id, "request"] = errors
        example = spec.response_example(operation_id)
        if example is not None:
            errors = spec.response_errors(operation, 200, example)
            if errors:
                failures[operation_id, "response"] = errors
    assert failures.keys() == EXAMPLE_DEFECTS.keys(), failures


def test_closed_objects_reject_a_misspelt_field(spec: ContractSpec) -> None:
    """A response field the description does not declare is a contract failure."""
    operation = spec.operations["getWarehouse"]
    warehouse = spec.response_example("getWarehouse")
    assert spec.response_errors(operation, 200, warehouse) == []
    warehouse["warehousid"] = warehouse.pop("warehouseid")
    assert spec.response_errors(operation, 200, warehouse) != []


def test_scalars_accept_null_but_collections_do_not(spec: ContractSpec) -> None:
    """Nullable scalars are the documented correction; null lists stay violations."""
    operation = spec.operations["getOrder"]
    order = spec.response_example("getOrder")
    order["externalid"] = None
    order["datereserved"] = None
    assert spec.response_errors(operation, 200, order) == []
    order["orderitems"] = None
    assert spec.response_errors(operation, 200, order) != []


def test_create_answers_are_bare_integer_ids(spec: ContractSpec) -> None:
    """addOrder answers a bare id: an object or a string id is rejected."""
    operation = spec.operations["addOrder"]
    assert spec.response_errors(operation, 200, 17) == []
    assert spec.response_errors(operation, 200, "17") != []
    assert spec.response_errors(operation, 200, {"orderid": 17}) != []


def test_error_answers_need_statuscode_and_errortext(spec: ContractSpec) -> None:
    """Every error status takes the Sitoo error body and nothing else."""
    operation = spec.operations["getOrder"]
    body = {"statuscode": 404, "errortext": "Order not found"}
    assert spec.response_errors(operation, 404, body) == []
    assert spec.response_errors(operation, 404, {"error": "not found"}) != []
    assert spec.response_errors(operation, 403, body) != []


def test_parameters_are_checked_by_declared_type(spec: ContractSpec) -> None:
    """Comma lists of integers pass; unknown names and non-integers do not."""
    operation = spec.operations["getOrders"]
    path = "/sites/1/orders.json"
    assert spec.parameter_errors(operation, path, {"orderid": "1,2,3", "sort": "orderid"}) == []
    assert spec.parameter_errors(operation, path, {"orderid": "1,x"}) != []
    assert spec.parameter_errors(operation, path, {"order_id": "1"}) != []
    assert spec.parameter_errors(operation, "/sites/one/orders.json", None) != []


def test_money_and_quantities_need_their_decimals(spec: ContractSpec) -> None:
    """Money needs two decimals and quantities three, in requests and responses alike."""
    item = spec.operations["getWarehouseItems"]
    page: dict[str, Any] = {"totalcount": 1, "items": [{"sku": "A", "decimaltotal": "5.000"}]}
    assert spec.response_errors(item, 200, page) == []
    page["items"][0]["decimaltotal"] = "5"
    assert spec.response_errors(item, 200, page) != []
    redeem = spec.operations["addGiftCardTransaction"]
    assert spec.request_body_errors(redeem, {"moneyamount": "-299.00"}) == []
    assert spec.request_body_errors(redeem, {"moneyamount": "-299"}) != []


def test_answers_to_field_lists_may_omit_required_fields(spec: ContractSpec) -> None:
    """With ?fields= an order without ordertypeid is fine; without it, it is not."""
    orders = spec.operations["getAllOrders"]
    page: dict[str, Any] = {"totalcount": 1, "items": [{"orderid": 7}]}
    assert spec.response_errors(orders, 200, page) != []
    assert spec.response_errors(orders, 200, page, fields=True) == []
    page["items"][0]["orderid"] = "7"
    assert spec.response_errors(orders, 200, page, fields=True) != []


def test_gift_card_numbers_are_strings_in_paths(spec: ContractSpec) -> None:
    """A 20-digit card number is a valid path value once the override applies."""
    operation = spec.find("GET", "/sites/1/giftcards/95116763063530548720.json")
    assert operation.operation_id == "getGiftCard"
    path = "/sites/1/giftcards/95116763063530548720.json"
    assert spec.parameter_errors(operation, path, {"pin": "1234"}) == []
