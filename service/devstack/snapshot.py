"""Keeps the sandbox's state and the dev stack's Redis in step across restarts of `run`.

The sandbox lives in memory; the Redis keeps its data (cursors, idempotency records, streams)
in an append-only file. A restart that kept one and lost the other would leave the service's
cursors pointing past orders that no longer exist, so both survive together or neither does:

* at start a new *generation* id is written to Redis and any snapshot is consumed;
* at a clean stop the sandbox is written to a snapshot tagged with that generation;
* at the next start the snapshot is restored only when its generation is the one Redis holds
  (and the sandbox's code and seed are unchanged); otherwise both start afresh.

A `run` that was killed leaves Redis with a generation but no snapshot: both are reset.
"""

from __future__ import annotations

import contextlib
import hashlib
import pickle
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from service.sandbox import Sandbox

SNAPSHOT_FILE = "sandbox.pickle"
_FORMAT = 1
# What belongs to the running process rather than to the account's data.
_RUNTIME_ATTRIBUTES = frozenset({"config", "counters", "fault_plan", "staff"})


def code_fingerprint() -> str:
    """A digest of the sandbox's source: a snapshot from other code is not restored."""
    package = Path(sys.modules[Sandbox.__module__].__file__ or ".").parent
    digest = hashlib.sha256()
    for source in sorted(package.glob("*.py")):
        digest.update(source.name.encode())
        digest.update(source.read_bytes())
    return digest.hexdigest()[:16]


@dataclass(frozen=True, slots=True)
class Snapshot:
    """A saved sandbox and the generation it belongs to."""

    generation: str
    fingerprint: str
    seed: str
    sandbox: Sandbox


def save_snapshot(path: Path, sandbox: Sandbox, generation: str) -> None:
    """Write the sandbox's state, atomically, readable by this user only."""
    document = {
        "format": _FORMAT,
        "generation": generation,
        "fingerprint": code_fingerprint(),
        "seed": sandbox.seed_name,
        "sandbox": sandbox,
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_suffix(".tmp")
    temporary.write_bytes(pickle.dumps(document, protocol=pickle.HIGHEST_PROTOCOL))
    temporary.chmod(0o600)
    temporary.replace(path)


def load_snapshot(path: Path) -> Snapshot | str:
    """The snapshot at ``path``, or why there is none to use."""
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        return "no sandbox snapshot"
    try:
        # Our own file, written by an earlier `run` of this user in this project's .local/.
        document: dict[str, Any] = pickle.loads(raw)  # noqa: S301
        snapshot = Snapshot(
            generation=str(document["generation"]),
            fingerprint=str(document["fingerprint"]),
            seed=str(document["seed"]),
            sandbox=document["sandbox"],
        )
    except Exception as exc:  # noqa: BLE001 - any unreadable snapshot means "start afresh"
        return f"the sandbox snapshot could not be read ({type(exc).__name__})"
    if document.get("format") != _FORMAT or not isinstance(snapshot.sandbox, Sandbox):
        return "the sandbox snapshot has another format"
    return snapshot


def discard_snapshot(path: Path) -> None:
    """Remove the snapshot (consumed at start, or thrown away by a reset)."""
    with contextlib.suppress(FileNotFoundError):
        path.unlink()


def restore_into(target: Sandbox, saved: Sandbox) -> None:
    """Give ``target`` (served, with this run's credentials and faults) the saved data."""
    state = {k: v for k, v in vars(saved).items() if k not in _RUNTIME_ATTRIBUTES}
    vars(target).update(state)


def why_not_restore(
    snapshot: Snapshot | str, *, redis_generation: str | None, seed: str
) -> str | None:
    """None when the snapshot fits the Redis it is paired with; otherwise the reason."""
    if isinstance(snapshot, str):
        if redis_generation is not None:
            return "the last run did not stop cleanly (Redis has state, the sandbox has none)"
        return snapshot
    if snapshot.generation != redis_generation:
        return "the sandbox snapshot and Redis are from different runs"
    if snapshot.fingerprint != code_fingerprint():
        return "the sandbox's code changed since the snapshot"
    if snapshot.seed != seed:
        return f"the sandbox seed changed ({snapshot.seed} -> {seed})"
    return None
