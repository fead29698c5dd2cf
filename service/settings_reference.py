"""Renders the configuration reference (every variable, default and meaning) from Settings."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from pydantic import BaseModel, SecretStr
from pydantic.fields import FieldInfo
from pydantic_core import PydanticUndefined

from service.settings import ENV_NESTED_DELIMITER, ENV_PREFIX, Settings

START_MARK = "<!-- configuration-reference:start -->"
END_MARK = "<!-- configuration-reference:end -->"
_SKIP_DEFAULTS = {"consumer"}  # host-dependent; printing it would make the reference unstable


def _fields(model: type[BaseModel], prefix: str) -> Iterator[tuple[str, FieldInfo, str]]:
    for name, info in model.model_fields.items():
        annotation = info.annotation
        env = f"{prefix}{name.upper()}"
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            yield from _fields(annotation, env + ENV_NESTED_DELIMITER)
        else:
            yield env, info, name


def _type_name(info: FieldInfo) -> str:
    text = str(info.annotation).replace("typing.", "").replace("pydantic.types.", "")
    text = text.replace("<class '", "").replace("'>", "").replace("pydantic.networks.", "")
    return text.replace("service.settings.", "")


def _default(info: FieldInfo, name: str) -> str:
    if name in _SKIP_DEFAULTS:
        return "host name"
    if info.default is PydanticUndefined:
        value: Any = info.default_factory() if info.default_factory else None  # type: ignore[call-arg]
    else:
        value = info.default
    if value is None:
        return "unset"
    if isinstance(value, SecretStr):
        return "(secret)"
    return f"`{json.dumps(value) if not isinstance(value, str) else value}`"


def render_reference() -> str:
    """The reference as a Markdown table."""
    lines = [
        "| variable | type | default | meaning |",
        "|---|---|---|---|",
    ]
    for env, info, name in _fields(Settings, ENV_PREFIX):
        description = (info.description or "").replace("|", "\\|").replace("\n", " ")
        type_name = _type_name(info).replace("|", "or")
        lines.append(f"| `{env}` | {type_name} | {_default(info, name)} | {description} |")
    return "\n".join(lines) + "\n"


def replace_reference(document: str) -> str:
    """Return the document with the text between the reference markers regenerated."""
    head, start, rest = document.partition(START_MARK)
    _, end, tail = rest.partition(END_MARK)
    if not start or not end:
        raise ValueError(f"markers {START_MARK} / {END_MARK} not found")
    return f"{head}{START_MARK}\n{render_reference()}{END_MARK}{tail}"
