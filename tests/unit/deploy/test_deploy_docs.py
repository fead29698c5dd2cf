"""docs/deployment.md keeps up with the settings groups and the deployment files it describes."""

from __future__ import annotations

from service.settings import ENV_NESTED_DELIMITER, ENV_PREFIX, Settings
from tests.unit.deploy.deployfiles import DEPLOY, K8S, ROOT

DOCS = ROOT / "docs" / "deployment.md"


def test_every_settings_group_is_described() -> None:
    """Adding a settings group without describing it in the deployment guide fails here."""
    text = DOCS.read_text(encoding="utf-8")
    for group in Settings.model_fields:
        prefix = f"`{ENV_PREFIX}{group.upper()}{ENV_NESTED_DELIMITER}`"
        assert prefix in text, f"{prefix} is not described in docs/deployment.md"


def test_every_deployment_file_is_mentioned() -> None:
    """Each manifest and image file is named in the guide, so none is left unexplained."""
    text = DOCS.read_text(encoding="utf-8")
    files = [p for p in (DEPLOY / "image").iterdir() if p.is_file()]
    files += list(K8S.glob("*.yaml"))
    files += [DEPLOY / "compose.yaml", DEPLOY / "prometheus.yml"]
    files += [p for p in (DEPLOY / "monitoring").rglob("*") if p.is_file()]
    for path in files:
        assert path.name in text, f"{path.relative_to(ROOT)} is not mentioned"
