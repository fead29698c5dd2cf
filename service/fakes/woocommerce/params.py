"""Request arguments validated the way the WordPress REST server does (rest_invalid_param)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from service.fakes.woocommerce.wp_json import WooError

Kind = Literal["integer", "string", "boolean", "date-time", "enum", "enum-list", "id-list"]
_TRUE = ("true", "1")
_BOOLEAN_TEXTS = ("true", "false", "1", "0")


@dataclass(frozen=True)
class Param:
    """One argument of an endpoint."""

    kind: Kind
    enum: tuple[str, ...] = ()
    minimum: int | None = None
    maximum: int | None = None
    default: Any = None
    required: bool = False


def page_params(*, orderby: tuple[str, ...], order_default: str = "desc") -> dict[str, Param]:
    """page, per_page, offset, order and orderby, as every collection has them."""
    return {
        "page": Param("integer", minimum=1, default=1),
        "per_page": Param("integer", minimum=1, maximum=100, default=10),
        "offset": Param("integer"),
        "order": Param("enum", enum=("asc", "desc"), default=order_default),
        "orderby": Param("enum", enum=orderby, default=orderby[0]),
    }


def listed(words: tuple[str, ...]) -> str:
    """``wp_sprintf_l``: "a", "a and b", "a, b, and c"."""
    if len(words) <= 2:  # noqa: PLR2004
        return " and ".join(words)
    return ", ".join(words[:-1]) + ", and " + words[-1]


class _Invalid(Exception):
    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def _integer(name: str, value: object, spec: Param) -> int:
    number: int | None = None
    if isinstance(value, int) and not isinstance(value, bool):
        number = value
    elif isinstance(value, float) and value.is_integer():
        number = int(value)
    elif isinstance(value, str):
        try:
            as_float = float(value)
        except ValueError:
            as_float = None
        if as_float is not None and as_float.is_integer():
            number = int(as_float)
    if number is None:
        raise _Invalid("rest_invalid_type", f"{name} is not of type integer.")
    low, high = spec.minimum, spec.maximum
    if low is not None and high is not None and not low <= number <= high:
        raise _Invalid(
            "rest_out_of_bounds", f"{name} must be between {low} (inclusive) and {high} (inclusive)"
        )
    if low is not None and high is None and number < low:
        raise _Invalid("rest_out_of_bounds", f"{name} must be greater than or equal to {low}")
    return number


def _boolean(name: str, value: object) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, int) and value in {0, 1}:
        return bool(value)
    if isinstance(value, str) and value.lower() in _BOOLEAN_TEXTS:
        return value.lower() in _TRUE
    raise _Invalid("rest_invalid_type", f"{name} is not of type boolean.")


def _one(name: str, value: object, spec: Param) -> Any:  # noqa: ANN401 - the argument's value
    if spec.kind == "integer":
        return _integer(name, value, spec)
    if spec.kind == "boolean":
        return _boolean(name, value)
    if spec.kind in {"string", "date-time"} and not isinstance(value, str):
        raise _Invalid("rest_invalid_type", f"{name} is not of type string.")
    if spec.kind == "date-time":
        # The format is checked here; the endpoint reads the time in the right zone.
        try:
            datetime.fromisoformat(str(value).strip())
        except ValueError:
            raise _Invalid("rest_invalid_date", "Invalid date.") from None
    if spec.kind == "enum" and value not in spec.enum:
        raise _Invalid("rest_not_in_enum", f"{name} is not one of {listed(spec.enum)}.")
    if spec.kind in {"enum-list", "id-list"}:
        return _list(name, value, spec)
    return value


def _list(name: str, value: object, spec: Param) -> list[Any]:
    items = value if isinstance(value, list) else str(value).split(",")
    if spec.kind == "id-list":
        number = Param("integer")
        return [
            abs(_integer(f"{name}[{i}]", item, number))
            for i, item in enumerate(items)
            if str(item).strip()
        ]
    for index, item in enumerate(items):
        if str(item).strip() not in spec.enum:
            raise _Invalid(
                "rest_not_in_enum", f"{name}[{index}] is not one of {listed(spec.enum)}."
            )
    return [str(item).strip() for item in items]


def validate(specs: Mapping[str, Param], given: Mapping[str, Any]) -> dict[str, Any]:
    """The validated arguments (defaults filled in); unknown arguments are passed through."""
    missing = [name for name, spec in specs.items() if spec.required and given.get(name) is None]
    if missing:
        raise WooError(
            "rest_missing_callback_param",
            f"Missing parameter(s): {', '.join(missing)}",
            400,
            params=missing,
        )
    result = dict(given)
    errors: dict[str, str] = {}
    details: dict[str, Any] = {}
    for name, spec in specs.items():
        if name not in given:
            if spec.default is not None:
                result[name] = spec.default
            continue
        try:
            result[name] = _one(name, given[name], spec)
        except _Invalid as invalid:
            errors[name] = invalid.message
            details[name] = {"code": invalid.code, "message": invalid.message, "data": None}
    if errors:
        raise WooError(
            "rest_invalid_param",
            f"Invalid parameter(s): {', '.join(errors)}",
            400,
            params=errors,
            details=details,
        )
    return result
