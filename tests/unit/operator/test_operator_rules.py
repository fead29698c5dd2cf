"""Pure rules of the operator commands: failure classification, --since, ages, exit status."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from service.operator.check import Failure, Finding, account_of, classify, exit_status
from service.operator.golive import redis_version_item
from service.operator.resync import InvalidSince, parse_since
from service.operator.status import format_age

NOW = datetime(2026, 3, 8, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("status", "text", "site_path", "expected"),
    [
        (401, "Authentication failed", False, Failure.WRONG_CREDENTIALS),
        (401, "IP not allowed", False, Failure.IP_NOT_ALLOWED),
        (403, "IP address is not whitelisted", True, Failure.IP_NOT_ALLOWED),
        (403, "Forbidden", True, Failure.ACCESS_DENIED),
        (404, "Account not found", False, Failure.WRONG_ACCOUNT),
        (404, "Invalid URL", False, Failure.WRONG_ACCOUNT),
        (404, "Site not found", True, Failure.WRONG_SITE),
        (404, "Not found", True, Failure.WRONG_SITE),
        (500, "Internal Server Error", True, Failure.SITOO_ERROR),
    ],
)
def test_classify(status: int, text: str, site_path: bool, expected: Failure) -> None:
    """Status and errortext map onto the failure kinds the check reports."""
    assert classify(status, text, site_path=site_path) is expected


def test_a_word_containing_ip_is_not_an_ip_refusal() -> None:
    """Only "IP" as a word counts: "recipient" in a 401 text stays a credentials problem."""
    assert classify(401, "recipient unknown", site_path=False) is Failure.WRONG_CREDENTIALS


def test_exit_status_is_the_first_failure() -> None:
    """All passed → 0; otherwise the exit status of the first failed finding."""
    ok = Finding("redis", "reached")
    assert exit_status([ok]) == 0
    findings = [
        ok,
        Finding("sitoo (a)", "x", Failure.WRONG_SITE),
        Finding("sitoo (b)", "y", Failure.IP_NOT_ALLOWED),
    ]
    assert exit_status(findings) == Failure.WRONG_SITE.exit_status
    assert len({failure.exit_status for failure in Failure}) == len(Failure)


def test_account_of_base_url() -> None:
    """The account is the last path segment of the base URL."""
    assert account_of("https://api.mysitoo.com/v2/accounts/12345") == "12345"
    assert account_of("https://api.mysitoo.com/v2/") is None


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("30m", datetime(2026, 3, 8, 11, 30, tzinfo=UTC)),
        ("12h", datetime(2026, 3, 8, 0, 0, tzinfo=UTC)),
        ("7d", datetime(2026, 3, 1, 12, 0, tzinfo=UTC)),
        ("2026-03-01", datetime(2026, 3, 1, tzinfo=UTC)),
        ("2026-03-01T12:00:00Z", datetime(2026, 3, 1, 12, tzinfo=UTC)),
        ("2026-03-01T13:00:00+01:00", datetime(2026, 3, 1, 12, tzinfo=UTC)),
    ],
)
def test_parse_since(text: str, expected: datetime) -> None:
    """Ages count back from now; dates without a zone are UTC."""
    assert parse_since(text, now=NOW) == int(expected.timestamp())


@pytest.mark.parametrize("text", ["yesterday", "7 days", "-1d", ""])
def test_parse_since_refuses_other_text(text: str) -> None:
    """Anything else is refused with a message listing the accepted forms."""
    with pytest.raises(InvalidSince, match="30m, 12h, 7d"):
        parse_since(text, now=NOW)


@pytest.mark.parametrize(
    ("seconds", "text"),
    [(None, "-"), (0, "0s"), (59.9, "59s"), (75, "1m15s"), (7260, "2h01m"), (90_000, "1d01h")],
)
def test_format_age(seconds: float | None, text: str) -> None:
    """Ages are shown in their two largest units."""
    assert format_age(seconds) == text


@pytest.mark.parametrize(
    ("version", "ok"),
    [
        ("7.0.0", True),
        ("7.2.4", True),  # what the embedded Valkey reports
        ("8.0.1", True),
        ("6.2.14", False),
        ("5.0.7", False),
        ("", False),
        ("unstable", False),
    ],
)
def test_redis_version_item(version: str, ok: bool) -> None:
    """Redis 7 or newer goes live; older, or a version INFO did not give, is named with the fix."""
    item = redis_version_item(version)
    assert item.ok is ok
    assert item.subject == "redis version"
    if not ok:
        assert "needs Redis 7 or newer" in item.message
