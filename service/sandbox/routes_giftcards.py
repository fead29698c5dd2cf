"""Sitoo routes for gift cards and their transactions."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from service.sandbox.http import answer, json_body, site_of
from service.sandbox.routes_catalog import SITE

CARD = SITE + "/giftcards/{cardnumber:str}"


async def post_giftcard(request: Request) -> Response:
    """POST giftcards.json: issue a card; ?pin= sets its PIN."""
    sandbox = site_of(request)
    pin = request.query_params.get("pin") or None
    card, added = sandbox.giftcards.issue(await json_body(request), pin=pin)
    return answer(sandbox.giftcards.response(card, added, print_pin=pin))


async def get_giftcard(request: Request) -> Response:
    """GET one card (the bare card object)."""
    sandbox = site_of(request)
    cardnumber = request.path_params["cardnumber"]
    card = sandbox.giftcards.read(cardnumber, request.query_params.get("pin"))
    return answer(card.to_json())


async def card_transactions(request: Request) -> Response:
    """POST loads/redeems (array or one object) or DELETE (roll back by added ids)."""
    sandbox = site_of(request)
    cardnumber = request.path_params["cardnumber"]
    body = await json_body(request)
    if request.method == "DELETE":
        sandbox.giftcards.rollback(cardnumber, body, request.query_params.get("pin"))
        return answer(True)  # noqa: FBT003 - Sitoo's literal answer
    card, added = sandbox.giftcards.add_transactions(
        cardnumber, body, request.query_params.get("pin")
    )
    return answer(sandbox.giftcards.response(card, added))


ROUTES = [
    Route(SITE + "/giftcards.json", post_giftcard, methods=["POST"]),
    Route(CARD + "/transactions.json", card_transactions, methods=["POST", "DELETE"]),
    Route(CARD + ".json", get_giftcard, methods=["GET"]),
]
