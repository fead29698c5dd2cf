"""Decoding Sitoo's write answers and encoding results for the idempotency store."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from service.sitoo.errors import UnexpectedResponse
from service.sitoo.models import GiftCardResult
from service.sitoo.protocol import batch_values, parse_batch

if TYPE_CHECKING:
    from pydantic import JsonValue


def one_id(data: Any, *, what: str) -> int:  # noqa: ANN401 - raw JSON
    value = batch_values(parse_batch(data, expected=1, what=what), what=what)[0]
    try:
        return int(value)
    except (TypeError, ValueError) as exc:
        raise UnexpectedResponse(f"{what}: expected an id, got {value!r}") from exc


def id_list(data: Any, *, expected: int, what: str) -> list[int]:  # noqa: ANN401 - raw JSON
    values = batch_values(parse_batch(data, expected=expected, what=what), what=what)
    try:
        return [int(value) for value in values]
    except (TypeError, ValueError) as exc:
        raise UnexpectedResponse(f"{what}: expected ids, got {values!r}") from exc


def as_int(value: JsonValue) -> int:
    if not isinstance(value, int):
        raise TypeError(f"recorded result {value!r} is not an id")
    return value


def as_bool(value: JsonValue) -> bool:
    return bool(value)


def as_ids(value: JsonValue) -> list[int]:
    if not isinstance(value, list):
        raise TypeError(f"recorded result {value!r} is not a list of ids")
    return [as_int(item) for item in value]


def ids_to_json(ids: list[int]) -> JsonValue:
    encoded: list[JsonValue] = [*ids]
    return encoded


def result_from_json(value: JsonValue) -> GiftCardResult:
    return GiftCardResult.model_validate(value)


def result_to_json(result: GiftCardResult) -> JsonValue:
    dumped: JsonValue = result.model_dump(mode="json")
    return dumped
