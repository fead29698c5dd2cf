"""deploy/k8s describes a safe, valid deployment: replicas, probes, limits, secrets, disruptions."""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

import pytest

from service.app import OPS_PATHS
from service.settings import Settings, SitooSettings
from tests.unit.deploy.deployfiles import (
    K8S,
    app_routes,
    k8s_objects,
    load_yaml,
    pyproject,
    setting_fields,
    stage_instructions,
)

PRESTOP_MARGIN_S = 15  # time to hand back unfinished entries and close clients after the deadline


@pytest.fixture(scope="module")
def objects() -> dict[str, dict[str, Any]]:
    """The objects of deploy/k8s by kind."""
    return k8s_objects()


@pytest.fixture(scope="module")
def pod(objects) -> dict[str, Any]:
    """The Deployment's pod template."""
    return objects["Deployment"]["spec"]["template"]


@pytest.fixture(scope="module")
def container(pod) -> dict[str, Any]:
    """The one container of the pod."""
    [container] = pod["spec"]["containers"]
    return container


def test_kustomization_lists_everything_but_the_placeholder_secret() -> None:
    """kubectl apply -k deploys every manifest except secret.yaml, whose values are placeholders."""
    kustomization = load_yaml(K8S / "kustomization.yaml")
    listed = set(kustomization["resources"])
    present = {p.name for p in K8S.glob("*.yaml")} - {"kustomization.yaml"}
    assert listed == present - {"secret.yaml"}


def test_at_least_two_replicas_and_a_budget_that_allows_draining(objects, pod) -> None:
    """Two or more replicas; the PDB keeps one and selects exactly the Deployment's pods."""
    deployment = objects["Deployment"]
    replicas = deployment["spec"]["replicas"]
    assert replicas >= 2
    budget = objects["PodDisruptionBudget"]["spec"]
    assert 1 <= budget["minAvailable"] < replicas
    labels = pod["metadata"]["labels"]
    assert budget["selector"]["matchLabels"].items() <= labels.items()
    assert deployment["spec"]["selector"]["matchLabels"].items() <= labels.items()


def _ports(container: dict[str, Any]) -> dict[str, int]:
    return {port["name"]: port["containerPort"] for port in container["ports"]}


def test_probes_use_ops_paths_on_the_ops_port(container) -> None:
    """Liveness and startup ask /healthz, readiness asks /readyz, all on the ops port."""
    routes = app_routes()
    expected = {
        "livenessProbe": "/healthz",
        "startupProbe": "/healthz",
        "readinessProbe": "/readyz",
    }
    for probe, path in expected.items():
        http_get = container[probe]["httpGet"]
        assert http_get["path"] == path
        assert path in routes
        assert path in OPS_PATHS
        assert http_get["port"] == "ops"


def test_container_ports_are_the_configured_ports(objects, container) -> None:
    """Port http is SITOO_SYNC_HTTP__PORT and port ops is __OPS_PORT, from the ConfigMap."""
    data = objects["ConfigMap"]["data"]
    assert _ports(container) == {
        "http": int(data["SITOO_SYNC_HTTP__PORT"]),
        "ops": int(data["SITOO_SYNC_HTTP__OPS_PORT"]),
    }


def test_service_publishes_only_the_web_hook(objects, pod, container) -> None:
    """The Service (what an ingress targets) selects the pods and exposes the web hook alone."""
    service = objects["Service"]["spec"]
    assert service["selector"].items() <= pod["metadata"]["labels"].items()
    assert [port["targetPort"] for port in service["ports"]] == ["http"]
    assert "ops" not in {str(port.get("port")) for port in service["ports"]}


def test_prometheus_scrapes_the_ops_port(pod, container) -> None:
    """The scrape annotations name the ops port and the metrics path."""
    annotations = pod["metadata"]["annotations"]
    assert annotations["prometheus.io/scrape"] == "true"
    assert annotations["prometheus.io/path"] == "/metrics"
    assert int(annotations["prometheus.io/port"]) == _ports(container)["ops"]


def test_runs_as_the_image_user_without_root_or_a_writable_root_filesystem(pod, container) -> None:
    """runAsNonRoot with the Dockerfile's uid, a read-only root fs and no privilege escalation."""
    [user] = stage_instructions("runtime", "USER")
    uid = int(user.arguments.partition(":")[0])
    pod_context, context = pod["spec"]["securityContext"], container["securityContext"]
    assert pod_context["runAsNonRoot"] is True
    assert context["runAsNonRoot"] is True
    assert pod_context["runAsUser"] == uid
    assert context["runAsUser"] == uid
    assert context["readOnlyRootFilesystem"] is True
    assert context["allowPrivilegeEscalation"] is False
    assert context["capabilities"]["drop"] == ["ALL"]
    assert pod["spec"]["automountServiceAccountToken"] is False


def test_writable_paths_are_volumes(pod, container) -> None:
    """With a read-only root fs, /tmp is an emptyDir and the secrets are a read-only mount."""
    volumes = {volume["name"]: volume for volume in pod["spec"]["volumes"]}
    mounts = {mount["mountPath"]: mount for mount in container["volumeMounts"]}
    assert "emptyDir" in volumes[mounts["/tmp"]["name"]]  # noqa: S108 - the pod's own /tmp
    secrets = mounts["/run/secrets"]
    assert secrets["readOnly"] is True
    assert volumes[secrets["name"]]["secret"]["secretName"] == "sitoo-sync-secrets"


def _quantity(value: str) -> float:
    units = {"m": 1e-3, "Ki": 2**10, "Mi": 2**20, "Gi": 2**30, "": 1}
    match = re.fullmatch(r"([0-9.]+)(m|Ki|Mi|Gi|)", str(value))
    assert match is not None, value
    return float(match[1]) * units[match[2]]


def test_resources_have_requests_within_limits(container) -> None:
    """CPU and memory have requests and limits, and no request exceeds its limit."""
    resources = container["resources"]
    for kind in ("cpu", "memory"):
        request, limit = resources["requests"][kind], resources["limits"][kind]
        assert 0 < _quantity(request) <= _quantity(limit), kind


def test_grace_period_outlasts_an_in_flight_sitoo_call(pod, container) -> None:
    """terminationGracePeriodSeconds covers preStop, the Sitoo call deadline and a margin."""
    prestop = container["lifecycle"]["preStop"]["exec"]["command"]
    assert prestop[0] == "sleep"
    needed = int(prestop[1]) + SitooSettings().call_deadline_s + PRESTOP_MARGIN_S
    assert pod["spec"]["terminationGracePeriodSeconds"] >= needed


def test_consumer_name_comes_from_the_pod_name(container) -> None:
    """Each pod is its own consumer in the group, named by the downward API."""
    env = {item["name"]: item for item in container["env"]}
    consumer = env["SITOO_SYNC_STREAMS__CONSUMER"]
    assert consumer["valueFrom"]["fieldRef"]["fieldPath"] == "metadata.name"


def test_every_variable_is_a_setting_and_secrets_stay_in_the_secret(objects, container) -> None:
    """Every variable named is a setting, and secret settings come only from the Secret."""
    fields = setting_fields()
    config_keys = set(objects["ConfigMap"]["data"])
    secret_keys = set(objects["Secret"]["stringData"])
    env_names = {item["name"] for item in container["env"]}
    assert (config_keys | secret_keys | env_names) <= set(fields)
    assert not [name for name in config_keys | env_names if fields[name].secret]
    # More API users are optional; the Secret template carries the single-value secrets. The
    # webshop groups are optional as a whole: a placeholder would switch the adapter on.
    optional = ("_CREDENTIALS", "_SHOPIFY__", "_WOOCOMMERCE__")
    top_level_secrets = {
        name
        for name, field in fields.items()
        if field.secret and not any(part in name for part in optional)
    }
    assert secret_keys == top_level_secrets
    placeholders = objects["Secret"]["stringData"].values()
    assert all("REPLACE-ME" in value for value in placeholders)


def _mount_secret_like_kubelet(directory: Path, values: dict[str, str]) -> None:
    """Lay out files the way the kubelet does: a timestamped dir, ..data, and symlinks."""
    versioned = directory / "..2026_01_01_00_00_00.000000001"
    versioned.mkdir(parents=True)
    for name, value in values.items():
        (versioned / name).write_text(value, encoding="utf-8")
    (directory / "..data").symlink_to(versioned.name)
    for name in values:
        (directory / name).symlink_to(f"..data/{name}")


def test_manifests_configure_a_valid_service(objects, monkeypatch, tmp_path) -> None:
    """ConfigMap + Secret files + pod name load as Settings that reach a real Sitoo and Redis."""
    for name in [n for n in os.environ if n.startswith("SITOO_SYNC_")]:
        monkeypatch.delenv(name)
    for name, value in objects["ConfigMap"]["data"].items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("SITOO_SYNC_STREAMS__CONSUMER", "sitoo-sync-7d9f8b6c5-x2x4q")
    _mount_secret_like_kubelet(tmp_path / "secrets", objects["Secret"]["stringData"])
    settings = Settings(_secrets_dir=tmp_path / "secrets")
    assert not settings.sitoo.uses_sandbox
    assert settings.sitoo.api_password is not None
    assert settings.sitoo.api_password.get_secret_value() == "REPLACE-ME"
    assert settings.redis.url is not None
    assert settings.http.webhook_password is not None
    assert settings.streams.consumer == "sitoo-sync-7d9f8b6c5-x2x4q"
    assert settings.http.ops_port is not None
    assert settings.http.ops_port != settings.http.port


def test_image_tag_is_the_project_version(container) -> None:
    """The manifests name the image tag of the current version, like the Dockerfile's label."""
    version = pyproject()["project"]["version"]
    assert container["image"].rsplit(":", 1)[1] == version
    assert container["args"] == ["run"]
