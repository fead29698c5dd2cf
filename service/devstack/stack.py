"""Starts the embedded Redis and the sandbox where nothing is configured, kept in step."""

from __future__ import annotations

import contextlib
import shutil
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import redis.asyncio as aioredis
import structlog
from pydantic import AnyHttpUrl, SecretStr

from service.devstack.state import (
    LOCAL_DIR,
    SANDBOX_API_ID,
    SANDBOX_API_PASSWORD,
    find_state,
)
from service.devstack.webshops import FakeWebshop, WebshopChoice, start_fake_webshops
from service.local.embedded import DEFAULT_PORT, EmbeddedRedis, embedded_redis, port_is_free
from service.records.keys import DeploymentKeys
from service.settings import ENV_PREFIX, ConfigurationError, Settings

if TYPE_CHECKING:
    from service.sandbox import RunningSandbox, SandboxConfig

log = structlog.get_logger(__name__)


class DevStackAlreadyRunningError(RuntimeError):
    """Another `run` uses this directory's dev stack."""


@dataclass
class StandIns:
    """The effective settings and what was started in place of a real Redis or Sitoo."""

    settings: Settings
    root: Path
    redis: EmbeddedRedis | None = None
    sandbox: RunningSandbox | None = None
    sandbox_port_wanted: int | None = None
    webshops: list[FakeWebshop] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def any(self) -> bool:
        """True when anything was stood in (a dev stack), false for a fully configured run."""
        return self.redis is not None or self.sandbox is not None


def _sandbox_config(settings: Settings) -> SandboxConfig:
    from service.sandbox import SandboxConfig  # noqa: PLC0415 - never loaded in production

    # API users configured besides the primary one are accepted by the sandbox too.
    users = {c.api_id: c.api_password for c in settings.sitoo.credentials()}
    return SandboxConfig(
        credentials={**users, SANDBOX_API_ID: SecretStr(SANDBOX_API_PASSWORD)},
        seed=settings.sandbox.seed,
        strict=settings.sandbox.strict,
    )


def _refuse_second_run(root: Path) -> None:
    found = find_state(root)
    if found is not None and found.alive and found.path.parent.parent == root:
        raise DevStackAlreadyRunningError(
            f"a dev stack is already running from {root} (pid {found.stack.pid}, "
            f"{found.path}); stop it first or start this one from another directory"
        )


async def _pair_sandbox_with_redis(stand_ins: StandIns, redis_url: str, *, reset: bool) -> str:
    """Restore the sandbox if its snapshot belongs to this Redis, else reset both.

    Returns the new generation id, already written to Redis.
    """
    from service.devstack import snapshot  # noqa: PLC0415 - never loaded in production

    settings, running = stand_ins.settings, stand_ins.sandbox
    assert running is not None  # noqa: S101 - only called with a sandbox
    path = stand_ins.root / LOCAL_DIR / snapshot.SNAPSHOT_FILE
    key = DeploymentKeys.from_settings(settings).devstack_generation
    client = aioredis.Redis.from_url(redis_url)
    try:
        raw = await client.get(key)
        held = raw.decode() if isinstance(raw, bytes) else raw
        saved = snapshot.load_snapshot(path)
        reason = (
            "--reset was given"
            if reset
            else snapshot.why_not_restore(saved, redis_generation=held, seed=settings.sandbox.seed)
        )
        if reason is None and isinstance(saved, snapshot.Snapshot):
            snapshot.restore_into(running.sandbox, saved.sandbox)
            stand_ins.notes.append(
                "dev state restored: the sandbox and Redis as the last run left them"
            )
            log.info("devstack.restored", generation=held)
        elif stand_ins.redis is not None:
            await client.flushall()  # our private server, nobody else's data
            first = held is None and isinstance(saved, str) and not reset
            stand_ins.notes.append(
                "new dev state: fresh sandbox, empty Redis"
                if first
                else f"dev state reset ({reason}): fresh sandbox, empty Redis"
            )
            log.info("devstack.reset", reason=reason)
        elif held is not None:
            stand_ins.notes.append(
                f"WARNING: fresh sandbox, but the configured Redis holds the state of another "
                f"sandbox run ({reason}); clear the keys {settings.redis.key_prefix}:* there or "
                f"set {ENV_PREFIX}REDIS__KEY_PREFIX to a new prefix, or the pollers' cursors will "
                "skip new orders"
            )
            log.warning("devstack.redis_out_of_step", reason=reason)
        snapshot.discard_snapshot(path)
        generation = uuid.uuid4().hex
        await client.set(key, generation)
    finally:
        await client.aclose()
    return generation


def _wipe_embedded_redis(data_dir: Path) -> None:
    if data_dir.exists():
        shutil.rmtree(data_dir)


@contextlib.asynccontextmanager
async def local_stand_ins(
    settings: Settings,
    *,
    root: Path,
    reset: bool = False,
    webshops: WebshopChoice = WebshopChoice(),  # noqa: B008 - frozen, never mutated
) -> AsyncIterator[StandIns]:
    """Yield the settings completed with an embedded Redis and the sandbox where none is set.

    With ``webshops``, the fake Shopify and/or WooCommerce are served beside the sandbox and
    their adapters configured to use them (only with the sandbox: their maps name its stores).
    """
    stand_ins = StandIns(settings=settings, root=root)
    if webshops.any and not settings.sitoo.uses_sandbox:
        raise ConfigurationError(
            f"{ENV_PREFIX}SITOO__BASE_URL is set: the fake webshops of --with-shopify and "
            "--with-woocommerce run only beside the sandbox"
        )
    if settings.redis.url is not None and not settings.sitoo.uses_sandbox:
        yield stand_ins
        return
    _refuse_second_run(root)
    local = root / LOCAL_DIR
    async with contextlib.AsyncExitStack() as stack:
        if settings.redis.url is None:
            if reset:
                _wipe_embedded_redis(local / "redis")
            stand_ins.redis = stack.enter_context(
                embedded_redis(local / "redis", port=DEFAULT_PORT)
            )
            redis_url = stand_ins.redis.url
            if stand_ins.redis.port != stand_ins.redis.preferred_port:
                stand_ins.notes.append(
                    f"port {stand_ins.redis.preferred_port} was taken: the embedded Redis is on "
                    f"{stand_ins.redis.port} instead"
                )
            log.warning(
                "redis.embedded_in_use",
                message="no Redis URL configured: started an embedded Redis for development; "
                "set SITOO_SYNC_REDIS__URL in production",
                redis_url=redis_url,
                server=stand_ins.redis.version,
                data_dir=str(local / "redis"),
            )
            settings = settings.model_copy(
                update={"redis": settings.redis.model_copy(update={"url": SecretStr(redis_url)})}
            )
        else:
            redis_url = settings.redis.url.get_secret_value()
        if settings.sitoo.uses_sandbox:
            # Loaded only here: a production run never imports the sandbox.
            from service.devstack import snapshot  # noqa: PLC0415
            from service.sandbox import serve_sandbox  # noqa: PLC0415

            wanted = settings.sandbox.port
            port = wanted if wanted == 0 or port_is_free(wanted) else 0
            running = await stack.enter_async_context(
                serve_sandbox(_sandbox_config(settings), host="127.0.0.1", port=port)
            )
            stand_ins.sandbox, stand_ins.sandbox_port_wanted = running, wanted
            if port != wanted:
                stand_ins.notes.append(
                    f"port {wanted} was taken: the sandbox is on {running.port} instead "
                    f"(set {ENV_PREFIX}SANDBOX__PORT to choose)"
                )
            log.warning(
                "sitoo.sandbox_in_use",
                message="no Sitoo credentials configured: using the built-in sandbox, NOT a real "
                "Sitoo; set SITOO_SYNC_SITOO__BASE_URL, __API_ID and __API_PASSWORD for a real one",
                sandbox_url=running.base_url,
            )
            stand_ins.settings = settings
            generation = await _pair_sandbox_with_redis(stand_ins, redis_url, reset=reset)
            # Runs first on the way out: the service has stopped, the sandbox still answers.
            stack.callback(
                snapshot.save_snapshot,
                local / snapshot.SNAPSHOT_FILE,
                running.sandbox,
                generation,
            )
            sitoo = settings.sitoo.model_copy(
                update={
                    "base_url": AnyHttpUrl(running.base_url),
                    "api_id": SANDBOX_API_ID,
                    "api_password": SecretStr(SANDBOX_API_PASSWORD),
                }
            )
            settings = settings.model_copy(update={"sitoo": sitoo})
            if webshops.any:
                settings, stand_ins.webshops = await start_fake_webshops(
                    stack, settings, running, webshops, stand_ins.notes
                )
        elif reset and stand_ins.redis is not None:
            stand_ins.notes.append("dev state reset (--reset was given): empty Redis")
        stand_ins.settings = settings
        yield stand_ins
