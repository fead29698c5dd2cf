"""Renders docs/configuration.md: how configuration is read, and every variable from Settings."""

from __future__ import annotations

from pathlib import Path

from service.settings import ENV_NESTED_DELIMITER, ENV_PREFIX
from service.settings_reference import render_reference

DEFAULT_PATH = Path("docs/configuration.md")

_INTRO = f"""\
# Configuration

<!-- Generated from service/settings.py by `sitoo-sync docs config`; do not edit by hand. -->

Every setting is an environment variable `{ENV_PREFIX}<GROUP>{ENV_NESTED_DELIMITER}<NAME>`.
Two more sources are read, and the environment wins over both:

1. a `.env` file in the working directory (the container image has none);
2. files in `/run/secrets` named like the variables (Docker and Kubernetes secrets), e.g.
   `/run/secrets/{ENV_PREFIX}SITOO{ENV_NESTED_DELIMITER}API_PASSWORD`.

An invalid value stops every command at start with one line naming the variable and exit
status 2, no traceback; so do JSON that does not parse (`EXTRA_CREDENTIALS`, `CHANNELS`, a
whole group given as JSON) and a variable of a known group that names no setting (a typo
such as `SITOO_SYNC_STREAMS__MAX_DELIVERY` is refused, not ignored). Variables without the
`__` delimiter, such as the `SITOO_SYNC_PORT` Kubernetes sets for a Service of that name,
are not settings and are left alone. `sitoo-sync config` prints the effective configuration with every secret masked;
`sitoo-sync check` also reaches Redis and Sitoo with it (see [operations](operations.md)).

Secrets (`SecretStr` below) never appear in logs, in any command's output or in error
messages: the Sitoo API passwords, the Redis URL (it may carry a password) and the web-hook
password. Every URL the service prints (Redis, Sitoo's base URL, endpoints) is printed
without its user and password, and values of secret-named fields that come with events
(a gift-card `pin`) are masked the same way (see [operations](operations.md)).

Leaving `{ENV_PREFIX}SITOO{ENV_NESTED_DELIMITER}BASE_URL` or `{ENV_PREFIX}REDIS{ENV_NESTED_DELIMITER}URL`
unset makes `run` start the built-in sandbox or an embedded Redis: for trying the service
out, never for production. The container image has no embedded Redis.

## Every variable

"""  # noqa: E501 - the variable names cannot be wrapped


def render_configuration_page() -> str:
    """The whole of docs/configuration.md."""
    return _INTRO + render_reference()


def write_configuration_page(path: Path = DEFAULT_PATH) -> Path:
    """Write the page to ``path``; the path written."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(render_configuration_page(), encoding="utf-8")
    return path
