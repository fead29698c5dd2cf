"""`sitoo-sync check`: is the configuration usable, is Redis there, does Sitoo accept us?

Sitoo publishes no error codes, only statuses and an ``errortext``, and its texts for a
refused IP, an unknown account or an unknown site are not documented. The texts matched
here are the built-in sandbox's (``Authentication failed``, ``IP not allowed``,
``Account not found``, ``Site not found``); the status alone still separates "refused"
(401/403) from "not found" (404), so an unfamiliar text degrades to the broader message.
"""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass
from typing import Any

import httpx
import stamina
from pydantic import ValidationError

from service.masking import mask_url
from service.records.connection import REDIS_FAILURES, master_of, redis_for
from service.records.streams import stream_names
from service.settings import ENV_PREFIX, Settings, SitooCredential
from service.sitoo.errors import NotApplied, SitooError
from service.sitoo.models import Page, Site
from service.sitoo.protocol import error_for_status
from service.sitoo.retry import backoff
from service.sitoo.transport import basic_auth, build_http_client, error_from_transport

_IP_WORDS = re.compile(r"\b(ip|ip address|allow-?list(ed)?|whitelist(ed)?)\b", re.IGNORECASE)
_ACCOUNT = re.compile(r"/accounts/([^/]+)/?$")
_BASE = f"{ENV_PREFIX}SITOO__"


class Failure(enum.Enum):
    """What went wrong, each with its own exit status."""

    CONFIGURATION = ("configuration", 2)
    REDIS_UNREACHABLE = ("redis_unreachable", 3)
    SITOO_UNREACHABLE = ("sitoo_unreachable", 4)
    WRONG_CREDENTIALS = ("wrong_credentials", 5)
    IP_NOT_ALLOWED = ("ip_not_allowed", 6)
    WRONG_ACCOUNT = ("wrong_account", 7)
    WRONG_SITE = ("wrong_site", 8)
    ACCESS_DENIED = ("access_denied", 9)
    SITOO_ERROR = ("sitoo_error", 10)
    NOT_READY = ("not_ready_for_go_live", 11)
    TOO_FEW_REPLICAS = ("too_few_redis_replicas", 12)

    @property
    def code(self) -> str:
        """A stable machine-readable name."""
        return self.value[0]

    @property
    def exit_status(self) -> int:
        """The process exit status for this failure."""
        return self.value[1]


@dataclass(frozen=True, slots=True)
class Finding:
    """One line of the report: what was checked and what came out."""

    subject: str
    message: str
    failure: Failure | None = None

    @property
    def ok(self) -> bool:
        """True when this check passed."""
        return self.failure is None

    def line(self) -> str:
        """``ok      sitoo: …`` or ``FAILED  sitoo: …``."""
        return f"{'ok' if self.ok else 'FAILED':<7} {self.subject}: {self.message}"


_REFUSED = {401: Failure.WRONG_CREDENTIALS, 403: Failure.ACCESS_DENIED}


def classify(status: int, errortext: str, *, site_path: bool) -> Failure:
    """The failure a Sitoo refusal stands for (``site_path``: the URL named a site)."""
    text = errortext.lower()
    if status in _REFUSED:
        return Failure.IP_NOT_ALLOWED if _IP_WORDS.search(errortext) else _REFUSED[status]
    if status != 404:  # noqa: PLR2004 - HTTP status
        return Failure.SITOO_ERROR
    # A 404 on the account-level list means the account part of the URL is wrong (the
    # sandbox says "Account not found", an unknown path says "Invalid URL"); on a
    # site-level path it is the site, unless the text names the account.
    if "account" in text or not site_path:
        return Failure.WRONG_ACCOUNT
    return Failure.WRONG_SITE


def account_of(base_url: str) -> str | None:
    """The account id at the end of a Sitoo base URL."""
    match = _ACCOUNT.search(base_url)
    return match.group(1) if match else None


def explain(failure: Failure, *, api_id: str, base_url: str, site_id: int, detail: str) -> str:
    """The one-line message an operator acts on."""
    account = account_of(base_url) or "?"
    messages = {
        Failure.WRONG_CREDENTIALS: (
            f"Sitoo refused API user '{api_id}' ({detail}): the API id or password is wrong; "
            f"generate a new password in Backoffice (Settings > Sitoo REST API) and set "
            f"{_BASE}API_ID / {_BASE}API_PASSWORD"
        ),
        Failure.IP_NOT_ALLOWED: (
            f"Sitoo refused this machine's IP address ({detail}): register the service's "
            "outgoing IP address in Sitoo's allow-list in Backoffice"
        ),
        Failure.WRONG_ACCOUNT: (
            f"Sitoo does not know account {account} for API user '{api_id}' ({detail}): "
            f"check the account id at the end of {_BASE}BASE_URL ({base_url}); it is the "
            "number before the dash in the API id"
        ),
        Failure.WRONG_SITE: (
            f"site {site_id} ({_BASE}SITE_ID) does not exist in account {account} ({detail})"
        ),
        Failure.ACCESS_DENIED: (
            f"API user '{api_id}' may not read the site ({detail}): it needs Administrator "
            "rights and the REST API extension on the account"
        ),
        Failure.SITOO_UNREACHABLE: f"cannot reach Sitoo at {base_url} ({detail})",
        Failure.SITOO_ERROR: f"Sitoo answered with an error ({detail})",
    }
    return messages.get(failure, detail)


def _detail(error: SitooError) -> str:
    errortext = getattr(error, "errortext", "")
    if error.status is None:
        return error.message.rsplit(": ", 1)[-1]
    return f"HTTP {error.status}" + (f": {errortext}" if errortext else "")


class Probe:
    """GETs with one credential, retried like any read (429s and 5xx wait and try again)."""

    def __init__(self, http: httpx.AsyncClient, credential: SitooCredential) -> None:
        self._http = http
        self._auth = basic_auth(credential)
        self.calls = 0  # distinct paths asked for, to tell which step failed

    async def _once(self, path: str, params: dict[str, str | int]) -> Any:  # noqa: ANN401 - JSON
        what = f"GET {path}"
        try:
            response = await self._http.get(path, params=params, auth=self._auth)
        except httpx.TransportError as exc:
            raise error_from_transport(exc, write=False, what=what) from exc
        error = error_for_status(
            response.status_code, response.headers, response.content, write=False, what=what
        )
        if error is not None:
            raise error
        return response.json()

    async def get(self, path: str, **params: str | int) -> Any:  # noqa: ANN401 - JSON
        self.calls += 1
        caller = stamina.AsyncRetryingCaller(attempts=4, timeout=None, wait_max=5.0)
        return await caller.on(backoff)(self._once, path, params)


class _SiteMissing(Exception):
    """The account has no site with the configured eshopid."""


async def _reach(probe: Probe, site_id: int) -> str:
    """List the sites, then read one page of the configured site; its URL."""
    try:
        sites = Page[Site].model_validate(await probe.get("sites.json", num=100)).items
    except ValidationError:
        raise SitooError("GET sites.json: the answer is not a list of sites", status=200) from None
    known = {site.eshopid: site for site in sites if site.eshopid is not None}
    if site_id not in known:
        names = ", ".join(f"{i} ({s.siteurl or 'no url'})" for i, s in sorted(known.items()))
        raise _SiteMissing(f"sites there: {names or 'none'}")
    await probe.get(f"sites/{site_id}/warehouses.json", num=1)
    return known[site_id].siteurl or "no url"


def failure_of(error: SitooError, *, site_path: bool) -> tuple[Failure, str]:
    if error.status is None:
        return Failure.SITOO_UNREACHABLE, _detail(error)
    if isinstance(error, NotApplied):  # 429 or 503 through every retry
        return Failure.SITOO_ERROR, _detail(error) + " (still refused after retries)"
    errortext = getattr(error, "errortext", "")
    return classify(error.status, errortext, site_path=site_path), _detail(error)


async def _check_credential(
    http: httpx.AsyncClient, credential: SitooCredential, settings: Settings
) -> Finding:
    sitoo = settings.sitoo
    base_url = mask_url(str(sitoo.base_url).rstrip("/"))
    subject = f"sitoo ({credential.api_id})"
    probe = Probe(http, credential)
    try:
        site_url = await _reach(probe, sitoo.site_id)
    except _SiteMissing as exc:
        failure, detail = Failure.WRONG_SITE, str(exc)
    except SitooError as exc:
        failure, detail = failure_of(exc, site_path=probe.calls > 1)
    else:
        account = account_of(base_url)
        return Finding(
            subject, f"reached account {account} at {base_url}, site {sitoo.site_id} ({site_url})"
        )
    message = explain(
        failure, api_id=credential.api_id, base_url=base_url, site_id=sitoo.site_id, detail=detail
    )
    return Finding(subject, message, failure)


def _redis_target(url: str) -> str:
    """host:port/db of a Redis URL, without user or password."""
    parsed = httpx.URL(url)
    if parsed.scheme == "unix":
        return mask_url(f"unix:{parsed.path}")
    return mask_url(f"{parsed.host}:{parsed.port or 6379}{parsed.path or ''}")


async def _check_redis(settings: Settings) -> Finding:
    if settings.redis.url is None:
        return Finding(
            "redis",
            f"not configured: `run` would start an embedded Redis (development only); set "
            f"{ENV_PREFIX}REDIS__URL",
            Failure.CONFIGURATION,
        )
    url = settings.redis.url.get_secret_value()
    target = _redis_target(url)
    client = redis_for(settings.redis, url, socket_connect_timeout=5, socket_timeout=5)
    try:
        await client.ping()
        # On a cluster the claims wait for the replicas of the master serving the
        # deployment's slot, so that master is the one to ask.
        master = await master_of(client, stream_names(settings).orders)
        route: dict[str, Any] = {} if master is None else {"target_nodes": master}
        if master is not None:
            target = f"{target}, slot master {master.host}:{master.port}"
        version = (await client.info("server", **route)).get("redis_version", "?")
        replicas = int((await client.info("replication", **route)).get("connected_slaves", 0))
        aof = int((await client.info("persistence", **route)).get("aof_enabled", 0))
    except REDIS_FAILURES as exc:
        # The exception text can carry the URL, password included: name the type only.
        message = f"cannot reach {target} ({type(exc).__name__})"
        return Finding("redis", message, Failure.REDIS_UNREACHABLE)
    finally:
        await client.aclose()
    wanted = settings.redis.claim_replicas
    if settings.redis.claim_fsync and not aof:
        return Finding(
            "redis",
            f"reached {target} (Redis {version}), but {ENV_PREFIX}REDIS__CLAIM_FSYNC needs "
            "`appendonly yes` there: no Sitoo write would be sent",
            Failure.CONFIGURATION,
        )
    if replicas < wanted:
        # Every claim would wait for replicas that are not there: no Sitoo write is sent.
        return Finding(
            "redis",
            f"reached {target} (Redis {version}) with {replicas} connected replicas, but "
            f"{ENV_PREFIX}REDIS__CLAIM_REPLICAS is {wanted}: no Sitoo write would be sent",
            Failure.TOO_FEW_REPLICAS,
        )
    waits = f", {replicas} replicas, claims wait for {wanted}" if wanted else ""
    return Finding("redis", f"reached {target} (Redis {version}{waits})")


async def run_checks(
    settings: Settings, *, sitoo_transport: httpx.AsyncBaseTransport | None = None
) -> list[Finding]:
    """Every finding, in order: Redis, then each Sitoo API user."""
    findings = [await _check_redis(settings)]
    if settings.sitoo.uses_sandbox:
        findings.append(
            Finding(
                "sitoo",
                f"not configured: `run` would use the built-in sandbox, not a real Sitoo; set "
                f"{_BASE}BASE_URL, {_BASE}API_ID and {_BASE}API_PASSWORD",
                Failure.CONFIGURATION,
            )
        )
        return findings
    async with build_http_client(settings.sitoo, sitoo_transport) as http:
        findings.extend(
            [await _check_credential(http, c, settings) for c in settings.sitoo.credentials()]
        )
    return findings


def exit_status(findings: list[Finding]) -> int:
    """0 when everything passed, else the exit status of the first failure."""
    for finding in findings:
        if finding.failure is not None:
            return finding.failure.exit_status
    return 0
