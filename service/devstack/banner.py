"""The one block of text `run` prints when its dev stack is ready: where everything is."""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

from service.devstack.state import DevStack
from service.masking import mask_url


def command_name() -> str:
    """How a person starts this program again: `sitoo-sync` if on PATH, else its venv path."""
    script = Path(sys.executable).parent / "sitoo-sync"
    on_path = shutil.which("sitoo-sync")
    if on_path is not None and Path(on_path).resolve() == script.resolve():
        return "sitoo-sync"
    try:
        relative = os.path.relpath(script)
    except ValueError:  # another drive (Windows)
        return str(script)
    return str(script) if relative.startswith("..") else relative


def render_banner(
    stack: DevStack,
    *,
    redis_server: str | None,
    state_file: Path,
    notes: list[str],
    webshops: list[tuple[str, str]] | None = None,
) -> str:
    """The banner; every URL in it answers while `run` is going."""
    me = command_name()
    rows: list[tuple[str, str]] = []
    if stack.redis_url is not None:
        rows.append(
            ("Redis", f"{mask_url(stack.redis_url)}   (embedded {redis_server}, development only)")
        )
    else:
        rows.append(("Redis", "the configured one (SITOO_SYNC_REDIS__URL)"))
    if stack.sandbox is not None:
        sandbox = stack.sandbox
        rows += [
            (
                "Sitoo sandbox",
                f"{mask_url(sandbox.base_url)}   (built-in stand-in, NOT a real Sitoo)",
            ),
            (
                "  API user",
                f"{sandbox.api_id} / password {sandbox.api_password}   (fixed, for development)",
            ),
            (
                "  try",
                f"curl -u {sandbox.api_id}:{sandbox.api_password} {sandbox.base_url}/sites.json",
            ),
            (
                "Sandbox admin",
                f"{sandbox.admin_url}/state/orders   (docs/sandbox.md lists the admin API)",
            ),
        ]
    else:
        rows.append(("Sitoo", "the configured account (SITOO_SYNC_SITOO__BASE_URL)"))
    rows += webshops or []
    rows += [
        (
            "Health",
            f"{stack.health_url}   ({stack.service_url}/readyz, {stack.service_url}/metrics)",
        ),
        ("State file", f"{state_file}   (status, dlq, check, resync, config, send, tail use it)"),
    ]
    width = max(len(label) for label, _ in rows) + 2
    lines = ["", "sitoo-sync dev stack is ready", ""]
    lines += [f"  {label:<{width}}{value}" for label, value in rows]
    if notes:
        lines += ["", *(f"  {note}" for note in notes)]
    steps = [
        (f"{me} send --list", "the documented example events"),
        (f"{me} send order.placed", "send one and print its result"),
        (f"{me} tail", "follow results and Sitoo changes as they arrive"),
        (f"{me} status", "streams, pending entries, dead letters"),
    ]
    step_width = max(len(command) for command, _ in steps) + 2
    lines += ["", "Next, in another terminal, from this directory:"]
    lines += [f"  {command:<{step_width}}# {why}" for command, why in steps]
    lines += [
        "",
        f"Ctrl-C stops it; `{me} run --reset` starts over with a fresh sandbox and an empty Redis.",
        "",
    ]
    return "\n".join(lines)
