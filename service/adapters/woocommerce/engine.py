"""The request engine: Basic auth per request, classification, pages, retries and write-once.

Every REST request goes through :meth:`RestEngine.send`. The consumer key and secret go into
the ``Authorization`` header of that one request (never into the client's default headers,
never into a URL: the query-string form WooCommerce also accepts would put the secret in every
access log on the way). Retries, the call deadline and write-once are the shared
:class:`~service.adapters.common.retrying.CallPolicy`.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from typing import Any, TypeVar

import httpx

from service.adapters.common.retrying import CallPolicy
from service.adapters.common.transport import error_from_transport
from service.adapters.woocommerce.errors import ReadCutShort, UnexpectedResponse
from service.adapters.woocommerce.protocol import Answer, interpret
from service.settings_woocommerce import WooCommerceSettings

T = TypeVar("T")
Params = Mapping[str, str | int]
PER_PAGE = 100  # the most WordPress serves per page
MAX_PAGES = 1000  # a collection that keeps growing must not page forever


class RestEngine:
    """Sends wc/v3 requests with the store's key and classifies their outcome."""

    def __init__(
        self,
        http: httpx.AsyncClient,
        settings: WooCommerceSettings,
        *,
        attempts: int = 8,
        wait_initial_s: float = 0.2,
        wait_max_s: float = 10.0,
    ) -> None:
        if settings.consumer_key is None or settings.consumer_secret is None:
            raise ValueError(
                "no WooCommerce key: configure SITOO_SYNC_WOOCOMMERCE__CONSUMER_KEY and "
                "SITOO_SYNC_WOOCOMMERCE__CONSUMER_SECRET"
            )
        self._http = http
        self._key = settings.consumer_key
        self._secret = settings.consumer_secret
        self.policy = CallPolicy(
            adapter="woocommerce",
            deadline_s=settings.call_deadline_s,
            attempts=attempts,
            wait_initial_s=wait_initial_s,
            wait_max_s=wait_max_s,
        )
        self.requests = 0  # requests sent, for benchmarks and tests

    async def send(
        self,
        method: str,
        path: str,
        *,
        params: Params | None = None,
        body: Any = None,  # noqa: ANN401 - a JSON body
        write: bool,
    ) -> Answer:
        """One request, one attempt: send with Basic auth, classify."""
        what = f"{method} {path}"
        auth = httpx.BasicAuth(self._key.get_secret_value(), self._secret.get_secret_value())
        self.requests += 1
        try:
            response = await self._http.request(
                method, path, params=dict(params or {}), json=body, auth=auth
            )
        except httpx.TransportError as exc:
            raise error_from_transport(exc, write=write, what=what) from exc
        return interpret(
            response.status_code, response.headers, response.content, write=write, what=what
        )

    async def read(self, path: str, params: Params | None = None) -> Answer:
        """A GET, retried on anything transient within the call deadline."""

        async def attempt() -> Answer:
            return await self.send("GET", path, params=params, write=False)

        return await self.policy.read(f"GET {path}", attempt)

    async def read_all(
        self, path: str, params: Params | None = None, *, max_pages: int = MAX_PAGES
    ) -> list[Any]:
        """Every item of a collection, page after page until a page comes back short.

        A collection still full after ``max_pages`` pages is refused (ReadCutShort): its
        callers treat what they get as all there is, so a part must never pass for it.
        """
        found: list[Any] = []
        for page in range(1, max_pages + 1):
            answer = await self.read(path, {**(params or {}), "per_page": PER_PAGE, "page": page})
            if not isinstance(answer.data, list):
                raise UnexpectedResponse(f"GET {path}: a collection that is not a list")
            found.extend(answer.data)
            # Stop on a short page, not on X-WP-TotalPages: the count can grow while we read.
            if len(answer.data) < PER_PAGE:
                return found
        raise ReadCutShort(f"GET {path}: more than {max_pages * PER_PAGE} items; read {len(found)}")

    async def write(
        self,
        method: str,
        path: str,
        body: Any,  # noqa: ANN401 - a JSON body
        *,
        repeatable: bool,
    ) -> Answer:
        """A write; ``repeatable`` ones (absolute values) are repeated after a lost answer."""

        async def attempt() -> Answer:
            return await self.send(method, path, body=body, write=True)

        return await self.policy.write(f"{method} {path}", attempt, repeatable=repeatable)

    async def write_once(
        self,
        label: str,
        *,
        write: Callable[[], Awaitable[T]],
        reconcile: Callable[[], Awaitable[T | None]],
        unknown: bool = False,
    ) -> T:
        """Run ``write`` at most once in effect (see :meth:`CallPolicy.write_once`)."""
        return await self.policy.write_once(
            label, write=write, reconcile=reconcile, unknown=unknown
        )
