"""What the service's /metrics can contain, read from the registry of a built (not started) app."""

from __future__ import annotations

import re

from pydantic import SecretStr

from service.app import build_service
from service.settings import HttpSettings, RedisSettings, Settings

# Families other projects define and the service exports unchanged.
FOREIGN_PREFIXES = ("process_", "python_", "faststream_")
# A PromQL identifier that names one of our series (or a foreign one we export).
_SERIES_NAME = re.compile(r"\b(?:sitoo_sync_|process_|python_|faststream_)[a-zA-Z0-9_]*\b")

_SUFFIXES = {
    "counter": ("_total",),
    "histogram": ("_bucket", "_count", "_sum"),
    "summary": ("_count", "_sum", ""),
    "info": ("_info",),
    "gauge": ("",),
}


def exported_families() -> dict[str, str]:
    """Every metric family of the service by name, with its type."""
    settings = Settings(
        redis=RedisSettings(url=SecretStr("redis://127.0.0.1:1/0")),
        http=HttpSettings(webhook_password=SecretStr("catalogue")),
    )
    registry = build_service(settings).metrics.registry
    return {family.name: family.type for family in registry.collect()}


def exported_series() -> set[str]:
    """Every series name a scrape can show (``_total``, ``_bucket``, ``_info``, ... included)."""
    return {
        name + suffix for name, kind in exported_families().items() for suffix in _SUFFIXES[kind]
    }


def series_in(expression: str) -> set[str]:
    """The names of our (and the exported foreign) series a PromQL expression reads."""
    return set(_SERIES_NAME.findall(expression))
