"""deploy/k8s/networkpolicy.yaml lets in the web hook and Prometheus, and out only what is needed.

The policy is read with the NetworkPolicy rules (a rule without ``from``/``to`` matches every
peer, one without ``ports`` every port; the rules of a direction are OR-ed), then asked about
concrete connections.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import pytest

from tests.unit.deploy.deployfiles import k8s_objects

MONITORING = {"kubernetes.io/metadata.name": "monitoring"}
INGRESS_CONTROLLER = {"kubernetes.io/metadata.name": "ingress-nginx"}
APPS = {"kubernetes.io/metadata.name": "shop"}


@dataclass(frozen=True)
class Peer:
    """The other end of a connection: a pod in a namespace, or an address outside."""

    namespace: dict[str, str] = field(default_factory=dict)
    pod: dict[str, str] = field(default_factory=dict)
    ip: str | None = None


def _labels_match(selector: dict[str, Any] | None, labels: dict[str, str]) -> bool:
    if selector is None:
        return True
    assert set(selector) <= {"matchLabels"}, "only matchLabels is read here"
    return selector.get("matchLabels", {}).items() <= labels.items()


def _peer_matches(rule_peer: dict[str, Any], peer: Peer) -> bool:
    if "ipBlock" in rule_peer:
        if peer.ip is None:
            return False
        block = rule_peer["ipBlock"]
        address = ipaddress.ip_address(peer.ip)
        inside = address in ipaddress.ip_network(block["cidr"])
        excluded = any(address in ipaddress.ip_network(e) for e in block.get("except", []))
        return inside and not excluded
    if peer.ip is not None:
        return False
    if "namespaceSelector" not in rule_peer:
        return False  # a podSelector alone means pods of the policy's own namespace
    return _labels_match(rule_peer["namespaceSelector"], peer.namespace) and _labels_match(
        rule_peer.get("podSelector"), peer.pod
    )


def _port_matches(rule_ports: list[dict[str, Any]] | None, port: int | str, protocol: str) -> bool:
    if not rule_ports:
        return True
    return any(
        entry.get("port") == port and entry.get("protocol", "TCP") == protocol
        for entry in rule_ports
    )


def allowed(
    policy: dict[str, Any], direction: str, peer: Peer, port: int | str, protocol: str = "TCP"
) -> bool:
    """Whether ``policy`` lets the connection through in ``direction`` (ingress/egress)."""
    spec = policy["spec"]
    assert direction.capitalize() in spec["policyTypes"]
    peers_key = "from" if direction == "ingress" else "to"
    for rule in spec.get(direction, []):
        peers = rule.get(peers_key)
        if peers and not any(_peer_matches(p, peer) for p in peers):
            continue
        if _port_matches(rule.get("ports"), port, protocol):
            return True
    return False


@pytest.fixture(scope="module")
def objects() -> dict[str, dict[str, Any]]:
    """The objects of deploy/k8s by kind."""
    return k8s_objects()


@pytest.fixture(scope="module")
def policy(objects) -> dict[str, Any]:
    """The NetworkPolicy."""
    return objects["NetworkPolicy"]


def test_policy_selects_the_pods_in_both_directions(objects, policy) -> None:
    """It applies to the Deployment's pods and restricts ingress and egress."""
    labels = objects["Deployment"]["spec"]["template"]["metadata"]["labels"]
    assert policy["spec"]["podSelector"]["matchLabels"].items() <= labels.items()
    assert set(policy["spec"]["policyTypes"]) == {"Ingress", "Egress"}


def test_every_port_the_policy_names_is_a_container_port(objects, policy) -> None:
    """Named ports in the ingress rules exist on the container (a typo would block traffic)."""
    [container] = objects["Deployment"]["spec"]["template"]["spec"]["containers"]
    names = {port["name"] for port in container["ports"]}
    used = {
        entry["port"]
        for rule in policy["spec"]["ingress"]
        for entry in rule.get("ports", [])
        if isinstance(entry["port"], str)
    }
    assert used <= names


@pytest.mark.parametrize(
    "peer",
    [Peer(namespace=INGRESS_CONTROLLER), Peer(namespace=MONITORING), Peer(namespace=APPS)],
)
def test_web_hook_port_is_open_and_nothing_else_is_open_to_all(policy, peer) -> None:
    """The web hook is reachable (through any ingress controller); other ports are not."""
    assert allowed(policy, "ingress", peer, "http")
    assert not allowed(policy, "ingress", peer, 9999)
    assert not allowed(policy, "ingress", peer, "http", "UDP")


def test_ops_port_only_from_the_monitoring_namespace(policy) -> None:
    """Metrics and probes' port: Prometheus's namespace yes, the ingress controller and apps no."""
    assert allowed(policy, "ingress", Peer(namespace=MONITORING, pod={"app": "prometheus"}), "ops")
    assert not allowed(policy, "ingress", Peer(namespace=INGRESS_CONTROLLER), "ops")
    assert not allowed(policy, "ingress", Peer(namespace=APPS), "ops")


def test_egress_allows_dns_redis_and_sitoo_only(objects, policy) -> None:
    """DNS over UDP and TCP, the Redis of the Secret's URL, Sitoo over HTTPS; nothing else."""
    kube_system = {"kubernetes.io/metadata.name": "kube-system"}
    dns = Peer(namespace=kube_system, pod={"k8s-app": "kube-dns"})
    assert allowed(policy, "egress", dns, 53, "UDP")
    assert allowed(policy, "egress", dns, 53, "TCP")
    redis_url = urlsplit(objects["Secret"]["stringData"]["SITOO_SYNC_REDIS__URL"])
    assert redis_url.port is not None
    assert allowed(policy, "egress", Peer(namespace=APPS, pod={"app": "redis"}), redis_url.port)
    sitoo = Peer(ip="52.16.20.30")  # a public address, as api.mysitoo.com resolves to
    assert allowed(policy, "egress", sitoo, 443)
    assert not allowed(policy, "egress", sitoo, 80)
    assert not allowed(policy, "egress", Peer(ip="10.20.30.40"), 443)  # in-cluster HTTPS
    assert not allowed(policy, "egress", Peer(ip="169.254.169.254"), 443)  # cloud metadata
    assert not allowed(policy, "egress", Peer(namespace=APPS), 8080)


def test_evaluator_reads_rules_like_kubernetes() -> None:
    """A rule without ports allows every port; without peers, every peer; rules are OR-ed."""
    spec: dict[str, Any] = {"policyTypes": ["Ingress"], "ingress": [{"ports": [{"port": 1}]}]}
    assert allowed({"spec": spec}, "ingress", Peer(namespace=APPS), 1)
    assert not allowed({"spec": spec}, "ingress", Peer(namespace=APPS), 2)
    spec["ingress"].append({"from": [{"namespaceSelector": {"matchLabels": MONITORING}}]})
    assert allowed({"spec": spec}, "ingress", Peer(namespace=MONITORING), 2)
    assert not allowed({"spec": spec}, "ingress", Peer(namespace=APPS), 2)
    assert not allowed({"spec": {"policyTypes": ["Ingress"]}}, "ingress", Peer(), 1)
