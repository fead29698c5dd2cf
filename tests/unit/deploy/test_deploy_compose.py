"""deploy/compose.yaml runs Redis with AOF, the service and the sandbox with valid configuration."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import typer.main
import yaml

from service.cli import cli
from service.settings import Settings
from tests.unit.deploy.deployfiles import (
    COMPOSE,
    DEPLOY,
    ROOT,
    app_routes,
    interpolate,
    interpolated_names,
    load_yaml,
    pyproject,
    setting_fields,
)


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    """The Compose file as data."""
    data = load_yaml(COMPOSE)
    assert isinstance(data, dict)
    return data


def _environment(service: dict[str, Any]) -> dict[str, str | None]:
    environment = service.get("environment", {})
    if isinstance(environment, list):
        return {k: (v if sep else None) for k, sep, v in (e.partition("=") for e in environment)}
    return {k: None if v is None else str(v) for k, v in environment.items()}


def _option_value(command: list[str], option: str) -> str:
    return command[command.index(option) + 1]


def test_redis_persists_with_aof_on_a_named_volume(compose) -> None:
    """Redis runs with appendonly yes and keeps /data on a declared volume."""
    redis = compose["services"]["redis"]
    command = redis["command"]
    assert _option_value(command, "--appendonly") == "yes"
    volume, _, target = redis["volumes"][0].partition(":")
    assert target == "/data"
    assert volume in compose["volumes"]
    assert redis["healthcheck"]["test"]


def test_service_is_built_from_the_repository_dockerfile(compose) -> None:
    """The service and the sandbox run the image built from the root Dockerfile, by version."""
    version = pyproject()["project"]["version"]
    for name in ("sitoo-sync", "sandbox"):
        assert compose["services"][name]["image"] == f"sitoo-sync:{version}"
        build = compose["services"][name]["build"]
        context = (COMPOSE.parent / build["context"]).resolve()
        assert context == ROOT
        assert (context / build["dockerfile"]).is_file()


def test_service_restarts_always_and_has_a_healthcheck_on_a_served_path(compose) -> None:
    """restart: always (a dead subscriber does not end the process) and a /healthz check."""
    service = compose["services"]["sitoo-sync"]
    assert service["restart"] == "always"
    assert service["command"] == ["run"]
    check = " ".join(service["healthcheck"]["test"])
    paths = set(re.findall(r"127\.0\.0\.1:\d+(/\w+)", check))
    assert paths == {"/healthz"}
    assert paths <= app_routes()
    assert service["depends_on"]["redis"]["condition"] == "service_healthy"


def test_every_variable_is_a_setting(compose) -> None:
    """Each SITOO_SYNC_* name set or interpolated in the Compose file exists in Settings."""
    known = setting_fields()
    used: set[str] = set()
    for service in compose["services"].values():
        for name, value in _environment(service).items():
            used.add(name)
            used.update(interpolated_names(value or ""))
    ours = {name for name in used if name.startswith("SITOO_SYNC_")}
    assert ours
    assert ours <= set(known), sorted(ours - set(known))


def test_service_environment_is_valid_configuration(compose, monkeypatch) -> None:
    """With Compose's defaults resolved, the service's environment loads as Settings."""
    monkeypatch.delenv("SITOO_SYNC_REDIS__URL", raising=False)
    for name, value in _environment(compose["services"]["sitoo-sync"]).items():
        if value is not None:
            monkeypatch.setenv(name, interpolate(value))
    settings = Settings()
    assert settings.redis.url is not None
    assert urlsplit(settings.redis.url.get_secret_value()).hostname == "redis"
    assert not settings.sitoo.uses_sandbox


def test_sandbox_matches_the_service_configuration(compose) -> None:
    """The sandbox listens where the service looks and accepts the credentials it sends."""
    command = compose["services"]["sandbox"]["command"]
    assert command[0] == "sandbox"
    environment = {
        name: interpolate(value)
        for name, value in _environment(compose["services"]["sitoo-sync"]).items()
        if value is not None
    }
    base_url = urlsplit(environment["SITOO_SYNC_SITOO__BASE_URL"])
    assert base_url.hostname == "sandbox"
    assert str(base_url.port) == _option_value(command, "--port")
    assert base_url.path == f"/v2/accounts/{_option_value(command, '--account-id')}"
    assert environment["SITOO_SYNC_SITOO__API_ID"] == _option_value(command, "--api-id")
    assert environment["SITOO_SYNC_SITOO__API_PASSWORD"] == _option_value(command, "--api-password")
    assert _option_value(command, "--host") == "0.0.0.0"  # noqa: S104 - reachable from the service


def test_sandbox_command_uses_only_options_the_cli_has(compose) -> None:
    """Every --option of the sandbox command is an option of `sitoo-sync sandbox`."""
    sandbox = typer.main.get_command(cli).commands["sandbox"]  # type: ignore[attr-defined]
    known = {opt for param in sandbox.params for opt in getattr(param, "opts", [])}
    used = {word for word in compose["services"]["sandbox"]["command"] if word.startswith("--")}
    assert used <= known, sorted(used - known)


def _ops_port(compose: dict[str, Any]) -> str:
    environment = _environment(compose["services"]["sitoo-sync"])
    port = environment["SITOO_SYNC_HTTP__OPS_PORT"]
    assert port is not None
    return interpolate(port)


def test_health_and_metrics_have_their_own_published_port(compose) -> None:
    """The ops port differs from the web-hook port, is published, and the healthcheck uses it."""
    service = compose["services"]["sitoo-sync"]
    environment = _environment(service)
    ops = _ops_port(compose)
    assert ops != interpolate(environment["SITOO_SYNC_HTTP__PORT"] or "")
    published = {mapping.rsplit(":", 1)[1] for mapping in service["ports"]}
    assert ops in published
    check = " ".join(service["healthcheck"]["test"])
    assert re.findall(r"127\.0\.0\.1:(\d+)/healthz", check) == [ops]


def _mounted(service: dict[str, Any], target: str) -> Path:
    [source] = [v.split(":")[0] for v in service["volumes"] if v.split(":")[1] == target]
    path = DEPLOY / Path(source)
    assert path.is_file(), path
    return path


def test_prometheus_scrapes_the_ops_port_and_loads_the_alert_rules(compose) -> None:
    """The optional Prometheus scrapes /metrics on the ops port and evaluates alerts.yaml."""
    prometheus = compose["services"]["prometheus"]
    assert prometheus["profiles"] == ["metrics"]
    config = yaml.safe_load(_mounted(prometheus, "/etc/prometheus/prometheus.yml").read_text())
    [job] = config["scrape_configs"]
    assert job["metrics_path"] == "/metrics"
    [target] = job["static_configs"][0]["targets"]
    host, _, port = target.partition(":")
    assert host in compose["services"]
    assert port == _ops_port(compose)
    [rules] = config["rule_files"]
    assert _mounted(prometheus, rules) == DEPLOY / "monitoring" / "alerts.yaml"


def test_grafana_provisions_the_dashboard_and_the_compose_prometheus(compose) -> None:
    """Grafana (profile metrics) loads dashboard.json from the path its provider reads."""
    grafana = compose["services"]["grafana"]
    assert grafana["profiles"] == ["metrics"]
    provider = load_yaml(_mounted(grafana, "/etc/grafana/provisioning/dashboards/sitoo-sync.yaml"))
    [source] = provider["providers"]
    dashboard = _mounted(grafana, f"{source['options']['path']}/sitoo-sync.json")
    assert dashboard == DEPLOY / "monitoring" / "dashboard.json"
    sources = load_yaml(_mounted(grafana, "/etc/grafana/provisioning/datasources/sitoo-sync.yaml"))
    [prometheus] = sources["datasources"]
    assert urlsplit(prometheus["url"]).hostname == "prometheus"
    assert prometheus["type"] == "prometheus"
