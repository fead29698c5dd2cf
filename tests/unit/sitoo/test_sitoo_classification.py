"""Every failure maps to one error class and one disposition."""

from __future__ import annotations

from datetime import UTC, datetime

import httpx
import pytest

from service.sitoo import errors
from service.sitoo.errors import Disposition
from service.sitoo.protocol import (
    BatchResult,
    batch_values,
    decode_response,
    error_for_status,
    is_duplicate_key_error,
    parse_batch,
    parse_errortext,
    parse_retry_after,
)
from service.sitoo.retry import MAX_RETRY_AFTER_S, backoff
from service.sitoo.transport import error_from_transport

_REQUEST = httpx.Request("POST", "http://sitoo/x")


@pytest.mark.parametrize(
    ("status", "write", "expected", "disposition"),
    [
        (429, True, errors.RateLimited, Disposition.RETRY),
        (429, False, errors.RateLimited, Disposition.RETRY),
        (503, True, errors.ServiceUnavailable, Disposition.RETRY),
        (503, False, errors.ServiceUnavailable, Disposition.RETRY),
        (500, True, errors.ServerError, Disposition.RECONCILE),
        (502, True, errors.ServerError, Disposition.RECONCILE),
        (504, True, errors.ServerError, Disposition.RECONCILE),
        (500, False, errors.ReadInterrupted, Disposition.RETRY),
        (504, False, errors.ReadInterrupted, Disposition.RETRY),
        (400, True, errors.BadRequest, Disposition.DEAD_LETTER),
        (401, False, errors.Unauthorized, Disposition.DEAD_LETTER),
        (403, True, errors.Forbidden, Disposition.DEAD_LETTER),
        (404, False, errors.NotFound, Disposition.DEAD_LETTER),
        (409, True, errors.UnexpectedStatus, Disposition.DEAD_LETTER),
        (418, False, errors.UnexpectedStatus, Disposition.DEAD_LETTER),
    ],
)
def test_status_maps_to_class_and_disposition(
    status: int, write: bool, expected: type[errors.SitooError], disposition: Disposition
) -> None:
    """Each HTTP status, for reads and writes, yields the documented class and disposition."""
    error = error_for_status(status, {}, b"", write=write, what="op")
    assert type(error) is expected
    assert error is not None
    assert error.disposition is disposition
    assert error.status == status


@pytest.mark.parametrize("status", [200, 201, 204])
def test_success_statuses_are_not_errors(status: int) -> None:
    """2xx statuses produce no error."""
    assert error_for_status(status, {}, b"", write=True, what="op") is None


def test_sitoo_errortext_is_kept_on_permanent_errors() -> None:
    """The errortext of Sitoo's error body is parsed into the exception."""
    body = b'{"statuscode": 400, "errortext": "Missing required field \'active\'."}'
    error = error_for_status(400, {}, body, write=True, what="POST x")
    assert isinstance(error, errors.BadRequest)
    assert error.errortext == "Missing required field 'active'."
    assert "Missing required field" in str(error)


def test_errortext_of_a_non_json_body_is_shortened() -> None:
    """An HTML error page becomes at most 500 characters of text."""
    assert len(parse_errortext(b"<html>" + b"x" * 5000)) == 500
    assert parse_errortext(b'{"other": 1}') == '{"other": 1}'


def test_retry_after_header_reaches_the_error() -> None:
    """A 429 with Retry-After carries the delay in seconds."""
    error = error_for_status(429, {"retry-after": "3"}, b"", write=False, what="GET x")
    assert isinstance(error, errors.RateLimited)
    assert error.retry_after == 3.0


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        (None, None),
        ("", None),
        ("  ", None),
        ("0", 0.0),
        ("7", 7.0),
        ("1.5", 1.5),
        ("-1", None),
        ("nan", None),
        ("inf", None),
        ("soon", None),
        ("Fri, 27 Nov 2026 10:00:30 GMT", 30.0),
        ("Fri, 27 Nov 2026 09:59:00 GMT", 0.0),
    ],
)
def test_parse_retry_after(header: str | None, expected: float | None) -> None:
    """Delta-seconds and HTTP dates are understood; junk and negatives are ignored."""
    now = datetime(2026, 11, 27, 10, 0, 0, tzinfo=UTC)
    assert parse_retry_after(header, now=now) == expected


@pytest.mark.parametrize(
    ("exc", "write", "expected", "disposition"),
    [
        (httpx.ConnectError("refused"), True, errors.ConnectFailed, Disposition.RETRY),
        (httpx.ConnectTimeout("slow"), True, errors.ConnectFailed, Disposition.RETRY),
        (httpx.PoolTimeout("busy"), True, errors.ConnectFailed, Disposition.RETRY),
        (httpx.ConnectError("refused"), False, errors.ConnectFailed, Disposition.RETRY),
        (httpx.ReadTimeout("slow"), True, errors.ResponseLost, Disposition.RECONCILE),
        (httpx.WriteTimeout("slow"), True, errors.ResponseLost, Disposition.RECONCILE),
        (httpx.ReadError("reset"), True, errors.ResponseLost, Disposition.RECONCILE),
        (httpx.RemoteProtocolError("gone"), True, errors.ResponseLost, Disposition.RECONCILE),
        (httpx.ReadTimeout("slow"), False, errors.ReadInterrupted, Disposition.RETRY),
        (httpx.RemoteProtocolError("gone"), False, errors.ReadInterrupted, Disposition.RETRY),
    ],
)
def test_transport_exception_maps_to_class(
    exc: httpx.TransportError,
    write: bool,
    expected: type[errors.SitooError],
    disposition: Disposition,
) -> None:
    """httpx failures split into not sent, lost after a write, and interrupted reads."""
    error = error_from_transport(exc, write=write, what="op")
    assert type(error) is expected
    assert error.disposition is disposition


def test_every_error_class_has_a_disposition_from_its_branch() -> None:
    """Each leaf of the tree inherits the disposition of the branch it sits on."""
    branches = {
        errors.Retryable: Disposition.RETRY,
        errors.OutcomeUnknown: Disposition.RECONCILE,
        errors.Permanent: Disposition.DEAD_LETTER,
        errors.WriteWithheld: Disposition.DEAD_LETTER,
    }
    leaves = [
        value
        for value in vars(errors).values()
        if isinstance(value, type) and issubclass(value, errors.SitooError)
    ]
    assert len(leaves) > 20
    for leaf in leaves:
        if leaf is errors.SitooError:
            continue
        (branch,) = [b for b in branches if issubclass(leaf, b)]
        assert leaf.disposition is branches[branch], leaf


def test_decode_response_returns_json_or_raises() -> None:
    """A 200 gives its JSON; a 200 with a broken body is an UnexpectedResponse."""
    assert decode_response(200, {}, b"4", write=True, what="op") == 4
    assert decode_response(200, {}, b"", write=True, what="op") is None
    with pytest.raises(errors.UnexpectedResponse):
        decode_response(200, {}, b"{oops", write=False, what="op")
    with pytest.raises(errors.NotFound):
        decode_response(404, {}, b'{"statuscode":404,"errortext":"x"}', write=False, what="op")


def test_batch_answers_are_normalised() -> None:
    """A bare value and a list of envelopes both become one result per element."""
    assert parse_batch(7, expected=1, what="op") == [BatchResult(200, 7)]
    data = [{"statuscode": 200, "return": 1}, {"statuscode": 400, "errortext": "Invalid value"}]
    results = parse_batch(data, expected=2, what="op")
    assert results[1] == BatchResult(400, None, "Invalid value")
    with pytest.raises(errors.BatchItemRejected) as caught:
        batch_values(results, what="op")
    assert caught.value.index == 1
    assert caught.value.disposition is Disposition.DEAD_LETTER
    with pytest.raises(errors.UnexpectedResponse):
        parse_batch([1, 2], expected=3, what="op")
    with pytest.raises(errors.UnexpectedResponse):
        parse_batch(1, expected=2, what="op")


def test_duplicate_key_errors_are_recognised() -> None:
    """Only a 400 naming the field and saying it exists counts as a duplicate."""
    duplicate = errors.BadRequest(
        "x", status=400, errortext="Order with externalid 'A1' already exists."
    )
    other = errors.BadRequest("x", status=400, errortext="Invalid value")
    assert is_duplicate_key_error(duplicate, "externalid")
    assert not is_duplicate_key_error(other, "externalid")
    assert not is_duplicate_key_error(errors.ServerError("x"), "externalid")


@pytest.mark.parametrize(
    ("error", "expected"),
    [
        (errors.RateLimited("x", retry_after=2.0), 2.0),
        (errors.RateLimited("x", retry_after=3600.0), MAX_RETRY_AFTER_S),
        (errors.RateLimited("x"), True),
        (errors.ConnectFailed("x"), True),
        (errors.ReadInterrupted("x"), True),
        (errors.ResponseLost("x"), True),
        (errors.ServerError("x"), True),
        (errors.BadRequest("x"), False),
        (errors.NotFound("x"), False),
        (ValueError("x"), False),
    ],
)
def test_backoff_decisions(error: Exception, expected: bool | float) -> None:
    """Retryable and unknown outcomes are retried, Retry-After wins (capped), the rest is not."""
    assert backoff(error) == expected
