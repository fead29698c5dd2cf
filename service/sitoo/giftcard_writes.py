"""Gift-card writes: issue, load/redeem (one transaction per request) and roll back, once each."""

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
    from service.sitoo.claims import Claim


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
        """Load (positive) or redeem (negative), each transaction once; one request each.

        Sitoo takes one transaction object per request and answers it with its own
        ``giftcardresponse`` (FACTS 6), so several transactions are sent one after another,
        in order: the first under ``op_key``, the next ones under ``{op_key}#{index}``.
        Each is found again by its ``transaction_reference`` (derived from ``op_key`` and
        its index unless given) after a lost answer. A refusal stops the sequence and
        leaves the earlier transactions applied and recorded, so calling again with the
        same ``op_key`` never repeats them; whoever needs all or nothing sends one
        transaction per call, as the service does. The result carries the card as the
        last answer showed it and the ids of every transaction, in order.
        """
        if not transactions:
            raise ValueError("no transactions to add")
        results = [
            await self._add_giftcard_transaction(
                cardnumber, transaction, op_key=_element_key(op_key, index), pin=pin, lane=lane
            )
            for index, transaction in enumerate(_tagged(transactions, op_key))
        ]
        return _combined(results)

    async def _add_giftcard_transaction(
        self,
        cardnumber: str,
        transaction: GiftCardTransactionIn,
        *,
        op_key: str,
        pin: str | None,
        lane: Lane,
    ) -> GiftCardResult:
        """POST one transaction object once, found again by its reference."""
        path = f"{self._site}/giftcards/{cardnumber}/transactions.json"
        params = {"pin": pin} if pin else None

        async def reconcile(_claim: Claim) -> GiftCardResult | None:
            return await self._find_in_history(cardnumber, transaction, pin=pin, lane=lane)

        async def write(_claim: Claim) -> GiftCardResult:
            data = await self._engine.send(
                "POST", path, lane=lane, params=params, body=transaction.to_json()
            )
            return validate(GiftCardResult, data, what=f"POST {path}")

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

        None when no attempt under ``op_key`` reached Sitoo; with several transactions,
        the ones found. For a redemption voided after an attempt whose answer was lost: it
        may have been charged all the same.
        """
        found: list[GiftCardResult] = []
        for index, transaction in enumerate(_tagged(transactions, op_key)):

            async def reconcile(
                _claim: Claim, transaction: GiftCardTransactionIn = transaction
            ) -> GiftCardResult | None:
                return await self._find_in_history(cardnumber, transaction, pin=pin, lane=lane)

            result = await self._engine.look_up(
                _element_key(op_key, index),
                reconcile=reconcile,
                encode=result_to_json,
                decode=result_from_json,
            )
            if result is not None:
                found.append(result)
        return _combined(found) if found else None

    async def _find_in_history(
        self,
        cardnumber: str,
        transaction: GiftCardTransactionIn,
        *,
        pin: str | None,
        lane: Lane,
    ) -> GiftCardResult | None:
        """The result when the transaction is in the card's history, else None.

        Only the short numeric id is in the history; the 40-hex one Sitoo also returned
        for it is not (both roll it back).
        """
        card = await self.get_giftcard(cardnumber, pin=pin, lane=lane)
        for seen in card.transactions or []:
            if seen.transaction_reference == transaction.transaction_reference:
                return GiftCardResult(giftcard=card, addedtransactionids=[seen.transactionid or ""])
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


def _element_key(op_key: str, index: int) -> str:
    """The operation key of transaction ``index`` of a call (the first keeps the call's)."""
    return op_key if index == 0 else f"{op_key}#{index}"


def _combined(results: Sequence[GiftCardResult]) -> GiftCardResult:
    """One result for transactions sent one per request: the last card, every id in order."""
    last = results[-1]
    return last.model_copy(
        update={
            "addedtransactionids": [i for result in results for i in result.addedtransactionids]
        }
    )
