"""The batch endpoints: at most N items, each applied on its own, errors reported per item."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from service.fakes.woocommerce.store import FakeWooCommerce
from service.fakes.woocommerce.wp_json import WooError

Shape = dict[str, Any]
Item = TypeVar("Item")


def run_batch(
    store: FakeWooCommerce,
    params: dict[str, Any],
    *,
    create: Callable[[dict[str, Any]], Shape],
    update: Callable[[dict[str, Any]], Shape],
    delete: Callable[[int], Shape],
) -> dict[str, list[Shape]]:
    """``WC_REST_Controller::batch_items``: HTTP 200 even when items fail (FACTS.md §5.2).

    Items skip the endpoint's schema validation (so a decimal stock quantity is truncated,
    not refused); a failed item is ``{"id": <id or 0>, "error": {code, message, data}}``.
    """
    groups = {k: params.get(k) for k in ("create", "update", "delete") if params.get(k)}
    total = sum(len(v) for v in groups.values() if isinstance(v, list))
    limit = store.config.batch_limit
    if total > limit:
        raise WooError(
            "woocommerce_rest_request_entity_too_large",
            f"Unable to accept more than {limit} items for this request.",
            413,
        )
    answer: dict[str, list[Shape]] = {}
    for item in _items(groups.get("create")):
        answer.setdefault("create", []).append(_one(create, item, 0))
    for item in _items(groups.get("update")):
        answer.setdefault("update", []).append(_one(update, item, item.get("id")))
    for raw in groups.get("delete") or []:
        number = _int(raw)
        if number != 0:
            answer.setdefault("delete", []).append(_one(delete, number, number))
    return answer


def _items(group: object) -> list[dict[str, Any]]:
    if not isinstance(group, list):
        return []
    return [item if isinstance(item, dict) else {} for item in group]


def _int(value: object) -> int:
    try:
        return int(str(value))
    except ValueError:
        return 0


def _one(run: Callable[[Item], Shape], item: Item, item_id: object) -> Shape:
    try:
        return run(item)
    except WooError as error:
        return {"id": item_id, "error": error.body()}
