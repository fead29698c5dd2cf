"""Readers of the deployment files (Dockerfile, .dockerignore, YAML manifests) for the tests."""

from __future__ import annotations

import fnmatch
import re
import shlex
import tomllib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

import yaml
from pydantic import BaseModel, SecretStr
from pydantic.fields import FieldInfo

from service.app import create_app
from service.settings import ENV_NESTED_DELIMITER, ENV_PREFIX, RedisSettings, Settings

ROOT = Path(__file__).resolve().parents[3]
DOCKERFILE = ROOT / "Dockerfile"
DOCKERIGNORE = ROOT / ".dockerignore"
DEPLOY = ROOT / "deploy"
K8S = DEPLOY / "k8s"
COMPOSE = DEPLOY / "compose.yaml"
RUNTIME_LOCK = DEPLOY / "image" / "requirements.lock"
BUILD_LOCK = DEPLOY / "image" / "build-requirements.lock"


@dataclass(frozen=True, slots=True)
class Instruction:
    """One Dockerfile instruction with its continuation lines joined."""

    keyword: str
    arguments: str
    stage: str

    def exec_form(self) -> list[str] | None:
        """The JSON array of an exec-form argument, or None for shell form."""
        text = self.arguments.strip()
        if not text.startswith("["):
            return None
        import json  # noqa: PLC0415 - only exec forms need it

        value = json.loads(text)
        assert isinstance(value, list)
        return [str(item) for item in value]


def dockerfile_instructions(text: str | None = None) -> list[Instruction]:
    """Parse a Dockerfile into instructions, tracking the stage each belongs to."""
    source = DOCKERFILE.read_text(encoding="utf-8") if text is None else text
    logical: list[str] = []
    pending = ""
    for raw in source.splitlines():
        stripped = raw.strip()
        if not pending and (not stripped or stripped.startswith("#")):
            continue
        if pending and stripped.startswith("#"):
            continue  # comment lines inside a continuation are dropped, as Docker does
        if stripped.endswith("\\"):
            pending += stripped[:-1] + " "
            continue
        logical.append(pending + stripped)
        pending = ""
    instructions: list[Instruction] = []
    stage = ""
    for line in logical:
        keyword, _, arguments = line.partition(" ")
        keyword = keyword.upper()
        if keyword == "FROM":
            words = arguments.split()
            stage = words[2] if len(words) >= 3 and words[1].upper() == "AS" else words[0]
        instructions.append(Instruction(keyword, arguments.strip(), stage))
    return instructions


def stage_instructions(stage: str, keyword: str | None = None) -> list[Instruction]:
    """The instructions of one stage, optionally only those with one keyword."""
    return [
        instruction
        for instruction in dockerfile_instructions()
        if instruction.stage == stage and (keyword is None or instruction.keyword == keyword)
    ]


def stage_names() -> list[str]:
    """The stages of the Dockerfile in order."""
    return [i.stage for i in dockerfile_instructions() if i.keyword == "FROM"]


def env_assignments(arguments: str) -> dict[str, str]:
    """The KEY=value pairs of an ENV or LABEL instruction (quotes removed)."""
    pairs: dict[str, str] = {}
    for word in shlex.split(arguments):
        key, sep, value = word.partition("=")
        if sep:
            pairs[key] = value
    return pairs


def copy_sources(instruction: Instruction) -> tuple[list[str], str, dict[str, str]]:
    """The sources, destination and --flags of a COPY instruction."""
    words = shlex.split(instruction.arguments)
    flags = dict(w.removeprefix("--").partition("=")[::2] for w in words if w.startswith("--"))
    paths = [w for w in words if not w.startswith("--")]
    return paths[:-1], paths[-1], flags


def dockerignore_patterns() -> list[tuple[bool, str]]:
    """(excluded?, pattern) pairs of .dockerignore in file order."""
    patterns: list[tuple[bool, str]] = []
    for raw in DOCKERIGNORE.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        include = line.startswith("!")
        pattern = line.removeprefix("!").strip("/")
        patterns.append((not include, pattern))
    return patterns


def _matches(pattern: str, path: PurePosixPath) -> bool:
    candidates = [path, *path.parents]
    for candidate in candidates:
        text = str(candidate)
        if text == ".":
            continue
        if fnmatch.fnmatchcase(text, pattern):
            return True
        if pattern.startswith("**/") and (
            fnmatch.fnmatchcase(candidate.name, pattern.removeprefix("**/"))
        ):
            return True
    return False


def in_build_context(relative: str) -> bool:
    """Whether .dockerignore lets a repository path into the build context (last match wins)."""
    path = PurePosixPath(relative)
    excluded = False
    for exclude, pattern in dockerignore_patterns():
        if _matches(pattern, path):
            excluded = exclude
    return not excluded


def build_context_files(source: str) -> Iterator[Path]:
    """The files under a repository path that reach the build context."""
    base = ROOT / source
    files = [base] if base.is_file() else sorted(p for p in base.rglob("*") if p.is_file())
    for file in files:
        if in_build_context(file.relative_to(ROOT).as_posix()):
            yield file


def load_yaml(path: Path) -> Any:
    """One YAML document."""
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def k8s_objects() -> dict[str, dict[str, Any]]:
    """Every Kubernetes object under deploy/k8s by kind (each kind appears once)."""
    objects: dict[str, dict[str, Any]] = {}
    for path in sorted(K8S.glob("*.yaml")):
        for document in yaml.safe_load_all(path.read_text(encoding="utf-8")):
            if document and document.get("kind") != "Kustomization":
                assert document["kind"] not in objects, f"two {document['kind']} objects"
                objects[document["kind"]] = document
    return objects


@dataclass(frozen=True, slots=True)
class SettingField:
    """A leaf setting and the environment variable that sets it."""

    env: str
    info: FieldInfo

    @property
    def secret(self) -> bool:
        """True for fields holding a secret: SecretStr, or credentials that contain passwords."""
        annotation = str(self.info.annotation)
        return self.info.annotation is SecretStr or any(
            marker in annotation for marker in ("SecretStr", "SitooCredential")
        )


def _walk(model: type[BaseModel], prefix: str) -> Iterator[SettingField]:
    for name, info in model.model_fields.items():
        env = f"{prefix}{name.upper()}"
        annotation = info.annotation
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            yield from _walk(annotation, env + ENV_NESTED_DELIMITER)
        else:
            yield SettingField(env, info)


def setting_fields() -> dict[str, SettingField]:
    """Every SITOO_SYNC_* variable Settings reads, by name."""
    return {field.env: field for field in _walk(Settings, ENV_PREFIX)}


def app_routes() -> set[str]:
    """The HTTP paths the service's ASGI app serves, read from an app that is built, not started."""
    app = create_app(Settings(redis=RedisSettings(url=SecretStr("redis://127.0.0.1:1/0"))))
    return {path for path, _ in app.routes}


def pyproject() -> dict[str, Any]:
    """pyproject.toml as data."""
    return tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))


_INTERPOLATION = re.compile(r"\$\{(?P<name>[A-Z0-9_]+)(?::?-(?P<default>[^}]*))?\}")


def interpolate(value: str, environment: dict[str, str] | None = None) -> str:
    """Resolve Compose's ${NAME} and ${NAME:-default} against an environment (empty by default)."""
    given = environment or {}
    return _INTERPOLATION.sub(
        lambda m: given.get(m["name"], m["default"] if m["default"] is not None else ""), value
    )


def interpolated_names(value: str) -> list[str]:
    """The variable names a Compose value interpolates."""
    return [m["name"] for m in _INTERPOLATION.finditer(value)]
