"""POST /admin/api/{version}/graphql.json: version, token, faults, validation, cost, execution."""

from __future__ import annotations

import asyncio
import json
import math
import re
import secrets
import uuid
from typing import Any

from graphql import (
    DocumentNode,
    ExecutionResult,
    GraphQLError,
    OperationDefinitionNode,
    OperationType,
    execute,
    get_operation_ast,
    parse,
    validate,
)
from graphql.language import FragmentDefinitionNode
from starlette.requests import Request
from starlette.responses import Response

from service.fakes.common.faults import FaultDecision
from service.fakes.common.ledger import Caller, current_caller
from service.fakes.common.responses import FailedAfterApply, json_answer
from service.fakes.shopify.access import RequestContext
from service.fakes.shopify.config import ALL_SCOPES
from service.fakes.shopify.cost import CostCounter
from service.fakes.shopify.gql_errors import shopify_error, shopify_errors
from service.fakes.shopify.root import ROOT
from service.fakes.shopify.schema import schema_for
from service.fakes.shopify.shop import FakeShopify

_RELEASE = re.compile(r"\d{4}-(01|04|07|10)")
INVALID_TOKEN = "[API] Invalid API key or access token (unrecognized login or wrong password)"  # noqa: S105 - Shopify's error text
RATE_DOCS = "https://shopify.dev/api/usage/rate-limits"


class _Refusal(Exception):
    def __init__(self, response: Response, outcome: str) -> None:
        super().__init__(outcome)
        self.response = response
        self.outcome = outcome


def served_version(shop: FakeShopify, asked: str) -> str | None:
    """The version that answers: the one asked, the oldest supported for an older release
    (Shopify falls forward), or None (404) for anything that is not a release it knows."""
    if asked in shop.config.versions:
        return asked
    oldest = min(shop.config.versions)
    if _RELEASE.fullmatch(asked) and asked < oldest:
        return oldest
    return None


def _app_of(shop: FakeShopify, token: str | None) -> str | None:
    if not token:
        return None
    found = None
    for app, expected in shop.config.access_tokens.items():
        # Every token is compared, in constant time, so timing does not tell which is close.
        if secrets.compare_digest(token.encode(), expected.get_secret_value().encode()):
            found = app
    return found


def _bad_body(message: str = "Required parameter missing or invalid") -> _Refusal:
    return _Refusal(json_answer(400, {"errors": {"query": message}}), "400")


async def _request_body(request: Request) -> tuple[str, dict[str, Any], str | None]:
    try:
        body = json.loads(await request.body())
    except (ValueError, UnicodeDecodeError):
        raise _bad_body() from None
    if not isinstance(body, dict) or not isinstance(body.get("query"), str):
        raise _bad_body()
    variables = body.get("variables") or {}
    name = body.get("operationName")
    if not isinstance(variables, dict) or (name is not None and not isinstance(name, str)):
        raise _bad_body()
    return body["query"], variables, name


def _cost(requested: int, actual: int | None, status: dict[str, float]) -> dict[str, Any]:
    return {
        "requestedQueryCost": requested,
        "actualQueryCost": actual,
        "throttleStatus": status,
    }


async def _before_faults(shop: FakeShopify, decision: FaultDecision) -> None:
    if decision.delay_s > 0:
        await asyncio.sleep(decision.delay_s)
    if decision.extra_429:
        raise _Refusal(
            json_answer(429, {"errors": "Too Many Requests"}, {"Retry-After": "1.0"}), "429"
        )
    if decision.error_before is not None:
        status = decision.error_before
        headers = {"Retry-After": "1"} if status == 503 else None  # noqa: PLR2004
        text = {500: "Internal Server Error", 502: "Bad Gateway", 503: "Service Unavailable"}
        raise _Refusal(
            json_answer(status, {"errors": text.get(status, "Server Error")}, headers), str(status)
        )
    del shop


def _throttled(shop: FakeShopify, app: str, requested: int) -> _Refusal:
    status = shop.buckets.status(app)
    body = {
        "errors": [
            {
                "message": "Throttled",
                "extensions": {"code": "THROTTLED", "documentation": RATE_DOCS},
            }
        ],
        "extensions": {"cost": _cost(requested, None, status)},
    }
    headers = None
    if shop.config.throttle_status == 429:  # noqa: PLR2004
        missing = max(0.0, requested - status["currentlyAvailable"])
        headers = {"Retry-After": f"{max(1, math.ceil(missing / status['restoreRate']))}"}
    return _Refusal(json_answer(shop.config.throttle_status, body, headers), "THROTTLED")


async def graphql(request: Request) -> Response:
    """The Admin GraphQL endpoint."""
    shop: FakeShopify = request.app.state.shop
    try:
        response = await _handle(shop, request)
    except _Refusal as refusal:
        shop.count_request(refusal.outcome)
        return refusal.response
    return response


def _operation(
    query: str, operation_name: str | None, headers: dict[str, str]
) -> tuple[DocumentNode, OperationDefinitionNode]:
    """The parsed document and the operation to run, or a top-level error."""
    try:
        document = parse(query)
    except GraphQLError as error:
        answer = json_answer(200, {"errors": [shopify_error(error)]}, headers)
        raise _Refusal(answer, "invalid") from None
    operation = get_operation_ast(document, operation_name)
    if operation is None:
        message = (
            "An operation name is required"
            if operation_name is None
            else f'No operation named "{operation_name}"'
        )
        raise _Refusal(json_answer(200, {"errors": [{"message": message}]}, headers), "invalid")
    return document, operation


def _charge(
    shop: FakeShopify,
    app: str,
    counter: CostCounter,
    operation: OperationDefinitionNode,
    *,
    throttled: bool,
    headers: dict[str, str],
) -> int:
    """Take the requested cost from the app's bucket, or refuse: too expensive, or THROTTLED."""
    requested = counter.operation(operation)
    limit = int(shop.config.max_query_cost)
    if requested > limit:
        error = {
            "message": f"Query cost is {requested}, which exceeds the single query max cost "
            f"limit ({limit}).",
            "extensions": {
                "code": "MAX_COST_EXCEEDED",
                "cost": requested,
                "maxCost": limit,
                "documentation": RATE_DOCS,
            },
        }
        body = {
            "errors": [error],
            "extensions": {"cost": _cost(requested, None, shop.buckets.status(app))},
        }
        raise _Refusal(json_answer(200, body, headers), "MAX_COST_EXCEEDED")
    if throttled or not shop.buckets.take(app, requested):
        raise _throttled(shop, app, requested)
    return requested


def _run(  # noqa: PLR0917 - one step of the pipeline, given its inputs
    shop: FakeShopify,
    context: RequestContext,
    document: DocumentNode,
    operation: OperationDefinitionNode,
    variables: dict[str, Any],
    counter: CostCounter,
    requested: int,
) -> dict[str, Any]:
    """Execute as the app and answer with data, errors and the cost actually used."""
    name = operation.name.value if operation.name else None
    token = current_caller.set(Caller(context.app, name or "anonymous"))
    try:
        result = execute(schema_for(context.version), document, ROOT, context, variables, name)
    finally:
        current_caller.reset(token)
    if not isinstance(result, ExecutionResult):  # every resolver is synchronous
        raise TypeError("asynchronous execution is not expected")
    actual = 0 if result.data is None else counter.operation(operation, result.data)
    shop.buckets.give_back(context.app, requested - actual)
    body: dict[str, Any] = {}
    if result.errors:
        body["errors"] = shopify_errors(result.errors)
    if result.data is not None:
        body["data"] = result.data
    body["extensions"] = {"cost": _cost(requested, actual, shop.buckets.status(context.app))}
    return body


async def _handle(shop: FakeShopify, request: Request) -> Response:
    version = served_version(shop, request.path_params["version"])
    if version is None:
        raise _Refusal(json_answer(404, {"errors": "Not Found"}), "404")
    app = _app_of(shop, request.headers.get("x-shopify-access-token"))
    if app is None:
        raise _Refusal(json_answer(401, {"errors": INVALID_TOKEN}), "401")
    query, variables, operation_name = await _request_body(request)
    headers = {"X-Shopify-API-Version": version, "X-Request-Id": str(uuid.uuid4())}
    document, operation = _operation(query, operation_name, headers)
    decision = shop.fault_plan.decide(
        mutation=operation.operation is OperationType.MUTATION, query=query
    )
    await _before_faults(shop, decision)
    schema = schema_for(version)
    problems = validate(schema, document)
    if problems:
        raise _Refusal(json_answer(200, {"errors": shopify_errors(problems)}, headers), "invalid")
    fragments = {
        d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)
    }
    counter = CostCounter(schema, fragments, variables)
    requested = _charge(shop, app, counter, operation, throttled=decision.refused, headers=headers)
    scopes = frozenset(shop.config.token_scopes.get(app, list(ALL_SCOPES)))
    context = RequestContext(shop=shop, version=version, app=app, scopes=scopes)
    body = _run(shop, context, document, operation, variables, counter, requested)
    answer = json_answer(200, body, headers)
    if decision.after is not None:
        shop.count_request(f"applied_then_{decision.after}")
        server_error = json_answer(500, {"errors": "Internal Server Error"})
        return FailedAfterApply(
            answer, decision.after, shop.faults.stall_s, server_error=server_error
        )
    shop.count_request("200")
    return answer
