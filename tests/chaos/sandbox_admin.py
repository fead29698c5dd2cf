"""The sandbox's admin API as the chaos run uses it: faults, ledger, state and store actions."""

from __future__ import annotations

from typing import Any

import httpx


class SandboxAdmin:
    """Thin typed wrapper over `/_sandbox/` (never faulted, never counted by the sandbox)."""

    def __init__(self, client: httpx.AsyncClient) -> None:
        self._client = client

    async def _call(self, method: str, path: str, **kwargs: Any) -> Any:
        answer = await self._client.request(method, f"/_sandbox{path}", **kwargs)
        answer.raise_for_status()
        return answer.json()

    async def set_faults(self, faults: dict[str, Any]) -> None:
        """Replace the fault configuration (restarts the fault sequence from its seed)."""
        await self._call("PUT", "/faults", json=faults)

    async def ledger(self) -> list[dict[str, Any]]:
        """Every applied write, in order."""
        entries: list[dict[str, Any]] = await self._call("GET", "/ledger")
        return entries

    async def requests(self) -> dict[str, Any]:
        """Request counters: per endpoint and outcome, faults injected, in-flight peaks."""
        counters: dict[str, Any] = await self._call("GET", "/requests")
        return counters

    async def clear_requests(self) -> None:
        """Start counting afresh."""
        await self._call("DELETE", "/requests")

    async def violations(self) -> dict[str, Any]:
        """Requests that broke Sitoo's description: count, per operation, the newest ones."""
        found: dict[str, Any] = await self._call("GET", "/violations")
        return found

    async def stock(self) -> list[dict[str, Any]]:
        """Every warehouse item."""
        items: list[dict[str, Any]] = await self._call("GET", "/state/stock")
        return items

    async def giftcard(self, cardnumber: str) -> dict[str, Any]:
        """A card with its rolled-back transactions and its ledger."""
        state: dict[str, Any] = await self._call("GET", f"/state/giftcards/{cardnumber}")
        return state

    async def orders(self) -> list[dict[str, Any]]:
        """Every order with its deliveries."""
        orders: list[dict[str, Any]] = await self._call("GET", "/state/orders")
        return orders

    async def add_products(
        self, count: int, *, prefix: str, warehouseids: list[int], quantity: str
    ) -> dict[str, Any]:
        """Add ``count`` products stocked in the given warehouses."""
        added: dict[str, Any] = await self._call(
            "POST",
            "/products",
            json={
                "count": count,
                "prefix": prefix,
                "warehouseids": warehouseids,
                "quantity": quantity,
            },
        )
        return added

    async def pos_sale(
        self, storeid: int, lines: list[dict[str, Any]], receipt_id: str
    ) -> dict[str, Any]:
        """A till sale in a store (stock leaves the store's warehouse)."""
        order: dict[str, Any] = await self._call(
            "POST",
            "/actions/pos-sale",
            json={"storeid": storeid, "lines": lines, "receipt_id": receipt_id},
        )
        return order

    async def order_action(self, action: str, orderid: int) -> dict[str, Any]:
        """ready-for-pickup, reject-pickup or picked-up on a click-and-collect order."""
        order: dict[str, Any] = await self._call(
            "POST", f"/actions/{action}", json={"orderid": orderid}
        )
        return order

    async def redeem_in_store(
        self, cardnumber: str, amount: str, receipt_id: str, pin: str | None
    ) -> dict[str, Any]:
        """A gift card redeemed at a till."""
        card: dict[str, Any] = await self._call(
            "POST",
            "/actions/redeem-giftcard",
            json={"cardnumber": cardnumber, "amount": amount, "receipt_id": receipt_id, "pin": pin},
        )
        return card

    async def stock_count(self, warehouseid: int, counts: dict[str, str]) -> dict[str, Any]:
        """A stock count (type-50 transaction carrying the difference)."""
        transaction: dict[str, Any] = await self._call(
            "POST", "/actions/stock-count", json={"warehouseid": warehouseid, "counts": counts}
        )
        return transaction
