"""Gift-card writes: issue, load/redeem and roll back, each exactly once."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from service.sitoo.errors import BadRequest
from service.sitoo.keys import giftcard_number, operation_reference
from service.sitoo.limiter import Lane
from service.sitoo.models import GiftCard, GiftCardResult, GiftCardTransactionIn, NewGiftCard
from service.sitoo.protocol import is_duplicate_key_error
from service.sitoo.reads import SitooReader, validate
from service.sitoo.recorded import as_bool, result_from_json, result_to_json

if TYPE_CHECKING:
    from service.idempotency import Claim


class GiftCardWrites(SitooReader):
    """The gift-card half of the client's writes."""

    async def issue_giftcard(
        self,
        card: NewGiftCard,
        *,
        op_key: str,
        pin: str | None = None,
        lane: Lane = Lane.INTERACTIVE,
    ) -> GiftCardResult:
        """Issue a card once. Without a ``cardnumber`` one is derived from ``op_key``."""
        number = card.cardnumber or giftcard_number(op_key)
        loads = _tagged(card.transactions, op_key)
        refs = [t.transaction_reference for t in loads]
        body = card.model_copy(update={"cardnumber": number, "transactions": loads}).to_json()
        path = f"{self._site}/giftcards.json"

        async def reconcile(_claim: Claim) -> GiftCardResult | None:
            found = await self.find_giftcard(number, pin=pin, lane=lane)
            if found is None:
                return None
            ours = [t for t in found.transactions or [] if t.transaction_reference in refs]
            if refs and len(ours) != len(refs):
                return None  # a card with this number that we did not issue
            return GiftCardResult(
                giftcard=found, addedtransactionids=[t.transactionid or "" for t in ours]
            )

        async def write(claim: Claim) -> GiftCardResult:
            params = {"pin": pin} if pin else None
            try:
                data = await self._engine.send("POST", path, lane=lane, params=params, body=body)
            except BadRequest as exc:
                if is_duplicate_key_error(exc, "gift card") or is_duplicate_key_error(
                    exc, "cardnumber"
                ):
                    existing = await reconcile(claim)
                    if existing is not None:
                        return existing
                raise
            return validate(GiftCardResult, data, what=f"POST {path}")

        return await self._engine.exactly_once(
            op_key,
            write=write,
            reconcile=reconcile,
            encode=result_to_json,
            decode=result_from_json,
        )

    async def add_giftcard_transactions(
        self,
        cardnumber: str,
        transactions: Sequence[GiftCardTransactionIn],
        *,
        op_key: str,
        pin: str | None = None,
        lane: Lane = Lane.INTERACTIVE,
    ) -> GiftCardResult:
        """Load (positive) or redeem (negative) once, all or nothing.

        Each transaction's ``transaction_reference`` (derived from ``op_key`` unless
        given) finds it in the card's history after a lost answer.
        """
        if not transactions:
            raise ValueError("no transactions to add")
        tagged = _tagged(transactions, op_key)
        path = f"{self._site}/giftcards/{cardnumber}/transactions.json"
        present: dict[str, str] = {}  # reference -> transactionid found by reconciliation

        async def reconcile(_claim: Claim) -> GiftCardResult | None:
            return await self._find_in_history(cardnumber, tagged, present, pin=pin, lane=lane)

        async def write(_claim: Claim) -> GiftCardResult:
            missing = [t for t in tagged if t.transaction_reference not in present]
            params = {"pin": pin} if pin else None
            data = await self._engine.send(
                "POST", path, lane=lane, params=params, body=[t.to_json() for t in missing]
            )
            result = validate(GiftCardResult, data, what=f"POST {path}")
            if not present:
                return result
            return result.model_copy(
                update={"addedtransactionids": [*present.values(), *result.addedtransactionids]}
            )

        return await self._engine.exactly_once(
            op_key,
            write=write,
            reconcile=reconcile,
            encode=result_to_json,
            decode=result_from_json,
        )

    async def find_giftcard_transactions(
        self,
        cardnumber: str,
        transactions: Sequence[GiftCardTransactionIn],
        *,
        op_key: str,
        pin: str | None = None,
        lane: Lane = Lane.INTERACTIVE,
    ) -> GiftCardResult | None:
        """What :meth:`add_giftcard_transactions` with these arguments applied; never writes.

        None when no attempt under ``op_key`` reached Sitoo. For a redemption voided
        after an attempt whose answer was lost: it may have been charged all the same.
        """
        tagged = _tagged(transactions, op_key)

        async def reconcile(_claim: Claim) -> GiftCardResult | None:
            return await self._find_in_history(cardnumber, tagged, {}, pin=pin, lane=lane)

        return await self._engine.look_up(
            op_key, reconcile=reconcile, encode=result_to_json, decode=result_from_json
        )

    async def _find_in_history(
        self,
        cardnumber: str,
        tagged: Sequence[GiftCardTransactionIn],
        present: dict[str, str],
        *,
        pin: str | None,
        lane: Lane,
    ) -> GiftCardResult | None:
        """The result when every tagged transaction is in the card's history, else None.

        ``present`` is refilled with the references found, so a partial write is
        completed with only what is missing.
        """
        card = await self.get_giftcard(cardnumber, pin=pin, lane=lane)
        history = {t.transaction_reference: t for t in card.transactions or []}
        present.clear()
        for t in tagged:
            match = history.get(t.transaction_reference)
            if match is not None and t.transaction_reference:
                present[t.transaction_reference] = match.transactionid or ""
        if len(present) == len(tagged):
            return GiftCardResult(giftcard=card, addedtransactionids=list(present.values()))
        return None

    async def rollback_giftcard_transactions(
        self,
        cardnumber: str,
        transaction_ids: Sequence[str],
        *,
        op_key: str,
        pin: str | None = None,
        lane: Lane = Lane.INTERACTIVE,
    ) -> None:
        """Undo transactions by the ``addedtransactionids`` of the call being undone, once.

        Reconciliation checks the short numeric ids in the card's history; pass all
        ids Sitoo returned (the 40-hex ones are not visible in the history).
        """
        if not transaction_ids:
            raise ValueError("no transaction ids to roll back")
        path = f"{self._site}/giftcards/{cardnumber}/transactions.json"

        async def reconcile(_claim: Claim) -> bool | None:
            card: GiftCard = await self.get_giftcard(cardnumber, pin=pin, lane=lane)
            history = {t.transactionid for t in card.transactions or []}
            return None if history.intersection(transaction_ids) else True

        async def write(_claim: Claim) -> bool:
            await self._engine.send("DELETE", path, lane=lane, body=list(transaction_ids))
            return True

        await self._engine.exactly_once(
            op_key, write=write, reconcile=reconcile, encode=lambda b: b, decode=as_bool
        )


def _tagged(
    transactions: Sequence[GiftCardTransactionIn], op_key: str
) -> list[GiftCardTransactionIn]:
    """The transactions, each with a reference derived from ``op_key`` unless it has one."""
    return [
        t
        if t.transaction_reference
        else t.model_copy(update={"transaction_reference": operation_reference(op_key, i)})
        for i, t in enumerate(transactions)
    ]
