"""Orders: read, list changed since a moment, set a status, add a note once, read refunds.

A status is a value: setting it again changes nothing (no transition, no e-mail), so a lost
answer is settled by reading the order back. A note is not: the same note posted twice is two
notes (and, for a customer note, two e-mails). Every note the client writes carries
``[sitoo-sync:REF]``; the order's notes are searched for it before the note is written and
after any lost answer, and it is written only while it is proven absent.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from service.adapters.common.references import note_marker, tagged_note
from service.adapters.woocommerce.engine import RestEngine
from service.adapters.woocommerce.errors import NotFound
from service.adapters.woocommerce.models import Order, OrderNote, Refund, gmt, parsed


@dataclass(frozen=True, slots=True)
class NoteWrite:
    """A note the client made sure exists; ``created`` says whether this call wrote it."""

    note: OrderNote
    created: bool


def _since(moment: datetime) -> str:
    """``modified_after`` in GMT, whole seconds, no offset (with dates_are_gmt=true)."""
    aware = moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)
    return aware.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S")


class OrderCalls:
    """The order half of the client."""

    _engine: RestEngine

    async def get_order(self, order_id: int) -> Order | None:
        """An order (None: there is none with this id)."""
        try:
            answer = await self._engine.read(f"orders/{order_id}")
        except NotFound:
            return None
        return parsed(Order.from_json, answer.data, what=f"order {order_id}")

    async def orders_modified_after(self, since: datetime) -> list[Order]:
        """Every order (drafts included) modified strictly after ``since``, oldest first.

        WooCommerce compares whole seconds, strictly: pass the cursor minus an overlap and
        drop what was already seen by (id, date_modified_gmt). Pages are read newest first
        and until one comes back short: an order modified during the scan moves to the front
        (already read) or beyond ``since`` of the next scan, so none is skipped.
        """
        rows = await self.raw_orders_modified_after(since)
        return [parsed(Order.from_json, raw, what="orders") for raw in rows]

    async def raw_orders_modified_after(self, since: datetime) -> list[dict[str, Any]]:
        """The same orders as JSON objects, as listed: one odd order cannot fail the rest.

        Only ``id`` and ``date_modified_gmt`` are read here; an entry without a numeric id
        is not an order and is left out.
        """
        rows = await self._engine.read_all(
            "orders",
            {
                "modified_after": _since(since),
                "dates_are_gmt": "true",
                "orderby": "modified",
                "order": "desc",
            },
        )
        latest: dict[int, dict[str, Any]] = {}
        for raw in rows:
            order_id = raw.get("id") if isinstance(raw, dict) else None
            if not isinstance(order_id, int) or isinstance(order_id, bool):
                continue
            seen = latest.get(order_id)
            if seen is None or _raw_modified(raw) >= _raw_modified(seen):
                latest[order_id] = raw
        return sorted(latest.values(), key=lambda raw: (_raw_modified(raw), raw["id"]))

    async def set_order_status(self, order_id: int, status: str) -> bool:
        """Move the order to ``status``; True when this call moved it, False when it was there.

        Reading first means a status already reached is not saved again (every save fires
        ``order.updated`` back at us). After a lost answer the order is read again; the
        status reached settles it.
        """

        async def reached() -> bool | None:
            order = await self.get_order(order_id)
            if order is None:
                raise NotFound(f"order {order_id} does not exist", status=404)
            return False if order.status == status else None

        current = await reached()
        if current is not None:
            return current

        async def write() -> bool:
            await self._engine.send(
                "PUT", f"orders/{order_id}", body={"status": status}, write=True
            )
            return True

        return await self._engine.write_once(
            f"order {order_id} status {status}", write=write, reconcile=reached
        )

    async def order_notes(self, order_id: int) -> list[OrderNote]:
        """Every note of an order, newest first (the endpoint is not paginated)."""
        answer = await self._engine.read(f"orders/{order_id}/notes")
        rows = answer.data if isinstance(answer.data, list) else []
        return [parsed(OrderNote.from_json, raw, what="order notes") for raw in rows]

    async def add_order_note(
        self, order_id: int, note: str, *, reference: str, customer_note: bool = False
    ) -> NoteWrite:
        """Add ``note`` once per ``reference`` (a customer note e-mails the customer)."""
        marker = note_marker(reference)
        text = tagged_note(note, reference)

        async def existing() -> NoteWrite | None:
            for found in await self.order_notes(order_id):
                if marker in found.note:
                    return NoteWrite(found, created=False)
            return None

        async def write() -> NoteWrite:
            body: dict[str, Any] = {"note": text, "customer_note": customer_note}
            answer = await self._engine.send(
                "POST", f"orders/{order_id}/notes", body=body, write=True
            )
            return NoteWrite(parsed(OrderNote.from_json, answer.data, what="note"), created=True)

        # unknown=True: an earlier process may have written it before dying; look first.
        return await self._engine.write_once(
            f"order {order_id} note {reference}", write=write, reconcile=existing, unknown=True
        )

    async def order_refunds(self, order_id: int) -> list[Refund]:
        """Every refund of an order."""
        rows = await self._engine.read_all(f"orders/{order_id}/refunds")
        return [parsed(Refund.from_json, raw, what="refunds") for raw in rows]


def _raw_modified(raw: dict[str, Any]) -> datetime:
    try:
        found = gmt(raw.get("date_modified_gmt"))
    except ValueError:
        found = None
    return found or datetime.min.replace(tzinfo=UTC)
