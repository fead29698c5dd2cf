"""The state file through which the other commands find a running dev stack."""

from __future__ import annotations

import contextlib
import json
import os
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

LOCAL_DIR = Path(".local")
"""The dev stack's files, under the directory `run` was started in (git-ignored)."""
STATE_FILE = "devstack.json"
FORMAT = 1

SANDBOX_API_ID = "sandbox"
SANDBOX_API_PASSWORD = "sandbox"  # noqa: S105 - the sandbox's fixed, documented dev credential


@dataclass(frozen=True, slots=True)
class SandboxEndpoint:
    """The sandbox `run` started: where it answers and who it lets in."""

    base_url: str
    admin_url: str
    api_id: str
    api_password: str


@dataclass(frozen=True, slots=True)
class DevStack:
    """What a running `sitoo-sync run` stood in for, as written to the state file."""

    pid: int
    service_url: str
    redis_url: str | None
    """Only an embedded Redis is recorded: a configured URL may carry a password."""
    sandbox: SandboxEndpoint | None
    key_prefix: str

    @property
    def health_url(self) -> str:
        """Liveness endpoint of the service."""
        return f"{self.service_url}/healthz"

    def to_json(self) -> dict[str, Any]:
        """The state file's content."""
        return {"format": FORMAT, **asdict(self)}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> DevStack:
        """Read a state file's content; KeyError/TypeError when it is not one of ours."""
        if data.get("format") != FORMAT:
            raise ValueError(f"unknown state file format {data.get('format')!r}")
        sandbox = data["sandbox"]
        return cls(
            pid=int(data["pid"]),
            service_url=str(data["service_url"]),
            redis_url=data["redis_url"],
            sandbox=SandboxEndpoint(**sandbox) if sandbox is not None else None,
            key_prefix=str(data["key_prefix"]),
        )


def state_path(root: Path) -> Path:
    """Where `run` started in ``root`` writes its state file."""
    return root / LOCAL_DIR / STATE_FILE


def write_state(root: Path, stack: DevStack) -> Path:
    """Write the state file readable by this user only (it names the sandbox's password)."""
    path = state_path(root)
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_suffix(".tmp")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as out:
        json.dump(stack.to_json(), out, indent=2)
    temporary.replace(path)
    return path


def remove_state(root: Path, pid: int) -> None:
    """Remove the state file if it is still the one this process wrote."""
    path = state_path(root)
    with contextlib.suppress(OSError, ValueError, KeyError, TypeError):
        if DevStack.from_json(json.loads(path.read_text(encoding="utf-8"))).pid == pid:
            path.unlink()


def process_alive(pid: int) -> bool:
    """True while a process with this id exists."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # someone else's process: it exists
    return True


@dataclass(frozen=True, slots=True)
class Found:
    """A state file found by searching upwards, and whether its `run` still lives."""

    path: Path
    stack: DevStack
    alive: bool


def find_state(start: Path) -> Found | None:
    """The nearest state file in ``start`` or a parent directory, as `git` finds `.git`."""
    for directory in [start, *start.parents]:
        path = state_path(directory)
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            stack = DevStack.from_json(data)
        except FileNotFoundError:
            continue
        except (OSError, ValueError, KeyError, TypeError):
            continue  # unreadable or not ours: keep looking further up
        return Found(path=path, stack=stack, alive=process_alive(stack.pid))
    return None
