"""`run --with-woocommerce` / `--with-shopify`: the guides' "Trying it locally", as documented.

The documented commands run as they are written, against a dev stack started by the
documented `run` command; only the fake's port (8901/8902 in the guide) is the one the banner
names, since the tests pick free ports.
"""

from __future__ import annotations

import asyncio
import json
import re
import shlex
import sys
from pathlib import Path

import httpx
import pytest

from service.devstack import webshops
from tests.integration.devstack.devrun import DevRun, bare_environment, cli_with, dev_run
from tests.integration.examples.docblocks import blocks

GUIDES = {
    "woocommerce": ("docs/woocommerce.md", "8902", "wc"),
    "shopify": ("docs/shopify.md", "8901", "shopify"),
}


def _trying_it(guide: str) -> tuple[list[str], str]:
    """The guide's `run` command, and the commands to type in another terminal."""
    run, other = [b.text for b in blocks(guide) if b.language == "bash"]
    return shlex.split(run), other


async def _store_warehouse(dev: DevRun, externalid: str) -> int:
    """The warehouse of the sandbox's store ``externalid``, read over its REST API."""
    sandbox = dev.state["sandbox"]
    auth = (sandbox["api_id"], sandbox["api_password"])
    async with httpx.AsyncClient(base_url=sandbox["base_url"], auth=auth) as client:
        stores = (await client.get("/sites/1/stores.json")).json()["items"]
        warehouses = (await client.get("/sites/1/warehouses.json")).json()["items"]
    [store] = [s["storeid"] for s in stores if s.get("externalid") == externalid]
    return min(w["warehouseid"] for w in warehouses if w.get("storeid") == store)


@pytest.mark.parametrize("shop", ["woocommerce", "shopify"])
async def test_a_pickup_order_in_the_fake_shop_reaches_the_sandbox_as_documented(
    tmp_path: Path, shop: str
) -> None:
    """The documented steps: the order placed in the fake shop is a Sitoo order in STORE-1."""
    guide, documented_port, prefix = GUIDES[shop]
    run, commands = _trying_it(guide)
    assert run[:2] == ["sitoo-sync", "run"], run
    port_setting = f"SITOO_SYNC_SANDBOX__{shop.upper()}_PORT"
    async with dev_run(tmp_path, *run[2:], **{port_setting: "0"}) as dev:
        banner = dev.text
        [port] = set(re.findall(r"http://127\.0\.0\.1:(\d+)/_fake/orders", banner))
        if shop == "woocommerce":
            assert webshops.WOOCOMMERCE_CONSUMER_KEY in banner
            assert webshops.WOOCOMMERCE_WEBHOOK_SECRET in banner
        else:
            assert webshops.SHOPIFY_ACCESS_TOKEN in banner
            assert "70000000001 -> STORE-1" in banner
        script = commands.replace(f"127.0.0.1:{documented_port}", f"127.0.0.1:{port}").replace(
            "sitoo-sync ", f"{shlex.quote(sys.executable)} -m service "
        )
        process = await asyncio.create_subprocess_exec(
            "bash",
            "-e",
            "-c",
            script,
            cwd=tmp_path,
            env=bare_environment(),
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        stdout, stderr = await asyncio.wait_for(process.communicate(), timeout=90)
        out = stdout.decode()
        assert process.returncode == 0, out + stderr.decode() + dev.text
        order_id = re.match(r'\{"order":\{"id":(\d+)', out)
        assert order_id is not None, out
        [line] = [line for line in out.splitlines() if "order.placed.succeeded" in line]
        result = json.loads(line[line.index("{") :])
        assert result["inbound_event_id"] == f"{prefix}-order-{order_id.group(1)}-placed"
        assert result["sitoo"]["externalid"] == f"{prefix}-{order_id.group(1)}"
        assert result["sitoo"]["warehouseid"] == await _store_warehouse(dev, "STORE-1")


def test_the_fake_webshops_run_only_beside_the_sandbox(tmp_path: Path) -> None:
    """With a real Sitoo configured, `--with-shopify` is refused in one line before anything."""

    done = cli_with(
        tmp_path,
        {
            "SITOO_SYNC_SITOO__BASE_URL": "https://api.mysitoo.com/v2/accounts/90001",
            "SITOO_SYNC_SITOO__API_ID": "90001-1",
            "SITOO_SYNC_SITOO__API_PASSWORD": "a-password",
        },
        "run",
        "--with-shopify",
    )
    assert done.returncode == 2, done.stdout + done.stderr
    assert done.stderr == (
        "configuration error: SITOO_SYNC_SITOO__BASE_URL is set: the fake webshops of "
        "--with-shopify and --with-woocommerce run only beside the sandbox\n"
    )
