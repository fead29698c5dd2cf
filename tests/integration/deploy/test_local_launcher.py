"""deploy/local.py passes SIGTERM and SIGINT on to its child and exits with the child's status."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.integration.devstack.devrun import bare_environment, free_port, port_open

ROOT = Path(__file__).resolve().parents[3]
LAUNCHER = ROOT / "deploy" / "local.py"

# A child that records every signal it gets and exits with a status of its choosing.
CHILD = """
import signal, sys, time
from pathlib import Path
log = Path(sys.argv[1])
def note(sig, frame):
    with log.open("a") as out:
        out.write(signal.Signals(sig).name + "\\n")
    if sig == signal.SIGTERM:
        sys.exit(int(sys.argv[2]))
signal.signal(signal.SIGTERM, note)
signal.signal(signal.SIGINT, note)
log.write_text("")
with log.open("a") as out:
    out.write("started\\n")
while True:
    time.sleep(0.05)
"""


def _launch(*command: str, cwd: Path) -> subprocess.Popen[bytes]:
    """local.py's _run(command) in its own process, as `python3 deploy/local.py run` would."""
    code = (
        "import sys; sys.path.insert(0, sys.argv[1]); import local; "
        "local.ROOT = __import__('pathlib').Path(sys.argv[2]); "
        "sys.exit(local._run(*sys.argv[3:]))"
    )
    return subprocess.Popen(
        [sys.executable, "-c", code, str(LAUNCHER.parent), str(cwd), *command],
        env=bare_environment(),
        start_new_session=True,  # like a terminal: the launcher leads its own process group
    )


def _wait_for(path: Path, text: str, timeout_s: float = 30.0) -> None:
    deadline = time.monotonic() + timeout_s
    while not (path.exists() and text in path.read_text()):
        assert time.monotonic() < deadline, path.read_text() if path.exists() else "no file"
        time.sleep(0.05)


def test_sigterm_reaches_the_child_and_its_status_comes_back(tmp_path: Path) -> None:
    """SIGTERM to the launcher: the child gets it once, and its exit status is the launcher's."""
    log = tmp_path / "signals.log"
    launcher = _launch(sys.executable, "-c", CHILD, str(log), "7", cwd=tmp_path)
    _wait_for(log, "started")
    launcher.send_signal(signal.SIGTERM)
    assert launcher.wait(30) == 7
    assert log.read_text().split() == ["started", "SIGTERM"]


def test_ctrl_c_reaches_the_child_once(tmp_path: Path) -> None:
    """A terminal's Ctrl-C goes to the launcher's process group; the child sees one SIGINT."""
    log = tmp_path / "signals.log"
    launcher = _launch(sys.executable, "-c", CHILD, str(log), "0", cwd=tmp_path)
    _wait_for(log, "started")
    os.killpg(launcher.pid, signal.SIGINT)
    _wait_for(log, "SIGINT")
    time.sleep(0.3)
    launcher.send_signal(signal.SIGTERM)
    assert launcher.wait(30) == 0
    assert log.read_text().split() == ["started", "SIGINT", "SIGTERM"]


def test_a_child_killed_by_a_signal_gives_128_plus_its_number(tmp_path: Path) -> None:
    """As a shell reports it."""
    launcher = _launch(sys.executable, "-c", "import os; os.kill(os.getpid(), 9)", cwd=tmp_path)
    assert launcher.wait(30) == 128 + signal.SIGKILL


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="parent-death signal is Linux")
def test_sigkill_of_the_launcher_still_stops_the_child(tmp_path: Path) -> None:
    """Even a launcher that cannot forward anything (SIGKILL) takes its child down."""
    log = tmp_path / "signals.log"
    launcher = _launch(sys.executable, "-c", CHILD, str(log), "0", cwd=tmp_path)
    _wait_for(log, "started")
    launcher.kill()
    launcher.wait(30)
    _wait_for(log, "SIGTERM")


def test_stopping_the_launched_dev_stack_stops_the_service_and_its_redis(tmp_path: Path) -> None:
    """The issue a person met: killing `local.py run` left the service and its Redis running."""
    port = free_port()
    sitoo_sync = Path(sys.executable).parent / "sitoo-sync"
    env_file = tmp_path / ".env"
    env_file.write_text(
        f"SITOO_SYNC_HTTP__HOST=127.0.0.1\nSITOO_SYNC_HTTP__PORT={port}\nSITOO_SYNC_SANDBOX__PORT=0\n"
    )
    launcher = _launch(str(sitoo_sync), "run", cwd=tmp_path)
    state = tmp_path / ".local" / "devstack.json"
    _wait_for(state, "redis_url", timeout_s=60)
    redis_port = int(json.loads(state.read_text())["redis_url"].rsplit(":", 1)[1].split("/")[0])
    assert port_open(port)
    assert port_open(redis_port)
    launcher.send_signal(signal.SIGTERM)
    assert launcher.wait(60) == 128 + signal.SIGTERM
    assert not port_open(port)
    assert not port_open(redis_port)
    assert not state.exists()
