"""The request engine: limiter slot, credential, classification, retries, deadlines, exactly-once.

Every Sitoo request goes through :meth:`RequestEngine.send`: it waits for a slot of
the shared budget, sends with that slot's credential and turns the outcome into data
or an error of :mod:`service.sitoo.errors`. On top of it:

* :meth:`RequestEngine.read` retries freely (reads and absolute PUTs are harmless to repeat);
* :meth:`RequestEngine.exactly_once` claims the operation in the idempotency store,
  writes, and on an unknown outcome (or a takeover) looks the write up by its natural
  key before it would ever repeat it;
* :meth:`RequestEngine.look_up` settles an operation's earlier attempts without writing;
* :meth:`RequestEngine.write_once` is that write loop alone, for callers that claim
  many operation keys themselves (one Sitoo request carrying many operations).

Each public call runs under one total deadline (``call_deadline_s``), retries included.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol, TypeVar

import httpx
import stamina
import structlog

from service.sitoo.caution import Caution, current_caution
from service.sitoo.claims import Claim, ClaimStatus, IdempotencyStore
from service.sitoo.errors import (
    BatchItemRejected,
    ClaimNotReplicated,
    DeadlineExceeded,
    NotApplied,
    OutcomeUnknown,
    Permanent,
    ReconciliationFailed,
    Retryable,
    WriteDeadlineExceeded,
    WriteWithheld,
)
from service.sitoo.metrics import SitooMetrics, endpoint_template
from service.sitoo.protocol import decode_response
from service.sitoo.retry import backoff
from service.sitoo.transport import basic_auth, error_from_transport

if TYPE_CHECKING:
    from pydantic import JsonValue

    from service.settings import SitooCredential
    from service.sitoo.limiter import Lane, Limiter

T = TypeVar("T")
Params = Mapping[str, str | int]
log = structlog.get_logger(__name__)


class CredentialObserver(Protocol):
    """Told the status of every answer, by credential index, e.g. to see refused credentials."""

    def answered(self, credential: int, status: int) -> None:
        """Sitoo answered a request sent with credential ``credential`` with ``status``."""
        ...


@dataclass(slots=True)
class _WriteState:
    """Whether a write may have been applied without us knowing its result."""

    unknown: bool


class RequestEngine:
    """Sends Sitoo requests within the shared budget and makes writes exactly-once."""

    def __init__(
        self,
        http: httpx.AsyncClient,
        limiter: Limiter,
        idempotency: IdempotencyStore,
        *,
        credentials: Sequence[SitooCredential],
        call_deadline_s: float,
        attempts: int = 8,
        wait_initial_s: float = 0.2,
        wait_max_s: float = 5.0,
        metrics: SitooMetrics | None = None,
        credential_observer: CredentialObserver | None = None,
    ) -> None:
        if not credentials:
            raise ValueError("at least one Sitoo credential is needed")
        self._http = http
        self._limiter = limiter
        self._idempotency = idempotency
        self._auths = [basic_auth(credential) for credential in credentials]
        self._deadline_s = call_deadline_s
        self._attempts = attempts
        self._wait_initial_s = wait_initial_s
        self._wait_max_s = wait_max_s
        self._metrics = metrics
        self._credential_observer = credential_observer

    @property
    def idempotency(self) -> IdempotencyStore:
        """The store that claims operations, for callers that claim many keys at once."""
        return self._idempotency

    def _retrying(self) -> stamina.AsyncRetryingCaller:
        return stamina.AsyncRetryingCaller(
            attempts=self._attempts,
            timeout=None,  # the call deadline (asyncio.timeout) bounds the total instead
            wait_initial=self._wait_initial_s,
            wait_max=self._wait_max_s,
        )

    async def send(
        self,
        method: str,
        path: str,
        *,
        lane: Lane,
        params: Params | None = None,
        body: Any = None,  # noqa: ANN401 - any JSON document
    ) -> Any:  # noqa: ANN401 - decoded JSON; callers validate it into models
        """One request, one attempt: wait for a slot, send, classify."""
        write = method != "GET"
        what = f"{method} {path}"
        status: int | None = None
        failure: type[BaseException] | None = None
        waiting_since = time.perf_counter()
        try:
            async with self._limiter.slot(lane) as slot:
                sent_at = time.perf_counter()
                if self._metrics is not None:
                    self._metrics.limiter_wait.labels(lane.value).observe(sent_at - waiting_since)
                    self._metrics.in_flight.inc()
                try:
                    response = await self._http.request(
                        method, path, params=params, json=body, auth=self._auths[slot.credential]
                    )
                except httpx.TransportError as exc:
                    error = error_from_transport(exc, write=write, what=what)
                    failure = type(error)
                    raise error from exc
                finally:
                    if self._metrics is not None:
                        self._metrics.in_flight.dec()
                        self._metrics.request_seconds.labels(
                            method, endpoint_template(path)
                        ).observe(time.perf_counter() - sent_at)
            status = response.status_code
            if self._credential_observer is not None:
                self._credential_observer.answered(slot.credential, response.status_code)
            if self._metrics is not None and response.status_code == httpx.codes.TOO_MANY_REQUESTS:
                self._metrics.rate_limited.labels(lane.value).inc()
            return decode_response(
                response.status_code, response.headers, response.content, write=write, what=what
            )
        finally:
            if self._metrics is not None:
                self._metrics.answered(method, path, status, failure)

    async def read(
        self,
        path: str,
        *,
        lane: Lane,
        params: Params | None = None,
    ) -> Any:  # noqa: ANN401 - decoded JSON
        """GET with retries on anything transient, within the call deadline."""
        return await self.idempotent("GET", path, lane=lane, params=params)

    async def idempotent(
        self,
        method: str,
        path: str,
        *,
        lane: Lane,
        params: Params | None = None,
        body: Any = None,  # noqa: ANN401 - any JSON document
    ) -> Any:  # noqa: ANN401 - decoded JSON
        """A request that is harmless to repeat (GET, PUT of absolute values), with retries."""
        try:
            async with asyncio.timeout(self._deadline_s):
                return await self._retrying().on(backoff)(
                    self.send, method, path, lane=lane, params=params, body=body
                )
        except TimeoutError as exc:
            raise DeadlineExceeded(
                f"{method} {path}: deadline of {self._deadline_s}s passed"
            ) from exc

    async def exactly_once(
        self,
        op_key: str,
        *,
        write: Callable[[Claim], Awaitable[T]],
        reconcile: Callable[[Claim], Awaitable[T | None]],
        encode: Callable[[T], JsonValue],
        decode: Callable[[JsonValue], T],
    ) -> T:
        """Run ``write`` at most once in effect for ``op_key`` and return its result.

        A recorded result is returned without calling Sitoo. After an unknown outcome,
        or when the claim is a takeover, ``reconcile`` (a look-up by natural key) runs
        first: it returns the result if the write is there, None if it is not.
        """
        claim = await self._idempotency.claim(op_key)
        if claim.status is ClaimStatus.DONE:
            return decode(claim.result)
        await self.refuse_unacknowledged([claim])

        async def give_back(outcome_unknown: bool) -> None:
            await self._idempotency.release(claim, outcome_unknown=outcome_unknown)

        result = await self.write_once(
            op_key,
            unknown=claim.status is ClaimStatus.TAKEOVER,
            write=lambda: write(claim),
            reconcile=lambda: reconcile(claim),
            give_back=give_back,
        )
        if not await self._idempotency.complete(claim, encode(result)):
            # Our lease ran out and someone else claimed the operation; they reconcile
            # and will find this write, so the result we hold is still the right one.
            log.warning("idempotency_lease_lost", op_key=op_key)
        return result

    async def refuse_unacknowledged(self, claims: Sequence[Claim]) -> None:
        """Release ``claims`` and raise ClaimNotReplicated unless replicas hold them all.

        A write sent under a claim only the primary holds could be made a second time
        after a failover lost the claim; not sending it now costs a retry, nothing more.
        """
        unacknowledged = [claim.key for claim in claims if not claim.acknowledged]
        if not unacknowledged:
            return
        await self._idempotency.release_many(claims, outcome_unknown=False)
        if self._metrics is not None:
            self._metrics.claims_unacknowledged.inc(len(unacknowledged))
        raise ClaimNotReplicated(
            f"operation {unacknowledged[0]!r}"
            + (f" and {len(unacknowledged) - 1} more" if len(unacknowledged) > 1 else "")
            + ": too few replicas acknowledged the claim in time; not sent, retried later"
        )

    async def look_up(
        self,
        op_key: str,
        *,
        reconcile: Callable[[Claim], Awaitable[T | None]],
        encode: Callable[[T], JsonValue],
        decode: Callable[[JsonValue], T],
    ) -> T | None:
        """What earlier attempts at ``op_key`` wrote, found without ever writing.

        For an operation that must no longer be written (its event was voided) but may
        already have been: a recorded result comes back as is; an unknown outcome is
        settled by ``reconcile`` and recorded when found; otherwise None.
        """
        claim = await self._idempotency.claim(op_key)
        if claim.status is ClaimStatus.DONE:
            return decode(claim.result)

        async def give_back(outcome_unknown: bool) -> None:
            await self._idempotency.release(claim, outcome_unknown=outcome_unknown)

        async def write_nothing() -> T | None:
            return None

        found = await self.write_once(
            op_key,
            unknown=claim.status is ClaimStatus.TAKEOVER,
            write=write_nothing,
            reconcile=lambda: reconcile(claim),
            give_back=give_back,
            sends=False,
        )
        if found is None:
            # Released, not recorded: a delivery that passed its void check before the
            # void may still claim this key, write, and undo itself on its re-check.
            await self._idempotency.release(claim, outcome_unknown=False)
        elif not await self._idempotency.complete(claim, encode(found)):
            log.warning("idempotency_lease_lost", op_key=op_key)
        return found

    async def write_once(
        self,
        label: str,
        *,
        unknown: bool,
        write: Callable[[], Awaitable[T]],
        reconcile: Callable[[], Awaitable[T | None]],
        give_back: Callable[[bool], Awaitable[None]],
        sends: bool = True,
    ) -> T:
        """Write under claims the caller holds: retries, look-ups after unknown outcomes.

        ``unknown`` says an earlier attempt may have written (a takeover): ``reconcile``
        runs before any write. So it does when the running work's caution
        (:mod:`service.sitoo.caution`) says an earlier run may have written although the
        claims look fresh, and under ``LOOK_ONLY`` a write not found is not sent at all
        (``sends=False``: ``write`` sends nothing anyway). On failure
        ``give_back(outcome_unknown)`` releases the caller's claims before the error is
        raised; on success the caller completes them.
        """
        level = current_caution()
        state = _WriteState(unknown=unknown or level is not Caution.FIRST)
        withhold = sends and level is Caution.LOOK_ONLY
        try:
            async with asyncio.timeout(self._deadline_s):
                return await self._write_until_known(label, state, write, reconcile, withhold)
        except TimeoutError as exc:
            await give_back(state.unknown)
            error = WriteDeadlineExceeded if state.unknown else DeadlineExceeded
            raise error(f"{label}: deadline of {self._deadline_s}s passed") from exc
        except Retryable as exc:
            await give_back(state.unknown)
            if state.unknown:
                # Retries ran out while a write was unresolved; whatever failed last, the
                # consumer must treat the write as possibly applied.
                raise ReconciliationFailed(f"{label}: {exc.message}") from exc
            raise
        except BaseException:
            await asyncio.shield(give_back(state.unknown))
            raise

    async def _write_until_known(
        self,
        label: str,
        state: _WriteState,
        write: Callable[[], Awaitable[T]],
        reconcile: Callable[[], Awaitable[T | None]],
        withhold: bool,
    ) -> T:
        async def attempt() -> T:
            if state.unknown:
                found = await reconcile()
                if self._metrics is not None:
                    self._metrics.reconciled(found=found is not None)
                if found is not None:
                    log.info("write_reconciled", op_key=label)
                    return found
                state.unknown = False
            if withhold:
                raise WriteWithheld(
                    f"{label}: not found by its look-up and not sent: earlier runs of its "
                    "event ended without a result"
                )
            state.unknown = True  # from the moment the request leaves, it may be applied
            try:
                result = await write()
            except BatchItemRejected:
                raise  # the other elements of the batch may have been applied: stay unknown
            except (NotApplied, Permanent):
                state.unknown = False
                raise
            state.unknown = False
            return result

        return await self._retrying().on(_write_backoff(state))(attempt)


def _write_backoff(state: _WriteState) -> Callable[[BaseException], bool | float]:
    def decide(exc: BaseException) -> bool | float:
        decision = backoff(exc)
        if decision is not False and isinstance(exc, OutcomeUnknown):
            state.unknown = True
        return decision

    return decide
