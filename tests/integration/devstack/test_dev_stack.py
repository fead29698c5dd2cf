"""A person's first minutes: `run` with nothing configured, then every command finds it."""

from __future__ import annotations

import asyncio
import json
import signal
import socket
from pathlib import Path

import httpx

from tests.integration.devstack.devrun import cli, dev_run, port_open


async def test_banner_credentials_and_every_command_find_the_dev_stack(tmp_path: Path) -> None:
    """status, dlq, check, config, resync, send and tail work with no variable set."""
    below = tmp_path / "somewhere" / "deeper"
    below.mkdir(parents=True)
    async with dev_run(tmp_path) as run:
        text = run.text
        sandbox = run.state["sandbox"]
        assert run.redis_url in text
        assert sandbox["base_url"] in text
        assert "sandbox / password sandbox" in text
        assert (sandbox["api_id"], sandbox["api_password"]) == ("sandbox", "sandbox")
        assert f"{run.state['service_url']}/healthz" in text

        async with httpx.AsyncClient() as http:
            sites = await http.get(f"{sandbox['base_url']}/sites.json", auth=("sandbox", "sandbox"))
            refused = await http.get(f"{sandbox['base_url']}/sites.json")
            health = await http.get(f"{run.state['service_url']}/healthz")
        assert sites.status_code == 200
        assert refused.status_code == 401
        assert health.status_code == 200

        for arguments in (["status"], ["dlq", "list"], ["check"], ["resync", "giftcards"]):
            done = await asyncio.to_thread(cli, below, *arguments)
            assert done.returncode == 0, (arguments, done.stdout, done.stderr)
            assert "using the dev stack of `sitoo-sync run`" in done.stderr, arguments
        checked = await asyncio.to_thread(cli, tmp_path, "check")
        assert "ok      redis" in checked.stdout
        assert "ok      sitoo" in checked.stdout

        config = await asyncio.to_thread(cli, tmp_path, "config")
        assert config.returncode == 0
        assert f"SITOO_SYNC_SITOO__BASE_URL={sandbox['base_url']}" in config.stdout
        assert "SITOO_SYNC_REDIS__URL=**********" in config.stdout

        sent = await asyncio.to_thread(cli, tmp_path, "send", "order.placed")
        assert sent.returncode == 0, sent.stdout + sent.stderr
        result = json.loads(sent.stdout.split("\n", 1)[1])
        assert result["type"] == "order.placed.succeeded"
        assert result["data"]["sitoo"]["orderid"] > 0

        again = await asyncio.to_thread(cli, tmp_path, "send", "order.placed")
        assert again.returncode == 0, again.stdout + again.stderr
        assert "was handled before" in again.stdout

        tail = await asyncio.to_thread(cli, tmp_path, "tail", "--from-start", "--count", "1")
        assert tail.returncode == 0, tail.stderr
        assert "sitoo-sync.results  order.placed.succeeded" in tail.stdout
        assert "shop-order-placed-1" not in tail.stdout.split("  ")[3]  # the result's own id

        run.process.send_signal(signal.SIGTERM)
        await asyncio.wait_for(run.process.wait(), timeout=40)
    assert run.process.returncode == -signal.SIGTERM, run.text
    assert not (tmp_path / ".local" / "devstack.json").exists()
    assert not port_open(run.redis_port), "the embedded Redis outlived `run`"
    gone = await asyncio.to_thread(cli, tmp_path, "status")
    assert gone.returncode == 2
    assert "no running `sitoo-sync run` was found" in gone.stderr


async def test_taken_ports_fall_back_and_say_so(tmp_path: Path) -> None:
    """A taken sandbox port gives another one, named in the banner, not a crash."""
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        async with dev_run(tmp_path, SITOO_SYNC_SANDBOX__PORT=str(port)) as run:
            assert f"port {port} was taken: the sandbox is on" in run.text
            assert f":{port}/" not in run.state["sandbox"]["base_url"]


async def test_a_second_run_in_the_same_directory_is_refused(tmp_path: Path) -> None:
    """Two stacks sharing one .local/ would corrupt each other's state."""
    async with dev_run(tmp_path) as first:
        second = await asyncio.to_thread(cli, tmp_path, "run")
        assert second.returncode == 2
        assert "a dev stack is already running from" in second.stderr
        assert f"(pid {first.process.pid}," in second.stderr
