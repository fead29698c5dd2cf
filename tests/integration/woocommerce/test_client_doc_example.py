"""The example in docs/woocommerce-client.md runs against the fake and does what the text says."""

from __future__ import annotations

import re
import textwrap
from pathlib import Path
from typing import Any

import pytest

from service.adapters.woocommerce import StockLevel, WooCommerceClient, build_http_client
from service.fakes.woocommerce import FakeWooCommerceConfig, serve_fake_woocommerce
from service.fakes.woocommerce.admin_shop import OrderBody, place_order
from service.settings import load_settings

DOC = Path(__file__).resolve().parents[3] / "docs" / "woocommerce-client.md"
KEY = "ck_fake_consumer_key_0000000000000000000000"
SECRET = "cs_fake_consumer_secret_00000000000000000000"


def _example() -> str:
    (block,) = re.findall(r"```python\n(.*?)```", DOC.read_text(encoding="utf-8"), re.DOTALL)
    return str(block)


async def test_the_documented_example(monkeypatch: pytest.MonkeyPatch) -> None:
    """Stock set for a managed SKU, reported not_managed for the other; the note is written once."""
    async with serve_fake_woocommerce(FakeWooCommerceConfig(), send_webhooks=False) as running:
        for name, value in {
            "URL": running.url,
            "CONSUMER_KEY": KEY,
            "CONSUMER_SECRET": SECRET,
            "WEBHOOK_SECRET": "whsec",
        }.items():
            monkeypatch.setenv(f"SITOO_SYNC_WOOCOMMERCE__{name}", value)
        order_id = place_order(
            running.store, OrderBody.model_validate({"line_items": [{"sku": "SKU-0002"}]})
        ).id
        scope: dict[str, Any] = {
            "load_settings": load_settings,
            "build_http_client": build_http_client,
            "WooCommerceClient": WooCommerceClient,
            "StockLevel": StockLevel,
            "order_id": order_id,
        }
        source = "async def example():\n" + textwrap.indent(_example(), "    ")
        # The same note again, still inside the example's client block: found, not written.
        source += (
            "        again = await client.add_order_note(order_id, 'x', reference='ready-1')\n"
        )
        source += "    return report, note, again\n"
        exec(compile(source, str(DOC), "exec"), scope)  # noqa: S102 - the documented example
        report, note, again = await scope["example"]()
        store = running.store
    assert {r.sku: r.outcome for r in report.results} == {
        "SKU-0001": "set",
        "SKU-0005": "not_managed",
    }
    assert store.catalog.by_sku("SKU-0001").stock_quantity == 12
    assert (note.created, again.created) == (True, False)
    assert len(store.ledger_entries(kind="order_note.create")) == 1
