"""Runs sitoo-sync or its checks on a machine that has only Python 3.11+ (standard library only).

    python3 deploy/local.py run     # the service on embedded defaults (sandbox + embedded Redis)
    python3 deploy/local.py test    # lint, type checks and the whole test suite

Each command creates ./.venv on first use and installs what it needs; later runs reinstall only when
pyproject.toml or the image's lock changed. The runtime dependencies are held to the versions the
image ships (deploy/image/requirements.lock), so the tests check what is deployed, and a new
upstream release changes nothing here until the lock is refreshed with deploy/image/lock.py.
"""

from __future__ import annotations

import hashlib
import os
import signal
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VENV = ROOT / ".venv"
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
PYTHON = BIN / ("python.exe" if os.name == "nt" else "python")
MINIMUM_PYTHON = (3, 11)
IMAGE_LOCK = ROOT / "deploy" / "image" / "requirements.lock"


def _say(message: str) -> None:
    print(f"[local] {message}", flush=True)


def constraints(lock_text: str) -> str:
    """The lock's pins (with their markers) as pip constraints: hashes dropped.

    Hashes would put pip in require-hashes mode for every package, the test tools included,
    which the image lock does not cover.
    """
    pins = [
        line.rstrip(" \\")
        for line in lock_text.splitlines()
        if line.strip() and not line[0].isspace() and not line.startswith("#")
    ]
    return "\n".join(pins) + "\n"


def _ensure_venv(extra: str) -> None:
    """Create the virtualenv and install the project with `extra`, unless already current."""
    if sys.version_info < MINIMUM_PYTHON:
        sys.exit(f"sitoo-sync needs Python 3.11 or newer; this is {sys.version.split()[0]}")
    if not PYTHON.exists():
        _say(f"creating a virtualenv in {VENV}")
        venv.EnvBuilder(with_pip=True).create(VENV)
    lock = IMAGE_LOCK.read_bytes()
    digest = hashlib.sha256((ROOT / "pyproject.toml").read_bytes() + lock).hexdigest()[:16]
    stamp = VENV / f".installed-{extra}-{digest}"
    if stamp.exists():
        return
    _say(f"installing sitoo-sync[{extra}] and its dependencies (first run only)")
    subprocess.run(
        [str(PYTHON), "-m", "pip", "install", "--quiet", "--upgrade", "pip"],
        check=True,
    )
    pinned = VENV / "image-constraints.txt"
    pinned.write_text(constraints(lock.decode()))
    install = [str(PYTHON), "-m", "pip", "install", "--quiet", "-c", str(pinned)]
    subprocess.run([*install, "-e", f"{ROOT}[{extra}]"], check=True)
    for old in VENV.glob(f".installed-{extra}-*"):
        old.unlink()
    stamp.touch()


_FORWARDED = [signal.SIGTERM, signal.SIGINT]
if hasattr(signal, "SIGHUP"):
    _FORWARDED.append(signal.SIGHUP)
_PR_SET_PDEATHSIG = 1


def _term_when_we_die() -> None:
    """In the child (Linux): receive SIGTERM when this launcher dies, even of SIGKILL."""
    import ctypes  # noqa: PLC0415 - Linux only, in the child

    ctypes.CDLL(None).prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)


def _exit_status(returncode: int) -> int:
    """A child's status as a shell reports it: killed by signal N gives 128 + N."""
    return 128 - returncode if returncode < 0 else returncode


def _run(*command: str) -> int:
    """Run ``command``; SIGTERM, SIGINT and SIGHUP are passed on to it, once each time.

    The child gets its own process group, so a Ctrl-C in the terminal reaches it once, through
    us, rather than twice (a second SIGINT would make the service skip its graceful stop).
    """
    _say("$ " + " ".join(command))
    child = subprocess.Popen(
        command,
        cwd=ROOT,
        start_new_session=os.name != "nt",
        # No threads run in this launcher, so a preexec_fn is safe here.
        preexec_fn=_term_when_we_die if sys.platform.startswith("linux") else None,  # noqa: PLW1509
    )

    def forward(sig: int, frame: object) -> None:
        del frame
        if child.poll() is None:
            child.send_signal(sig)

    previous = {sig: signal.signal(sig, forward) for sig in _FORWARDED}
    try:
        return _exit_status(child.wait())
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def run(arguments: list[str]) -> int:
    """Start the service; with no configuration it uses the sandbox and an embedded Redis."""
    _ensure_venv("embedded")
    return _run(str(BIN / "sitoo-sync"), "run", *arguments)


def test(arguments: list[str]) -> int:
    """Lint, type-check and run every test tier; the first failure decides the exit code."""
    _ensure_venv("dev")
    steps = [
        (str(BIN / "ruff"), "check", "service", "tests", "deploy"),
        (str(BIN / "ruff"), "format", "--check", "service", "tests", "deploy"),
        (str(BIN / "mypy"), "service"),
        (str(BIN / "pytest"), *arguments),
    ]
    for step in steps:
        code = _run(*step)
        if code != 0:
            _say(f"failed: {' '.join(step)} (exit {code})")
            return code
    _say("all checks passed")
    return 0


def main() -> int:
    """Dispatch `run` or `test`."""
    commands = {"run": run, "test": test}
    if len(sys.argv) < 2 or sys.argv[1] not in commands:  # noqa: PLR2004 - argv[0] + command
        print(__doc__)
        return 2
    return commands[sys.argv[1]](sys.argv[2:])


if __name__ == "__main__":
    sys.exit(main())
