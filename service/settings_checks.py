"""Checks on the settings' sources that pydantic does not make: names and JSON syntax.

``load_settings`` (:mod:`service.settings`) uses them so that every bad variable stops a
command with one line naming it, as a bad value does.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

from pydantic import BaseModel


def env_name(location: tuple[int | str, ...], *, prefix: str, delimiter: str) -> str:
    """The environment variable that sets the field at a pydantic error location."""
    parts = [str(part).upper() for part in location if not isinstance(part, int)]
    return prefix + delimiter.join(parts)


def our_variables(prefix: str) -> dict[str, str]:
    """Variables with ``prefix`` from the environment and the .env file, names in upper case."""
    from dotenv import dotenv_values  # noqa: PLC0415 - pydantic-settings' own dependency

    found: dict[str, str] = {}
    dotenv = Path(".env")
    if dotenv.is_file():
        found.update(
            (k.upper(), v or "") for k, v in dotenv_values(dotenv).items() if k is not None
        )
    found.update((k.upper(), v) for k, v in os.environ.items())
    return {k: v for k, v in found.items() if k.startswith(prefix)}


def unknown_setting(
    variables: dict[str, str], settings: type[BaseModel], *, prefix: str, delimiter: str
) -> str | None:
    """The first variable of the ``GROUP{delimiter}NAME`` form that names no setting.

    Only that form is judged: a name without the delimiter may be someone else's
    (Kubernetes' service links define ``SITOO_SYNC_PORT`` for a Service of that name).
    """
    groups = settings.model_fields
    for name in sorted(variables):
        parts = name.removeprefix(prefix).split(delimiter)
        if len(parts) < 2:  # noqa: PLR2004 - GROUP__NAME
            continue
        group = groups.get(parts[0].lower())
        if group is None:
            return name
        model = group.annotation
        known = (
            model.model_fields if isinstance(model, type) and issubclass(model, BaseModel) else {}
        )
        if parts[1].lower() not in known:
            return name
    return None


def unparsable_variable(
    error: str, variables: dict[str, str], *, prefix: str, delimiter: str
) -> str:
    """One line naming the variable whose JSON does not parse (pydantic names only the group)."""
    match = re.search(r'field "(\w+)"', error)
    group = prefix + (match.group(1).upper() if match else "")
    for name in sorted(variables):
        if name == group or name.startswith(group + delimiter):
            value = variables[name].strip()
            if value[:1] in {"[", "{"}:
                try:
                    json.loads(value)
                except ValueError:
                    return f"{name}: not valid JSON"
    return f"{group}: not valid JSON"
