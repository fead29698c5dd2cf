"""Many warehouse transactions in one request, each exactly once under its own op key.

Every op key is claimed in one round trip. A key finished before answers its recorded
id and is not sent; a key another worker holds right now answers OperationInFlight (the
caller leaves that event for later, when it will find the key done). The rest go out in
one POST, each with an ``externalid`` derived from its own key. If any claim is a
takeover (an earlier attempt may have written), the warehouses' recent transactions are
searched for those externalids first and only the missing movements are sent. Sitoo
answers a multi-element POST per element, so a refused element fails alone; the others
are completed with their ids. When the request as a whole fails, every claim is released
(as *outcome unknown* if it may have been applied) and the error is raised.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Protocol

import structlog

from service.sitoo.claims import Claim, ClaimStatus
from service.sitoo.errors import (
    BatchItemRejected,
    OperationInFlight,
    Permanent,
    SitooError,
    UnexpectedResponse,
)
from service.sitoo.keys import operation_reference
from service.sitoo.protocol import parse_batch
from service.sitoo.recorded import as_int

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

    from pydantic import JsonValue

    from service.sitoo.engine import RequestEngine
    from service.sitoo.limiter import Lane
    from service.sitoo.models import NewWarehouseTransaction, WarehouseTransaction

# How far before the first claim a reconciliation looks for our warehouse transactions:
# covers clock skew between Redis and Sitoo.
RECONCILE_MARGIN_S = 600
Answer = int | SitooError
log = structlog.get_logger(__name__)


class TransactionSearch(Protocol):
    """Reads a warehouse's transactions (the client's reader)."""

    def iter_warehouse_transactions(
        self, *, warehouseid: int | None = None, created_from: int | None = None, lane: Lane
    ) -> AsyncIterator[WarehouseTransaction]:
        """Transactions of the warehouse created since ``created_from``."""
        ...


@dataclass
class _Movements:
    """The movements this call holds claims for, and what is known about each so far."""

    search: TransactionSearch
    engine: RequestEngine
    path: str
    lane: Lane
    tagged: dict[str, NewWarehouseTransaction]
    held: dict[str, Claim]
    settled: dict[str, Answer] = field(default_factory=dict)

    async def reconcile(self) -> dict[str, Answer] | None:
        """Find earlier attempts' movements by externalid; all answers once all are found."""
        wanted = {t.externalid: key for key, t in self.tagged.items() if key not in self.settled}
        since = int(min(c.first_claimed_at for c in self.held.values())) - RECONCILE_MARGIN_S
        for warehouseid in sorted({self.tagged[key].warehouseid for key in wanted.values()}):
            async for seen in self.search.iter_warehouse_transactions(
                warehouseid=warehouseid, created_from=since, lane=self.lane
            ):
                key = wanted.get(seen.externalid)
                if key is not None and seen.warehousetransactionid is not None:
                    self.settled[key] = seen.warehousetransactionid
        return dict(self.settled) if len(self.settled) == len(self.tagged) else None

    async def write(self) -> dict[str, Answer]:
        """POST the movements not known to be there; answers per op key."""
        missing = [(key, t) for key, t in self.tagged.items() if key not in self.settled]
        what = f"POST {self.path}"
        try:
            data = await self.engine.send(
                "POST", self.path, lane=self.lane, body=[t.to_json() for _, t in missing]
            )
        except Permanent as refused:
            if len(missing) != 1:
                raise
            self.settled[missing[0][0]] = refused  # one element is answered as a whole
            return dict(self.settled)
        results = parse_batch(data, expected=len(missing), what=what)
        for index, ((key, _), result) in enumerate(zip(missing, results, strict=True)):
            if 200 <= result.statuscode < 300:  # noqa: PLR2004 - the 2xx range
                self.settled[key] = _an_id(result.value, index=index, what=what)
            else:
                self.settled[key] = BatchItemRejected(
                    f"{what}: element {index} refused with {result.statuscode}: {result.errortext}",
                    index=index,
                    status=result.statuscode,
                    errortext=result.errortext,
                )
        return dict(self.settled)

    async def give_back(self, outcome_unknown: bool) -> None:
        """Release every claim after the request as a whole failed."""
        await self.engine.idempotency.release_many(
            list(self.held.values()), outcome_unknown=outcome_unknown
        )


def _an_id(value: object, *, index: int, what: str) -> Answer:
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, str) and value.isdigit():
        return int(value)
    return UnexpectedResponse(f"{what}: element {index}: expected an id, got {value!r}")


async def write_each(
    search: TransactionSearch,
    engine: RequestEngine,
    site: str,
    transactions: Mapping[str, NewWarehouseTransaction],
    *,
    lane: Lane,
) -> dict[str, Answer]:
    """Each movement applied at most once by its op key; its id or error, by op key."""
    store = engine.idempotency
    answers: dict[str, Answer] = {}
    held: dict[str, Claim] = {}
    for claim in await store.claim_many(list(transactions)):
        if claim.status is ClaimStatus.DONE:
            answers[claim.key] = as_int(claim.result)
        elif claim.status is ClaimStatus.IN_FLIGHT:
            answers[claim.key] = OperationInFlight(
                f"operation {claim.key!r} is being processed elsewhere"
            )
        else:
            held[claim.key] = claim
    if not held:
        return answers
    await engine.refuse_unacknowledged(list(held.values()))
    movements = _Movements(
        search=search,
        engine=engine,
        path=f"{site}/warehousetransactions.json",
        lane=lane,
        tagged={
            key: t
            if t.externalid
            else t.model_copy(update={"externalid": operation_reference(key)})
            for key, t in transactions.items()
            if key in held
        },
        held=held,
    )
    written = await engine.write_once(
        f"{len(held)} warehouse transactions",
        unknown=any(c.status is ClaimStatus.TAKEOVER for c in held.values()),
        write=movements.write,
        reconcile=movements.reconcile,
        give_back=movements.give_back,
    )
    done: list[tuple[Claim, JsonValue]] = [
        (held[key], value) for key, value in written.items() if isinstance(value, int)
    ]
    completed = await store.complete_many(done)
    lost = [claim.key for (claim, _), ok in zip(done, completed, strict=True) if not ok]
    if lost:
        # Someone else took these over after our lease ran out; they reconcile and find
        # our movements, so the ids we hold are still right.
        log.warning("idempotency_lease_lost", op_keys=lost[:20], count=len(lost))
    refused = [held[key] for key, value in written.items() if not isinstance(value, int)]
    await store.release_many(refused, outcome_unknown=False)
    answers.update(written)
    return answers
