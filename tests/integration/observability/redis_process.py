"""A private redis-server on its own port that a test can stop and start again in place."""

from __future__ import annotations

import asyncio
import socket
from dataclasses import dataclass, field
from pathlib import Path

import redis.asyncio as aioredis
from redis.exceptions import RedisError

from tests.support.redis_server import redis_server_executable as provide_executable


def free_port() -> int:
    """A TCP port on 127.0.0.1 nobody listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def redis_server_executable() -> str:
    """redis-server from PATH, else the embedded extra's Valkey server."""
    return provide_executable()[0]


@dataclass
class RedisProcess:
    """redis-server with or without an append-only file, restartable on the same port."""

    data_dir: Path
    persistent: bool
    port: int = field(default_factory=free_port)
    _process: asyncio.subprocess.Process | None = None

    @property
    def url(self) -> str:
        """The URL clients use."""
        return f"redis://127.0.0.1:{self.port}/0"

    async def start(self) -> None:
        """Start it and wait until it answers PING."""
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self._process = await asyncio.create_subprocess_exec(
            redis_server_executable(),
            "--port",
            str(self.port),
            "--bind",
            "127.0.0.1",
            "--dir",
            str(self.data_dir),
            "--appendonly",
            "yes" if self.persistent else "no",
            "--save",
            "",
            stdout=asyncio.subprocess.DEVNULL,
            stderr=asyncio.subprocess.DEVNULL,
        )
        client = aioredis.Redis.from_url(self.url)
        try:
            async with asyncio.timeout(15):
                while True:
                    try:
                        if await client.ping():
                            return
                    except (RedisError, OSError):
                        await asyncio.sleep(0.05)
        finally:
            await client.aclose()

    async def stop(self) -> None:
        """SIGTERM and wait; with persistence the AOF is flushed first, as in a rolling restart."""
        if self._process is not None and self._process.returncode is None:
            self._process.terminate()
            await asyncio.wait_for(self._process.wait(), timeout=15)
        self._process = None
