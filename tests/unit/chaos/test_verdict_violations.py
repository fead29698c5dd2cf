"""The chaos verdict counts the requests the strict sandbox refused, and fails on any."""

from __future__ import annotations

from typing import Any

from tests.chaos.verdict import Collected, judge
from tests.chaos.workload import Plan


def _collected(violations: dict[str, Any]) -> Collected:
    return Collected(
        results=[],
        dead_letters={},
        hostile_entries={},
        stream_of_channel={},
        ledger=[],
        stock_before=[],
        stock_after=[],
        cards={},
        orders=[],
        replies={},
        hostile_replies={},
        store_redeems=[],
        pending={},
        violations=violations,
    )


def test_a_run_without_violations_passes() -> None:
    """An empty run with no refused request passes and reports 0."""
    verdict = judge(Plan("r"), _collected({"count": 0, "by_operation": {}, "recent": []}))
    assert verdict.figures["request violations"] == 0
    assert verdict.passed, verdict.failures


def test_one_violation_fails_the_run_and_names_it() -> None:
    """A single request outside the description fails the verdict with its errortext."""
    violation = {
        "method": "POST",
        "operation": "addGiftCardTransaction",
        "errortext": "Invalid request body: expected an object, got an array.",
    }
    collected = _collected(
        {"count": 1, "by_operation": {"addGiftCardTransaction": 1}, "recent": [violation]}
    )
    verdict = judge(Plan("r"), collected)
    assert verdict.figures["request violations"] == 1
    assert not verdict.passed
    assert "expected an object, got an array" in verdict.failures[0]
