"""`sitoo-sync check --go-live`: is everything in and around Sitoo ready for the first event?

Runs the basic checks (configuration, Redis, every API user reaching the site), then one
line per go-live item (docs/go-live.md explains each): Redis version, persistence and
eviction; what each API user may read; the pickup stores and their warehouses; the
warehouses stock events name; the webshop's SKUs; the Events SPI endpoint; the secrets.
It only reads: GETs to Sitoo, INFO to Redis, and at most an unauthenticated POST to the
web-hook URL it is given (which must refuse it with 401).
"""

from __future__ import annotations

import os
from pathlib import Path

import httpx
import redis.asyncio as aioredis
from pydantic import SecretStr

from service.masking import mask_url
from service.operator.check import Failure, Finding, Probe, exit_status, run_checks
from service.operator.golive_account import (
    GoLivePlan,
    account_items,
    not_ready,
    ready,
    user_items,
)
from service.records.connection import REDIS_FAILURES
from service.settings import ENV_PREFIX, SECRETS_DIR, Settings, SitooCredential
from service.sitoo.transport import build_http_client

MIN_REDIS_MAJOR = 7  # XINFO GROUPS entries-read and lag, which the service reads
PLACEHOLDER = "REPLACE-"  # how the shipped manifests mark a value to fill in
_SECRET_VARIABLES = ("SITOO__API_PASSWORD", "REDIS__URL", "HTTP__WEBHOOK_PASSWORD")


def redis_version_item(version: str) -> Finding:
    """Whether the Redis version INFO reported is one the service can run on."""
    major_text = version.split(".", maxsplit=1)[0]
    major = int(major_text) if major_text.isdigit() else 0
    if major < MIN_REDIS_MAJOR:
        shown = version or "of unknown version"
        return not_ready(
            "redis version",
            f"Redis {shown}: the service needs Redis 7 or newer (consumer-group lag); upgrade it",
        )
    return ready("redis version", f"Redis {version}")


async def redis_items(settings: Settings) -> list[Finding]:
    """Version, persistence and eviction policy of the configured Redis (INFO only)."""
    if settings.redis.url is None:
        return []
    client = aioredis.Redis.from_url(
        settings.redis.url.get_secret_value(), socket_connect_timeout=5, socket_timeout=5
    )
    try:
        info = await client.info()
    except REDIS_FAILURES as exc:
        return [not_ready("redis settings", f"INFO refused ({type(exc).__name__})")]
    finally:
        await client.aclose()
    findings = [redis_version_item(str(info.get("redis_version", "")))]
    if str(info.get("aof_enabled", "0")) != "1":
        findings.append(
            not_ready(
                "redis persistence",
                "appendonly is off: a Redis restart would lose the streams, pending entries "
                "and idempotency records, and Sitoo writes could repeat; set appendonly yes "
                "(appendfsync everysec) or your provider's equivalent",
            )
        )
    else:
        findings.append(ready("redis persistence", "appendonly yes"))
    policy = str(info.get("maxmemory_policy", "?"))
    if policy != "noeviction":
        findings.append(
            not_ready(
                "redis eviction",
                f"maxmemory-policy is {policy}: under memory pressure Redis would drop "
                "idempotency records and leases (they have TTLs) and Sitoo writes could "
                "repeat; set maxmemory-policy noeviction and size maxmemory for the backlog",
            )
        )
    else:
        findings.append(ready("redis eviction", "maxmemory-policy noeviction"))
    return findings


def _api_passwords(settings: Settings) -> set[str]:
    return {c.api_password.get_secret_value() for c in settings.sitoo.credentials()}


async def webhook_items(
    settings: Settings, url: str | None, transport: httpx.AsyncBaseTransport | None = None
) -> list[Finding]:
    """The Events SPI endpoint is served, with its own password; reachable at ``url``."""
    http = settings.http
    if http.webhook_password is None:
        return [
            not_ready(
                "web hooks",
                f"{ENV_PREFIX}HTTP__WEBHOOK_PASSWORD is not set, so {http.webhook_path} is not "
                "served and changes arrive only by polling; set it and register the endpoint "
                "in Sitoo's Events SPI (see docs/go-live.md)",
            )
        ]
    if http.webhook_password.get_secret_value() in _api_passwords(settings):
        return [
            not_ready(
                "web hooks",
                f"{ENV_PREFIX}HTTP__WEBHOOK_PASSWORD equals a Sitoo API password: Sitoo must "
                "never be given API credentials for its web hooks; choose another password",
            )
        ]
    served = (
        f"served at {http.webhook_path} for user '{http.webhook_username}'; register "
        f"https://<public host>{http.webhook_path} with these credentials in Sitoo's Events SPI"
    )
    if url is None:
        return [ready("web hooks", served + " (give --webhook-url to test it from here)")]
    return [ready("web hooks", served), await _probe_webhook(url, transport)]


async def _probe_webhook(given: str, transport: httpx.AsyncBaseTransport | None) -> Finding:
    subject = "web-hook url"
    url = mask_url(given)  # as printed; the probe goes to the URL as given
    if not given.startswith("https://"):
        return not_ready(
            subject, f"{url} is not HTTPS: Sitoo posts only to HTTPS with a valid certificate"
        )
    try:
        async with httpx.AsyncClient(transport=transport, timeout=10) as client:
            answer = await client.post(given, content=b"[]")  # no credentials: must be refused
    except httpx.HTTPError as exc:
        return not_ready(subject, f"{url} cannot be reached from here ({type(exc).__name__})")
    challenge = answer.headers.get("www-authenticate", "").lower().startswith("basic")
    if answer.status_code != 401 or not challenge:  # noqa: PLR2004 - HTTP status
        return not_ready(
            subject,
            f"{url} answered {answer.status_code} without credentials, not 401 with a Basic "
            "challenge: it is not sitoo-sync's endpoint (check the path) or something in "
            "front of it answers instead",
        )
    return ready(subject, f"{url} is reachable and refuses unauthenticated posts (401)")


def _text(value: object) -> str:
    """A setting's value as text, secrets revealed (only to look for placeholders)."""
    if isinstance(value, SecretStr):
        return value.get_secret_value()
    if isinstance(value, list | dict):
        items = value.values() if isinstance(value, dict) else value
        return " ".join(_text(item) for item in items)
    return str(value)


def secret_item(settings: Settings, environ: dict[str, str] | None = None) -> Finding:
    """No placeholder left in the configuration; in Kubernetes, secrets come from files."""
    environ = dict(os.environ if environ is None else environ)
    placeholders = sorted(
        f"{ENV_PREFIX}{group.upper()}__{name.upper()}"
        for group, section in settings.model_dump().items()
        for name, value in section.items()
        if PLACEHOLDER in _text(value)
    )
    if placeholders:
        return not_ready(
            "secrets",
            f"{', '.join(placeholders)} still hold(s) a {PLACEHOLDER}… placeholder from the "
            "example manifests: put the real values in the Secret / ConfigMap",
        )
    in_kubernetes = "KUBERNETES_SERVICE_HOST" in environ
    as_variables = [ENV_PREFIX + name for name in _SECRET_VARIABLES if ENV_PREFIX + name in environ]
    if in_kubernetes and as_variables:
        return not_ready(
            "secrets",
            f"{', '.join(as_variables)} come from environment variables: mount the Secret as "
            f"files in {SECRETS_DIR} instead (deploy/k8s/deployment.yaml), so they do not show "
            "in the pod spec or in crash dumps",
        )
    where = f"files in {SECRETS_DIR}" if Path(SECRETS_DIR).is_dir() else "the environment"
    return ready("secrets", f"no placeholders; secrets read from {where}")


async def run_go_live(
    settings: Settings,
    plan: GoLivePlan,
    *,
    webhook_url: str | None = None,
    sitoo_transport: httpx.AsyncBaseTransport | None = None,
    webhook_transport: httpx.AsyncBaseTransport | None = None,
    environ: dict[str, str] | None = None,
) -> list[Finding]:
    """The basic checks, then every go-live item that can be checked after them."""
    findings = await run_checks(settings, sitoo_transport=sitoo_transport)
    failed = {finding.subject for finding in findings if not finding.ok}
    if "redis" not in failed:
        findings += await redis_items(settings)
    reached = [c for c in settings.sitoo.credentials() if f"sitoo ({c.api_id})" not in failed]
    if not settings.sitoo.uses_sandbox and reached:
        interactive = {c.api_id for c in settings.sitoo.interactive_credentials}
        async with build_http_client(settings.sitoo, sitoo_transport) as http:

            def probe_for(credential: SitooCredential) -> Probe:
                return Probe(http, credential)

            findings += await user_items(probe_for, settings, reached, interactive=interactive)
            findings += await account_items(probe_for(reached[0]), settings, plan)
    findings += await webhook_items(settings, webhook_url, webhook_transport)
    findings.append(secret_item(settings, environ))
    return findings


def go_live_exit_status(findings: list[Finding]) -> int:
    """The first basic failure's status; else 11 when any go-live item is not ready; else 0."""
    basic = [f for f in findings if f.failure not in {None, Failure.NOT_READY}]
    if basic:
        return exit_status(basic)
    return Failure.NOT_READY.exit_status if any(not f.ok for f in findings) else 0
