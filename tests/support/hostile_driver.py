"""Drives a generative hostile run against the service as deployed and checks its invariants.

The stack (a private Redis, the sandbox process and one replica process, see
:mod:`tests.chaos.stack`) runs on an event loop in a background thread; hypothesis drives
plain synchronous checks against it over Redis and HTTP, one example at a time:

* the service stays ready (``/readyz`` answers 200 after every example);
* each entry ends with exactly one outcome, a result or a dead letter, within
  ``MAX_DELIVERIES`` (or, for a re-sent event id, the recorded outcome repeated);
* an entry the input rule refuses (judged by :mod:`tests.support.hostile_oracle`) or that
  names an unusable reply target is dead-lettered ``invalid``, and nothing it carries
  reaches Sitoo: the sandbox's ledger does not grow;
* a request with a usable reply target gets exactly one reply;
* a reused event id with other content never writes to Sitoo;
* the web hook answers 401 without credentials, otherwise 200, never a 5xx.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
import re
import secrets
import threading
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import redis

from service.contracts.registry import EVENT_KINDS
from tests.chaos.stack import Stack, running_stack
from tests.support.contract_strategies import ConflictCase, EntryCase, WebhookCase
from tests.support.hostile_cases import ID_MARK, USABLE_REPLIES
from tests.support.hostile_oracle import must_refuse

# What a result may be named after: the contract's types, or "unknown", whatever was sent.
OUTWARD_TYPES = {*EVENT_KINDS, "unknown"}

MAX_DELIVERIES = 3
WEBHOOK_PASSWORD = secrets.token_urlsafe(12)
_NOW = re.compile(rb'"@now([+-][0-9]+)?"')
_STREAMS = {
    "orders": "webshop.orders",
    "giftcards": "webshop.giftcards",
    "giftcard_requests": "webshop.giftcard-requests",
    "stock": "webshop.stock",
}
RESULTS = "sitoo-sync.results"
ENTRY_TIMEOUT_S = 30.0


class InvariantBroken(AssertionError):
    """One of the run's invariants did not hold for an example."""


@dataclass
class Figures:
    """What a run tried and what became of it."""

    examples: int = 0
    entries: int = 0
    outcomes: Counter[str] = field(default_factory=Counter)
    refused_by_rule: int = 0
    replies: int = 0
    conflicts: int = 0
    webhook_posts: int = 0
    webhook_answers: Counter[str] = field(default_factory=Counter)
    ledger_writes: int = 0
    started: float = field(default_factory=time.monotonic)

    def summary(self) -> dict[str, Any]:
        """The figures as plain values."""
        return {
            "examples": self.examples,
            "entries sent": self.entries,
            "entry outcomes": dict(sorted(self.outcomes.items())),
            "entries the input rule must refuse": self.refused_by_rule,
            "replies checked": self.replies,
            "reused event ids": self.conflicts,
            "web-hook posts": self.webhook_posts,
            "web-hook answers": dict(sorted(self.webhook_answers.items())),
            "Sitoo writes from valid entries": self.ledger_writes,
            "seconds": round(time.monotonic() - self.started, 1),
        }


@contextlib.contextmanager
def stack_in_background() -> Iterator[Stack]:
    """The chaos stack (one replica, web hook on) on its own loop in a thread."""
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    env = {
        "SITOO_SYNC_HTTP__WEBHOOK_PASSWORD": WEBHOOK_PASSWORD,
        "SITOO_SYNC_STREAMS__MAX_DELIVERIES": str(MAX_DELIVERIES),
        "SITOO_SYNC_STREAMS__RECLAIM_IDLE_MS": "1000",
        "SITOO_SYNC_CONSUMERS__DIRECTORY_CACHE_S": "0",
    }
    manager = running_stack(extra_env=env)
    stack = asyncio.run_coroutine_threadsafe(manager.__aenter__(), loop).result(timeout=180)
    try:
        yield stack
    finally:
        asyncio.run_coroutine_threadsafe(manager.__aexit__(None, None, None), loop).result(120)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(timeout=10)
        loop.close()


class HostileDriver:
    """Sends one case at a time and checks every invariant for it."""

    def __init__(self, stack: Stack, figures: Figures | None = None) -> None:
        replica = stack.replicas[0]
        self._prefix = replica.env["SITOO_SYNC_REDIS__KEY_PREFIX"]
        self.redis = redis.Redis.from_url(stack.redis_server.url)
        self.http = httpx.Client(base_url=f"http://127.0.0.1:{replica.http_port}", timeout=30)
        self.sandbox = httpx.Client(base_url=stack.sandbox.url, timeout=30)
        self.figures = figures or Figures()
        self._seen_ids: set[str] = set()
        self._kept_bodies: set[bytes] = set()  # digests of the bad bodies parked so far

    def close(self) -> None:
        """Release the clients."""
        self.redis.close()
        self.http.close()
        self.sandbox.close()

    def check(self, case: EntryCase | ConflictCase | WebhookCase) -> None:
        """Run one example and check it; raises InvariantBroken naming what broke."""
        self.figures.examples += 1
        if isinstance(case, WebhookCase):
            self._webhook(case)
        elif isinstance(case, ConflictCase):
            self._conflict(case)
        else:
            self._entry(case)
        ready = self.http.get("/readyz")
        _require(ready.status_code == 200, f"/readyz answered {ready.status_code}")

    def _ledger_size(self) -> int:
        answer = self.sandbox.get("/_sandbox/ledger")
        answer.raise_for_status()
        return len(answer.json())

    def _fill(self, event: bytes, event_id: str) -> tuple[bytes, datetime]:
        now = datetime.now(UTC)

        def stamp(match: re.Match[bytes]) -> bytes:
            offset = int(match.group(1) or 0)
            return json.dumps((now + timedelta(seconds=offset)).isoformat()).encode()

        return _NOW.sub(stamp, event.replace(ID_MARK.encode(), event_id.encode())), now

    def _reply_target(self, kind: str | None) -> tuple[bytes | None, str | None]:
        """(the reply_to field to send, the list to expect one reply on)."""
        fresh = f"fuzz-reply:{uuid.uuid4().hex}"
        targets: dict[str, bytes] = {
            "fresh": fresh.encode(),
            "existing-list": fresh.encode(),
            "string": fresh.encode(),
            "hash": fresh.encode(),
            "inbound-stream": _STREAMS["orders"].encode(),
            "results-stream": RESULTS.encode(),
            "own-prefix": f"{self._prefix}:steal".encode(),
            "spaces": b"a reply list",
            "empty": b"",
            "not-ascii": "svar-\u00e5".encode(),
        }
        if kind is None or kind == "absent":
            return None, None
        if kind == "existing-list":
            self.redis.rpush(fresh, "earlier")
        elif kind == "string":
            self.redis.set(fresh, "not a list")
        elif kind == "hash":
            self.redis.hset(fresh, "f", "v")
        return targets[kind], fresh if kind in USABLE_REPLIES else None

    def send(self, case: EntryCase, event_id: str | None = None) -> dict[str, Any]:
        """XADD one entry and wait for its outcome; what became of it."""
        event_id = event_id or f"fuzz-{uuid.uuid4().hex}"
        raw, now = self._fill(case.event, event_id)
        refuse = must_refuse(raw, now=now) or case.refused_because
        reply_field, reply_list = self._reply_target(case.reply_to)
        before = self.redis.type(reply_field) if reply_field is not None else None
        fields: dict[bytes, bytes] = {b"event": raw, **case.extra}
        if reply_field is not None:
            fields[b"reply_to"] = reply_field
        ledger = self._ledger_size()
        stream = _STREAMS[case.channel]
        entry_id = self.redis.xadd(stream, fields).decode()  # type: ignore[arg-type]
        self.figures.entries += 1
        outcome = self._outcome(stream, entry_id, raw)
        outcome.update(ledger_grew=self._ledger_size() - ledger, refuse=refuse)
        label = f"{case.label!r} ({entry_id})"
        # A request without a usable reply target (absent included) is refused.
        unusable = case.reply_to is not None and case.reply_to not in USABLE_REPLIES
        if refuse is not None or unusable:
            self.figures.refused_by_rule += refuse is not None
            _require(
                outcome["code"] == "invalid",
                f"{label} must be refused ({refuse or 'reply_to ' + str(case.reply_to)}), "
                f"got {outcome['code']}",
            )
        if outcome["code"] in {"invalid", "conflict"}:
            _require(outcome["ledger_grew"] == 0, f"{label} refused yet wrote to Sitoo")
        else:
            self.figures.ledger_writes += outcome["ledger_grew"]
        if reply_list is not None:
            self._one_reply(reply_list, case.reply_to, label)
        elif reply_field is not None:
            _require(self.redis.type(reply_field) == before, f"{label} wrote to {reply_field!r}")
        self.figures.outcomes[outcome["code"]] += 1
        return outcome

    def _one_reply(self, reply_list: str, kind: str | None, label: str) -> None:
        expected = 2 if kind == "existing-list" else 1
        deadline = time.monotonic() + 5
        while self.redis.llen(reply_list) < expected and time.monotonic() < deadline:
            time.sleep(0.02)
        found = self.redis.llen(reply_list)
        _require(found == expected, f"{label}: {found - expected + 1} replies, not exactly one")
        self.figures.replies += 1

    def _outcome(self, stream: str, entry_id: str, raw: bytes) -> dict[str, Any]:
        """Wait until the entry is acknowledged; its one result or dead letter."""
        deadline = time.monotonic() + ENTRY_TIMEOUT_S
        while True:
            # In this order: read by the group, then not pending, then the outcome (written
            # before the ack) is there to find.
            read = self._read_by_group(stream, entry_id)
            acked = not self.redis.xpending_range(stream, "sitoo-sync", entry_id, entry_id, 1)
            if read and acked:
                results = self._results_for(stream, entry_id)
                break
            _require(time.monotonic() < deadline, f"entry {entry_id} on {stream} never ended")
            time.sleep(0.02)
        letters = [
            fields
            for _, fields in self.redis.xrange(stream + ".dlq")  # type: ignore[union-attr]
            if fields[b"entry_id"].decode() == entry_id
        ]
        _require(len(results) <= 1, f"entry {entry_id}: {len(results)} results")
        _require(len(letters) <= 1, f"entry {entry_id}: {len(letters)} dead letters")
        for letter in letters:
            deliveries = int(letter[b"deliveries"])
            _require(deliveries <= MAX_DELIVERIES, f"entry {entry_id} delivered {deliveries}x")
        if not results:
            # Only an event id sent before may end without a result of its own (repeated).
            event_id = _event_id(raw)
            _require(
                event_id in self._seen_ids and not letters,
                f"entry {entry_id} acked without an outcome",
            )
            return {"code": "repeated", "result": None}
        data = results[0]["data"]
        named = results[0]["type"].rsplit(".", 1)[0]
        _require(
            named in OUTWARD_TYPES, f"entry {entry_id}: result type {named[:60]!r} was made up"
        )
        _require(
            bool(letters) == bool(data["dead_lettered"]),
            f"entry {entry_id}: dead letter and result disagree",
        )
        if data["inbound_event_id"]:
            self._seen_ids.add(data["inbound_event_id"])
        code = data["reason_code"] or data["status"]
        return {"code": code, "result": data}

    def _results_for(self, stream: str, entry_id: str) -> list[dict[str, Any]]:
        found = []
        for _, fields in self.redis.xrevrange(RESULTS, count=50):  # type: ignore[union-attr]
            data = json.loads(fields[b"event"])["data"]
            if data["stream"] == stream and data["entry_id"] == entry_id:
                found.append(json.loads(fields[b"event"]))
        return found

    def _read_by_group(self, stream: str, entry_id: str) -> bool:
        for group in self.redis.xinfo_groups(stream):  # type: ignore[union-attr]
            if group["name"] == b"sitoo-sync":
                last = group["last-delivered-id"].decode()
                return tuple(map(int, last.split("-"))) >= tuple(map(int, entry_id.split("-")))
        return False

    def _entry(self, case: EntryCase) -> None:
        self.send(case)

    def _conflict(self, case: ConflictCase) -> None:
        event_id = f"fuzz-{uuid.uuid4().hex}"
        first = self.send(case.first, event_id)
        self._seen_ids.add(event_id)
        reused = self.send(case.reused, event_id)
        self.figures.conflicts += 1
        if first["code"] == "invalid":
            return  # the first never claimed the id: the second is judged on its own
        if case.same_content:
            # A repeat; or, after a dead letter (which binds only its entry), a run of its own.
            dead = first["result"] is not None and first["result"]["dead_lettered"]
            _require(
                reused["code"] == "repeated" or (dead and reused["code"] != "conflict"),
                f"re-serialised {event_id} ended as {reused['code']}, not as a repeat",
            )
            return
        _require(
            reused["code"] in {"conflict", "invalid", "repeated"},
            f"reused id {event_id} ended as {reused['code']}",
        )
        _require(reused["ledger_grew"] == 0, f"reused id {event_id} wrote to Sitoo")

    def _webhook(self, case: WebhookCase) -> None:
        auth = ("sitoo", WEBHOOK_PASSWORD if case.authorised else "wrong")
        stored, parked = self.redis.xlen("sitoo.webhooks"), self.redis.xlen("sitoo.webhooks.dlq")
        answer = self.http.post(
            "/sitoo/events",
            content=case.body,
            auth=auth,
            headers={"content-type": "application/json"},
        )
        self.figures.webhook_posts += 1
        self.figures.webhook_answers[str(answer.status_code)] += 1
        _require(answer.status_code < 500, f"web hook answered {answer.status_code} ({case.label})")
        if not case.authorised:
            _require(answer.status_code == 401, f"no credentials, answer {answer.status_code}")
            return
        _require(answer.status_code == 200, f"web hook answered {answer.status_code}")
        outcome = answer.json()
        if case.label == "key twice":
            _require(outcome["outcome"] == "dead_lettered", "a key named twice was accepted")
        if outcome["outcome"] == "dead_lettered":
            # Kept once per content: a body drawn again adds no second letter.
            grown = self.redis.xlen("sitoo.webhooks.dlq") - parked
            digest = hashlib.sha256(case.body).digest()
            _require(
                grown == 1 or (grown == 0 and digest in self._kept_bodies),
                f"a bad body left {grown} new dead letters",
            )
            self._kept_bodies.add(digest)
        else:
            grew = self.redis.xlen("sitoo.webhooks") - stored
            _require(grew == outcome["new"], f"stored {grew}, answered {outcome['new']}")

    def final_sweep(self) -> None:
        """After the run: nothing pending on any inbound stream, the service still ready."""
        for stream in _STREAMS.values():
            if self.redis.exists(stream):
                pending = self.redis.xpending(stream, "sitoo-sync")["pending"]
                _require(pending == 0, f"{pending} entries still pending on {stream}")
        _require(self.http.get("/readyz").status_code == 200, "not ready at the end")


def _event_id(raw: bytes) -> str | None:
    try:
        document = json.loads(raw)
    except (ValueError, RecursionError):
        return None
    return document.get("event_id") if isinstance(document, dict) else None


def _require(condition: bool, message: str) -> None:
    if not condition:
        raise InvariantBroken(message)
