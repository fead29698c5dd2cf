"""deploy/monitoring: alert rules that promtool accepts and whose unit tests pass, a dashboard that
reads only what the service exports, so renaming a metric cannot silently break either."""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.support.metrics_catalogue import exported_series, series_in
from tests.support.official_validators import promtool
from tests.unit.deploy.deployfiles import DEPLOY, ROOT, k8s_objects, load_yaml

MONITORING = DEPLOY / "monitoring"
RULES = MONITORING / "alerts.yaml"
RULE_TESTS = MONITORING / "alerts_test.yaml"
DASHBOARD = MONITORING / "dashboard.json"
# Prometheus' own series the rules may read beside the service's.
PROMETHEUS_SERIES = {"up"}
# Grafana's variables, replaced by what they stand for so promtool can parse the query.
GRAFANA_VARIABLES = {"$__rate_interval": "5m", "$instance": ".*"}


def _alerts() -> list[dict[str, Any]]:
    return [rule for group in load_yaml(RULES)["groups"] for rule in group["rules"]]


def _dashboard() -> dict[str, Any]:
    document: dict[str, Any] = json.loads(DASHBOARD.read_text(encoding="utf-8"))
    return document


def _dashboard_expressions() -> list[str]:
    return [
        target["expr"] for panel in _dashboard()["panels"] for target in panel.get("targets", [])
    ]


def _promtool(*args: str, cwd: Path = MONITORING) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [promtool(), *args], cwd=cwd, check=False, capture_output=True, text=True, timeout=60
    )


def test_promtool_accepts_the_rules() -> None:
    """promtool check rules: valid YAML, PromQL and templates (as docs/metrics.md runs it)."""
    result = _promtool("check", "rules", "deploy/monitoring/alerts.yaml", cwd=ROOT)
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"SUCCESS: {len(_alerts())} rules found" in result.stdout


def test_rule_unit_tests_pass() -> None:
    """promtool test rules: each alert fires on its situation and not on its look-alike."""
    result = _promtool("test", "rules", "deploy/monitoring/alerts_test.yaml", cwd=ROOT)
    assert result.returncode == 0, result.stdout + result.stderr


def test_promtool_run_is_real(tmp_path: Path) -> None:
    """A rule test expecting the wrong thing fails, so a passing run means something."""
    (tmp_path / "alerts.yaml").write_text(RULES.read_text(encoding="utf-8"), encoding="utf-8")
    wrong = {
        "rule_files": ["alerts.yaml"],
        "tests": [
            {
                "interval": "1m",
                "input_series": [{"series": 'sitoo_sync_ready{instance="a"}', "values": "1x10"}],
                "alert_rule_test": [
                    {
                        "eval_time": "10m",
                        "alertname": "SitooSyncNotReady",
                        "exp_alerts": [{"exp_labels": {"severity": "critical", "instance": "a"}}],
                    }
                ],
            }
        ],
    }
    (tmp_path / "wrong_test.yaml").write_text(json.dumps(wrong), encoding="utf-8")
    assert _promtool("test", "rules", "wrong_test.yaml", cwd=tmp_path).returncode != 0


def test_every_alert_is_unit_tested_firing() -> None:
    """Each alert has a case in alerts_test.yaml where it is expected to fire."""
    firing = {
        case["alertname"]
        for test in load_yaml(RULE_TESTS)["tests"]
        for case in test.get("alert_rule_test", [])
        if case.get("exp_alerts")
    }
    assert {alert["alert"] for alert in _alerts()} == firing


def test_every_alert_has_a_severity_and_says_what_to_do() -> None:
    """severity warning or critical; summary, description and a runbook that exists."""
    for alert in _alerts():
        assert alert["labels"]["severity"] in {"warning", "critical"}, alert["alert"]
        annotations = alert["annotations"]
        assert {"summary", "description", "runbook"} <= set(annotations), alert["alert"]
        page, _, anchor = annotations["runbook"].partition("#")
        document = ROOT / page
        assert document.is_file(), annotations["runbook"]
        if anchor:
            assert anchor in _anchors(document), annotations["runbook"]


def _anchors(document: Path) -> set[str]:
    """GitHub's anchors of a Markdown page's headings."""
    anchors = set()
    for line in document.read_text(encoding="utf-8").splitlines():
        if line.startswith("#"):
            title = line.lstrip("#").strip().lower()
            anchors.add(re.sub(r"[^a-z0-9 _-]", "", title).replace(" ", "-"))
    return anchors


def test_rules_and_dashboard_read_only_exported_series() -> None:
    """Every series the alerts and the dashboard query is one the service exports."""
    exported = exported_series() | PROMETHEUS_SERIES
    expressions = [alert["expr"] for alert in _alerts()] + _dashboard_expressions()
    used = set().union(*(series_in(expression) for expression in expressions))
    assert used, "no series found: the reader is broken"
    assert used - exported == set()
    # The catalogue is not trivially everything: a renamed series would be caught.
    assert "sitoo_requests_total" not in exported
    assert "sitoo_sync_sitoo_requests_total" in exported


def test_rule_tests_feed_only_exported_series() -> None:
    """The unit tests' input series are named as the service names them, so they test reality."""
    exported = exported_series() | PROMETHEUS_SERIES
    fed = {
        series["series"].partition("{")[0]
        for test in load_yaml(RULE_TESTS)["tests"]
        for series in test["input_series"]
    }
    assert fed - exported == set()


def test_the_rules_cover_what_operators_must_be_woken_for() -> None:
    """Backlog, dead letters, stale pollers, 429s, 5xx, refused users, the web hook, readiness."""
    expressions = " ".join(alert["expr"] for alert in _alerts())
    for needed in (
        "sitoo_sync_stream_unread_entries",
        "sitoo_sync_dead_letter_entries",
        "sitoo_sync_poller_lag_seconds",
        'outcome="rate_limited"',
        "server_error",
        "sitoo_sync_sitoo_credential_refused",
        "sitoo_sync_webhook_requests_total",
        "sitoo_sync_ready",
    ):
        assert needed in expressions, needed


def test_dashboard_is_well_formed() -> None:
    """Unique panel ids, a Prometheus data-source variable, a query behind every chart."""
    dashboard = _dashboard()
    panels = dashboard["panels"]
    ids = [panel["id"] for panel in panels]
    assert len(ids) == len(set(ids))
    variables = {v["name"]: v for v in dashboard["templating"]["list"]}
    assert variables["datasource"]["type"] == "datasource"
    assert variables["datasource"]["query"] == "prometheus"
    for panel in panels:
        if panel["type"] == "row":
            continue
        assert panel["datasource"]["uid"] == "${datasource}", panel["title"]
        assert panel["targets"], panel["title"]
        assert all(target["expr"].strip() for target in panel["targets"]), panel["title"]


def test_dashboard_queries_are_valid_promql(tmp_path: Path) -> None:
    """Each query, with Grafana's variables filled in, parses (as a recording rule) in promtool."""
    rules = []
    for number, expression in enumerate(_dashboard_expressions()):
        for variable, value in GRAFANA_VARIABLES.items():
            expression = expression.replace(variable, value)  # noqa: PLW2901
        assert "$" not in expression, expression
        rules.append({"record": f"dashboard:query_{number}", "expr": expression})
    path = tmp_path / "dashboard_rules.yaml"
    path.write_text(json.dumps({"groups": [{"name": "dashboard", "rules": rules}]}))
    result = _promtool("check", "rules", str(path), cwd=tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize("path", [RULES, RULE_TESTS], ids=lambda p: p.name)
def test_yaml_files_parse(path: Path) -> None:
    """The files load as YAML (promtool aside)."""
    assert load_yaml(path)


def test_the_documented_pod_monitor_scrapes_the_ops_port_of_the_pods() -> None:
    """docs/metrics.md's PodMonitor selects the Deployment's pods and names its ops port."""
    text = (ROOT / "docs" / "metrics.md").read_text(encoding="utf-8")
    [block] = [b for b in re.findall(r"```yaml\n(.*?)```", text, re.DOTALL) if "PodMonitor" in b]
    monitor = yaml.safe_load(block)
    deployment = k8s_objects()["Deployment"]
    pod = deployment["spec"]["template"]
    [container] = pod["spec"]["containers"]
    selector = monitor["spec"]["selector"]["matchLabels"]
    assert selector.items() <= pod["metadata"]["labels"].items()
    [endpoint] = monitor["spec"]["podMetricsEndpoints"]
    assert endpoint["port"] in {port["name"] for port in container["ports"]}
    assert endpoint["port"] == "ops"
    assert endpoint["path"] == "/metrics"
