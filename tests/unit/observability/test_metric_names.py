"""Metric names follow Prometheus' conventions under one prefix; docs/metrics.md lists them all."""

from __future__ import annotations

import re
from pathlib import Path

from service.observability.webhook import webhook_outcome
from service.sitoo.errors import ConnectFailed, ReadInterrupted, ResponseLost
from service.sitoo.metrics import request_outcome
from tests.support.metrics_catalogue import FOREIGN_PREFIXES, exported_families

DOCS = Path(__file__).resolve().parents[3] / "docs" / "metrics.md"
PREFIX = "sitoo_sync_"
UNITS = ("_seconds", "_bytes", "_entries")
REQUEST_OUTCOMES = {
    "succeeded",
    "unauthorized",
    "rate_limited",
    "client_error",
    "server_error",
    "connect_failed",
    "response_lost",
    "read_interrupted",
    "cancelled",
}


def _ours() -> dict[str, str]:
    return {n: t for n, t in exported_families().items() if not n.startswith(FOREIGN_PREFIXES)}


def _documented_name(name: str, kind: str) -> str:
    return name + {"counter": "_total", "info": "_info"}.get(kind, "")


def test_every_service_metric_has_the_one_prefix() -> None:
    """Nothing of ours outside sitoo_sync_; the foreign families are the standard ones."""
    families = exported_families()
    assert all(name.startswith(PREFIX) for name in _ours())
    assert {"process_cpu_seconds", "python_info", "python_gc_collections"} <= set(families)
    assert not [name for name in families if name.startswith("sitoo_") and PREFIX not in name]


def test_durations_and_sizes_carry_their_unit() -> None:
    """Histograms and names about time end in a base unit; no counter is named _total twice."""
    for name, kind in _ours().items():
        if kind == "histogram":
            assert name.endswith(UNITS), name
        if re.search(r"(time|age|lag|duration|wait|interval)", name) and kind != "counter":
            assert name.endswith(("_seconds", "_timestamp_seconds")), name
        assert not name.endswith("_total"), name  # the client adds it to counters


def test_build_info_and_readiness_are_exported() -> None:
    """sitoo_sync_build_info (version, python) and the readiness gauges exist."""
    families = exported_families()
    assert families["sitoo_sync_build"] == "info"
    assert families["sitoo_sync_ready"] == "gauge"
    assert families["sitoo_sync_readiness_check"] == "gauge"


def test_docs_list_exactly_the_exported_metrics() -> None:
    """Each row of docs/metrics.md's table names an exported metric, and each metric has a row."""
    text = DOCS.read_text(encoding="utf-8")
    documented = set(re.findall(r"^\| `(sitoo_sync_[a-z_]+)` \|", text, flags=re.MULTILINE))
    exported = {_documented_name(name, kind) for name, kind in _ours().items()}
    assert documented == exported


def test_request_outcome_is_a_state_never_a_code() -> None:
    """Every HTTP status maps to one of the documented states."""
    assert {request_outcome(status) for status in range(100, 600)} <= REQUEST_OUTCOMES


def test_request_outcomes_of_answers_and_failures() -> None:
    """The classes of answers, and the transport failures by their kind."""
    assert request_outcome(200) == "succeeded"
    assert request_outcome(401) == request_outcome(403) == "unauthorized"
    assert request_outcome(429) == "rate_limited"
    assert request_outcome(404) == "client_error"
    assert request_outcome(502) == "server_error"
    assert request_outcome(None, ConnectFailed) == "connect_failed"
    assert request_outcome(None, ResponseLost) == "response_lost"
    assert request_outcome(None, ReadInterrupted) == "read_interrupted"
    assert request_outcome(None) == "cancelled"


def test_webhook_outcomes() -> None:
    """200 accepted, 401 unauthorized, 503 unavailable, other 4xx rejected, other 5xx failed."""
    assert webhook_outcome(200) == "accepted"
    assert webhook_outcome(401) == "unauthorized"
    assert webhook_outcome(503) == "unavailable"
    assert webhook_outcome(405) == "rejected"
    assert webhook_outcome(500) == "failed"
