"""`sitoo-sync check --go-live` against the sandbox over HTTP and private Redis servers.

A ready account passes every item and nothing is written anywhere; each broken state the
sandbox's admin API (or the configuration) can set up is named on its own line, with what
to do, and the exit status says the go-live is not ready.
"""

from __future__ import annotations

import json
import re
import shlex
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from pydantic import SecretStr

from service.operator.check import Failure
from service.operator.golive import run_go_live
from service.operator.golive_account import GoLivePlan
from service.sandbox import RunningSandbox, SandboxConfig, serve_sandbox
from service.settings import load_settings
from service.webhooks.intake import webhook_app
from tests.integration.observability.redis_process import RedisProcess
from tests.integration.operator.conftest import invoke, point_at_sitoo

pytestmark = pytest.mark.usefixtures("operator_env")
HOOK_PASSWORD = "hook-secret-1"
TILL = {"api_id": "till", "api_password": "till-password"}
NOT_READY = Failure.NOT_READY.exit_status


@pytest.fixture
async def sandbox() -> AsyncIterator[RunningSandbox]:
    """A demo account with a second API user for the checkout lane."""
    credentials = {"sandbox": SecretStr("sandbox"), TILL["api_id"]: SecretStr(TILL["api_password"])}
    async with serve_sandbox(SandboxConfig(credentials=credentials), port=0) as running:
        yield running


@pytest.fixture
async def durable_redis(tmp_path: Path) -> AsyncIterator[RedisProcess]:
    """A private Redis as production should run it: append-only file, no eviction."""
    process = RedisProcess(tmp_path / "aof", persistent=True)
    await process.start()
    yield process
    await process.stop()


@pytest.fixture
def ready_env(
    operator_env: None,
    monkeypatch: pytest.MonkeyPatch,
    sandbox: RunningSandbox,
    durable_redis: RedisProcess,
) -> None:
    """Everything configured as docs/go-live.md asks (over the operator's test names)."""
    del operator_env
    point_at_sitoo(monkeypatch, sandbox.base_url)
    monkeypatch.setenv("SITOO_SYNC_SITOO__INTERACTIVE_CREDENTIALS", json.dumps([TILL]))
    monkeypatch.setenv("SITOO_SYNC_REDIS__URL", durable_redis.url)
    monkeypatch.setenv("SITOO_SYNC_HTTP__WEBHOOK_PASSWORD", HOOK_PASSWORD)


def _lines(output: str) -> dict[str, str]:
    """``subject -> line`` of a check's output."""
    found = {}
    for line in output.splitlines():
        subject = line[8:].split(": ", 1)[0]
        found[subject] = line
    return found


def _skus(tmp_path: Path, *skus: str) -> str:
    path = tmp_path / "skus.txt"
    path.write_text("# the webshop's SKUs\n" + "\n".join(skus) + "\n", encoding="utf-8")
    return str(path)


@pytest.mark.usefixtures("ready_env")
async def test_a_ready_account_passes_every_item_and_nothing_is_written(
    sandbox: RunningSandbox, durable_redis: RedisProcess, tmp_path: Path
) -> None:
    """Exit 0, one `ok` line per item, only GETs reached Sitoo and Redis holds no key."""
    result = await invoke(
        "check", "--go-live",
        "--store", "STORE-1", "--store", "STORE-2",
        "--virtual-warehouse", "WH-WEB", "--fifo-warehouse", "WH-STORE-1",
        "--skus", _skus(tmp_path, "SKU-0001", "SKU-0002", "SKU-0100"),
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    lines = _lines(result.stdout)
    assert all(line.startswith("ok ") for line in lines.values()), result.output
    for subject in (
        "redis", "sitoo (sandbox)", "sitoo (till)", "redis version", "redis persistence",
        "redis eviction", "api user sandbox", "api user till", "store STORE-1", "store STORE-2",
        "warehouse WH-WEB", "warehouse WH-STORE-1", "skus", "web hooks", "secrets",
    ):  # fmt: skip
        assert subject in lines, f"no line for {subject}: {result.output}"
    assert "pickup orders go to warehouse 1 (WH-STORE-1)" in lines["store STORE-1"]
    assert "serves gift cards only" in lines["api user till"]
    assert "all 3 SKU(s)" in lines["skus"]
    async with httpx.AsyncClient(base_url=sandbox.url) as admin:
        assert (await admin.get("/_sandbox/ledger")).json() == []
        endpoints = (await admin.get("/_sandbox/requests")).json()["endpoints"]
    assert endpoints
    assert all(name.startswith("GET ") for name in endpoints), endpoints
    import redis.asyncio as aioredis  # noqa: PLC0415

    client = aioredis.Redis.from_url(durable_redis.url)
    try:
        assert await client.dbsize() == 0
    finally:
        await client.aclose()


@pytest.mark.usefixtures("ready_env")
async def test_redis_without_persistence_or_with_eviction(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """appendonly no and an evicting policy are each named with the setting to change."""
    volatile = RedisProcess(tmp_path / "volatile", persistent=False)
    await volatile.start()
    try:
        import redis.asyncio as aioredis  # noqa: PLC0415

        client = aioredis.Redis.from_url(volatile.url)
        await client.config_set("maxmemory-policy", "allkeys-lru")
        await client.aclose()
        monkeypatch.setenv("SITOO_SYNC_REDIS__URL", volatile.url)
        result = await invoke("check", "--go-live")
    finally:
        await volatile.stop()
    assert result.exit_code == NOT_READY, result.output
    lines = _lines(result.stdout)
    assert lines["redis persistence"].startswith("FAILED  redis persistence: appendonly is off")
    assert "set appendonly yes" in lines["redis persistence"]
    assert "maxmemory-policy is allkeys-lru" in lines["redis eviction"]
    assert "set maxmemory-policy noeviction" in lines["redis eviction"]
    assert lines["redis version"].startswith("ok ")


@pytest.mark.usefixtures("ready_env")
async def test_stores_without_externalid_warehouse_or_with_a_shared_one(
    sandbox: RunningSandbox,
) -> None:
    """Each pickup store is judged as the order consumer would pick its warehouse."""
    async with httpx.AsyncClient(base_url=sandbox.url) as admin:
        await admin.post("/_sandbox/stores", json={"name": "Uppsala"})  # store 4
        await admin.post("/_sandbox/stores", json={"name": "Lund", "externalid": "STORE-5"})
        kiruna = (
            await admin.post("/_sandbox/stores", json={"name": "Kiruna", "externalid": "STORE-2"})
        ).json()
        await admin.post(
            "/_sandbox/warehouses", json={"name": "Kiruna lager", "storeid": kiruna["storeid"]}
        )
    result = await invoke("check", "--go-live")
    assert result.exit_code == NOT_READY, result.output
    lines = _lines(result.stdout)
    assert lines["store STORE-1"].startswith("ok ")
    assert "has no externalid" in lines["store 4 (Uppsala)"]
    assert "has no sellable FIFO warehouse" in lines["store STORE-5"]
    assert "link one to the store in Backoffice" in lines["store STORE-5"]
    assert "externalid shared by stores 2, 6" in lines["store STORE-2"]
    named = await invoke("check", "--go-live", "--store", "STORE-9")
    assert "no store has this externalid (there are: STORE-1, STORE-2" in named.stdout


@pytest.mark.usefixtures("ready_env")
async def test_warehouses_of_the_wrong_type_missing_or_shared(sandbox: RunningSandbox) -> None:
    """stock.set needs a virtual warehouse, stock.adjusted a FIFO one; externalids are unique."""
    result = await invoke(
        "check", "--go-live",
        "--virtual-warehouse", "WH-STORE-1", "--virtual-warehouse", "WH-NONE",
        "--fifo-warehouse", "WH-WEB",
    )  # fmt: skip
    assert result.exit_code == NOT_READY, result.output
    lines = _lines(result.stdout)
    assert (
        "takes no stock.set: that needs a virtual (type 20) warehouse"
        in lines["warehouse WH-STORE-1"]
    )
    assert "takes no stock.adjusted: that needs a FIFO warehouse" in lines["warehouse WH-WEB"]
    assert "no warehouse has this externalid" in lines["warehouse WH-NONE"]
    async with httpx.AsyncClient(base_url=sandbox.url) as admin:
        await admin.post(
            "/_sandbox/warehouses",
            json={"name": "Web 2", "warehousetype": 20, "usetype": 20, "externalid": "WH-WEB"},
        )
    shared = _lines((await invoke("check", "--go-live")).stdout)
    assert "WH-WEB name more than one warehouse" in shared["warehouses"]


@pytest.mark.usefixtures("ready_env")
async def test_skus_missing_in_sitoo_or_invalid_in_events(tmp_path: Path) -> None:
    """The webshop's SKUs that would be dead-lettered are listed, with both reasons."""
    skus = _skus(tmp_path, "SKU-0001", "SKU-9999", "bad sku!", "SKU-0002")
    result = await invoke("check", "--go-live", "--skus", skus)
    assert result.exit_code == NOT_READY, result.output
    line = _lines(result.stdout)["skus"]
    assert "2 of 4 SKU(s) would be dead-lettered" in line
    assert "not in Sitoo: SKU-9999" in line
    assert "not valid in events (letters, digits and _+-/. only): bad sku!" in line


@pytest.mark.usefixtures("ready_env")
async def test_an_api_user_without_administrator_rights(
    sandbox: RunningSandbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A till user that may not read is named; the other users' items are still checked."""
    async with httpx.AsyncClient(base_url=sandbox.url) as admin:
        answer = await admin.put(
            "/_sandbox/users/till", json={"password": TILL["api_password"], "administrator": False}
        )
    assert answer.json() == {"api_id": "till", "administrator": False}
    result = await invoke("check", "--go-live")
    assert result.exit_code == Failure.ACCESS_DENIED.exit_status, result.output
    lines = _lines(result.stdout)
    assert "Administrator rights" in lines["sitoo (till)"]
    assert "api user till" not in lines  # what it may read cannot be told
    assert lines["api user sandbox"].startswith("ok ")
    monkeypatch.setenv("SITOO_SYNC_SITOO__MAX_IN_FLIGHT", "2")
    assert (
        "429 Too many connections"
        in _lines((await invoke("check", "--go-live")).stdout)["api users"]
    )


@pytest.mark.usefixtures("ready_env")
async def test_web_hook_password_unset_or_reused(monkeypatch: pytest.MonkeyPatch) -> None:
    """Without its own password the Events SPI endpoint is not served, or not safely."""
    monkeypatch.delenv("SITOO_SYNC_HTTP__WEBHOOK_PASSWORD")
    unset = _lines((await invoke("check", "--go-live")).stdout)["web hooks"]
    assert "HTTP__WEBHOOK_PASSWORD is not set" in unset
    monkeypatch.setenv("SITOO_SYNC_HTTP__WEBHOOK_PASSWORD", "sandbox")  # the API password
    reused = await invoke("check", "--go-live")
    assert reused.exit_code == NOT_READY
    assert "equals a Sitoo API password" in _lines(reused.stdout)["web hooks"]
    assert "sandbox" not in _lines(reused.stdout)["web hooks"].split(":", 2)[2]


@pytest.mark.usefixtures("ready_env")
async def test_web_hook_url_is_probed_without_credentials(redis_url: str) -> None:
    """HTTPS and a 401 from the endpoint pass; plain HTTP or another answer do not."""
    settings = load_settings()
    import redis.asyncio as aioredis  # noqa: PLC0415

    client = aioredis.Redis.from_url(redis_url)
    endpoint = httpx.ASGITransport(app=webhook_app(settings, lambda: client))  # type: ignore[arg-type]
    try:
        good = await run_go_live(
            settings,
            GoLivePlan(),
            webhook_url="https://sync.example.com/sitoo/events",
            webhook_transport=endpoint,
        )
        wrong_path = await run_go_live(
            settings,
            GoLivePlan(),
            webhook_url="https://sync.example.com/events",
            webhook_transport=endpoint,
        )
        plain = await run_go_live(
            settings, GoLivePlan(), webhook_url="http://sync.example.com/sitoo/events"
        )
    finally:
        await client.aclose()
    [probe] = [f for f in good if f.subject == "web-hook url"]
    assert probe.ok, probe.line()
    assert "refuses unauthenticated posts (401)" in probe.message
    [probe] = [f for f in wrong_path if f.subject == "web-hook url"]
    assert not probe.ok
    assert "answered 404 without credentials" in probe.message
    [probe] = [f for f in plain if f.subject == "web-hook url"]
    assert "is not HTTPS" in probe.message


@pytest.mark.usefixtures("ready_env")
async def test_placeholders_and_secrets_in_variables_under_kubernetes(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A REPLACE-ME left from the manifests, or secrets as variables in a pod, are named."""
    monkeypatch.setenv("SITOO_SYNC_HTTP__WEBHOOK_PASSWORD", "REPLACE-ME")
    line = _lines((await invoke("check", "--go-live")).stdout)["secrets"]
    assert "SITOO_SYNC_HTTP__WEBHOOK_PASSWORD still hold(s) a REPLACE-… placeholder" in line
    monkeypatch.setenv("SITOO_SYNC_HTTP__WEBHOOK_PASSWORD", HOOK_PASSWORD)
    monkeypatch.setenv("KUBERNETES_SERVICE_HOST", "10.0.0.1")
    result = await invoke("check", "--go-live")
    assert result.exit_code == NOT_READY
    line = _lines(result.stdout)["secrets"]
    assert "SITOO_SYNC_SITOO__API_PASSWORD, SITOO_SYNC_REDIS__URL" in line
    assert "mount the Secret as files in /run/secrets" in line


async def test_an_empty_account(
    monkeypatch: pytest.MonkeyPatch, durable_redis: RedisProcess
) -> None:
    """No stores and no products: both named before any event could fail on them."""
    async with serve_sandbox(SandboxConfig(seed="empty"), port=0) as empty:
        point_at_sitoo(monkeypatch, empty.base_url)
        monkeypatch.setenv("SITOO_SYNC_REDIS__URL", durable_redis.url)
        monkeypatch.setenv("SITOO_SYNC_HTTP__WEBHOOK_PASSWORD", HOOK_PASSWORD)
        result = await invoke("check", "--go-live")
    assert result.exit_code == NOT_READY, result.output
    lines = _lines(result.stdout)
    assert "the site has no stores" in lines["stores"]
    assert "the site has no products" in lines["skus"]


async def test_go_live_options_need_go_live() -> None:
    """Naming stores without --go-live is a usage error, not a silently ignored option."""
    result = await invoke("check", "--store", "STORE-1")
    assert result.exit_code == 2
    assert "add --go-live" in result.output


def _normalised(line: str) -> str:
    """A line with what differs from machine to machine (ports, Redis version) blanked."""
    line = re.sub(r"127\.0\.0\.1:\d+", "127.0.0.1:PORT", line)
    return re.sub(r"Redis \d+\.\d+\.\d+", "Redis X.Y.Z", line)


def _documented() -> tuple[list[str], list[str], list[str]]:
    """docs/go-live.md: the command's arguments, its printed lines, the failure examples."""
    text = (blocks_root() / "docs" / "go-live.md").read_text(encoding="utf-8")
    fences = re.findall(r"^```(\w*)\n(.*?)^```", text, flags=re.MULTILINE | re.DOTALL)
    [command] = [body for lang, body in fences if lang == "sh" and "--go-live" in body]
    printed, failures = [body.splitlines() for lang, body in fences if lang == ""]
    return shlex.split(command.replace("\\\n", " "))[1:], printed, failures


def blocks_root() -> Path:
    """The repository's root."""
    return Path(__file__).resolve().parents[3]


async def test_the_documented_run_prints_the_documented_lines(
    monkeypatch: pytest.MonkeyPatch, durable_redis: RedisProcess, tmp_path: Path
) -> None:
    """The page's command, on the setup it describes, prints its lines; its failures too."""
    args, printed, failures = _documented()
    credentials = {"10020-140": SecretStr("pw-140"), "10020-141": SecretStr("pw-141")}
    async with serve_sandbox(SandboxConfig(credentials=credentials), port=0) as running:
        point_at_sitoo(monkeypatch, running.base_url, api_id="10020-140", password="pw-140")
        interactive = [{"api_id": "10020-141", "api_password": "pw-141"}]
        monkeypatch.setenv("SITOO_SYNC_SITOO__INTERACTIVE_CREDENTIALS", json.dumps(interactive))
        monkeypatch.setenv("SITOO_SYNC_REDIS__URL", durable_redis.url)
        monkeypatch.setenv("SITOO_SYNC_HTTP__WEBHOOK_PASSWORD", HOOK_PASSWORD)
        (tmp_path / "skus.txt").write_text("SKU-0001\nSKU-0002\nSKU-0003\n", encoding="utf-8")
        monkeypatch.chdir(tmp_path)
        ready_run = await invoke(*args)
        async with httpx.AsyncClient(base_url=running.url) as admin:
            await admin.post("/_sandbox/stores", json={"name": "Lund", "externalid": "STORE-5"})
        store_run = await invoke("check", "--go-live", "--store", "STORE-5")
        volatile = RedisProcess(tmp_path / "volatile", persistent=False)
        await volatile.start()
        monkeypatch.setenv("SITOO_SYNC_REDIS__URL", volatile.url)
        try:
            redis_run = await invoke("check", "--go-live")
        finally:
            await volatile.stop()
    assert ready_run.exit_code == 0, ready_run.output
    actual = [_normalised(line) for line in ready_run.stdout.splitlines()]
    documented = [_normalised(line) for line in printed]
    assert actual == documented
    seen = {_normalised(line) for run in (store_run, redis_run) for line in run.stdout.splitlines()}
    for line in failures:
        assert _normalised(line) in seen, line
