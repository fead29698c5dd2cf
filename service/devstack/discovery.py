"""Completes a command's settings with the running dev stack when Redis or Sitoo is not set."""

from __future__ import annotations

from pathlib import Path

import typer
from pydantic import AnyHttpUrl, SecretStr

from service.devstack.state import DevStack, find_state
from service.masking import mask_url
from service.settings import ENV_PREFIX, ConfigurationError, Settings, load_settings

EXIT_BAD_CONFIGURATION = 2


def with_dev_stack(settings: Settings, stack: DevStack) -> tuple[Settings, list[str]]:
    """``settings`` with what is unset taken from ``stack``; the parts taken, described."""
    used: list[str] = []
    if settings.redis.url is None and stack.redis_url is not None:
        redis = settings.redis.model_copy(update={"url": SecretStr(stack.redis_url)})
        settings = settings.model_copy(update={"redis": redis})
        used.append(f"Redis {mask_url(stack.redis_url)}")
    if settings.sitoo.uses_sandbox and stack.sandbox is not None:
        sitoo = settings.sitoo.model_copy(
            update={
                "base_url": AnyHttpUrl(stack.sandbox.base_url),
                "api_id": stack.sandbox.api_id,
                "api_password": SecretStr(stack.sandbox.api_password),
            }
        )
        settings = settings.model_copy(update={"sitoo": sitoo})
        used.append(f"the Sitoo sandbox {mask_url(stack.sandbox.base_url)}")
    return settings, used


def settings_for_command(start: Path | None = None) -> Settings:
    """The configured settings; what is unset comes from a running `sitoo-sync run` nearby.

    Says on stderr when it used the dev stack, and when it found one that is no longer
    running, so a person always knows which Redis and which Sitoo a command talks to.
    Bad configuration leaves with one line naming the variable and exit status 2.
    """
    try:
        settings = load_settings()
    except ConfigurationError as exc:
        typer.echo(f"configuration error: {exc}", err=True)
        raise typer.Exit(EXIT_BAD_CONFIGURATION) from None
    if settings.redis.url is not None and not settings.sitoo.uses_sandbox:
        return settings
    found = find_state((start or Path.cwd()).resolve())
    if found is None:
        return settings
    if not found.alive:
        typer.echo(
            f"note: {found.path} names a dev stack whose `sitoo-sync run` (pid "
            f"{found.stack.pid}) is gone; start it again, or set {ENV_PREFIX}REDIS__URL",
            err=True,
        )
        return settings
    settings, used = with_dev_stack(settings, found.stack)
    if used:
        typer.echo(
            f"using the dev stack of `sitoo-sync run` (pid {found.stack.pid}, {found.path}): "
            + " and ".join(used),
            err=True,
        )
    return settings
