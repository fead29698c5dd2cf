"""The state file by which commands find a running dev stack."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from service.devstack.state import (
    DevStack,
    SandboxEndpoint,
    find_state,
    remove_state,
    state_path,
    write_state,
)


def _stack(pid: int) -> DevStack:
    return DevStack(
        pid=pid,
        service_url="http://127.0.0.1:8080",
        redis_url="redis://127.0.0.1:6390/0",
        sandbox=SandboxEndpoint(
            base_url="http://127.0.0.1:8900/v2/accounts/90001",
            admin_url="http://127.0.0.1:8900/_sandbox",
            api_id="sandbox",
            api_password="sandbox",
        ),
        key_prefix="sitoo-sync",
    )


def _dead_pid() -> int:
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


def test_written_state_is_found_from_a_subdirectory(tmp_path: Path) -> None:
    """Like git finds .git: a command started in a subdirectory finds the stack above it."""
    path = write_state(tmp_path, _stack(os.getpid()))
    assert path == state_path(tmp_path)
    assert path.stat().st_mode & 0o777 == 0o600  # it names the sandbox's password
    below = tmp_path / "docs" / "deeper"
    below.mkdir(parents=True)
    found = find_state(below)
    assert found is not None
    assert found.path == path
    assert found.alive
    assert found.stack == _stack(os.getpid())


def test_a_stack_whose_run_is_gone_is_found_but_not_alive(tmp_path: Path) -> None:
    """A `run` killed without cleaning up leaves a file; it is recognised as stale."""
    write_state(tmp_path, _stack(_dead_pid()))
    found = find_state(tmp_path)
    assert found is not None
    assert not found.alive


def test_unreadable_or_foreign_files_are_skipped(tmp_path: Path) -> None:
    """Garbage or another format in .local/devstack.json is not taken for a stack."""
    path = state_path(tmp_path)
    path.parent.mkdir()
    path.write_text("{not json")
    assert find_state(tmp_path) is None
    path.write_text(json.dumps({"format": 99, "pid": 1}))
    assert find_state(tmp_path) is None


def test_only_the_writer_removes_its_state_file(tmp_path: Path) -> None:
    """A second process's exit never deletes the file of the stack that is running."""
    write_state(tmp_path, _stack(os.getpid()))
    remove_state(tmp_path, pid=os.getpid() + 1)
    assert state_path(tmp_path).exists()
    remove_state(tmp_path, pid=os.getpid())
    assert not state_path(tmp_path).exists()
