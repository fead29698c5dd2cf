"""Turning a fake's command-line options into its configuration, or one line and exit 2."""

from __future__ import annotations

from typing import Any, TypeVar

import typer
from pydantic import BaseModel, ValidationError

EXIT_BAD_OPTION = 2
Config = TypeVar("Config", bound=BaseModel)


def config_or_exit(model: type[Config], options: dict[str, Any]) -> Config:
    """Validate the options; a bad one prints ``invalid option --name: why`` and exits 2."""
    try:
        return model.model_validate(options)
    except ValidationError as exc:
        first = exc.errors(include_url=False, include_input=False)[0]
        option = "--" + str(first["loc"][-1]).replace("_", "-")
        typer.echo(f"invalid option {option}: {first['msg']}", err=True)
        raise typer.Exit(EXIT_BAD_OPTION) from None
