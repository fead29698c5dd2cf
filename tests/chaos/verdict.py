"""The verdict of a chaos run, from the sandbox's ledger and state and the service's streams.

Pure: it takes what was collected after the run and the plan, and returns figures and
failures. Effects are judged against what the webshop asked for, not against the
service's own view: a write with no event behind it, or one event's write landing
twice, is a failure whatever the result stream says.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from service.sitoo.keys import operation_reference, order_externalid
from tests.chaos.hostile import REUSED_ID
from tests.chaos.workload import FIFO_WAREHOUSES, VIRTUAL_WAREHOUSE, Plan

ORDER_CANCELLED = 20
ORDER_CLOSED = 10
# Effects whose repetition would be a real duplicate (absolute writes are harmless to repeat).
_ONCE_KINDS = (
    "order.create",
    "order.delivery",
    "giftcard.issue",
    "giftcard.transaction",
    "giftcard.rollback",
    "warehouse.transaction",
)


@dataclass
class Collected:
    """Everything read after the run."""

    results: list[dict[str, Any]]  # result envelopes, stream order
    dead_letters: dict[str, list[dict[str, str]]]  # stream -> dead-letter entries
    hostile_entries: dict[tuple[str, str], str]  # (stream, entry id) -> label
    stream_of_channel: dict[str, str]
    ledger: list[dict[str, Any]]
    stock_before: list[dict[str, Any]]
    stock_after: list[dict[str, Any]]
    cards: dict[str, dict[str, Any]]  # card -> /state/giftcards answer
    orders: list[dict[str, Any]]
    replies: dict[str, list[dict[str, Any]]]  # request event id -> replies found
    hostile_replies: dict[str, list[dict[str, Any]]]  # hostile request's reply list -> replies
    store_redeems: list[dict[str, Any]]  # {card, amount, receipt_id, ok}
    pending: dict[str, int]  # stream -> entries still pending in the group
    violations: dict[str, Any]  # the sandbox's /_sandbox/violations since it started


@dataclass
class Verdict:
    """Figures to print and the reasons the run failed (none when it passed)."""

    figures: dict[str, Any] = field(default_factory=dict)
    failures: list[str] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        """True when every check held."""
        return not self.failures

    def fail(self, message: str) -> None:
        """Record one failed check."""
        self.failures.append(message)


def _by_event(results: list[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    found: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for result in results:
        event_id = result["data"].get("inbound_event_id")
        if event_id is not None:
            found[event_id].append(result["data"])
    return found


def _final(found: list[dict[str, Any]]) -> dict[str, Any]:
    """The settled outcome: a success wins over an earlier failure of the same event."""
    succeeded = [r for r in found if r["status"] == "succeeded"]
    return succeeded[-1] if succeeded else found[-1]


def judge(plan: Plan, collected: Collected) -> Verdict:
    """Every check of the verdict: lost, duplicated, accounted for, balances, stock."""
    verdict = Verdict()
    results = _by_event(collected.results)
    _request_violations(collected, verdict)
    _accounting(plan, collected, results, verdict)
    _hostile(collected, verdict)
    _hostile_replies(plan, collected, verdict)
    _duplicates(collected, verdict)
    _orders(plan, collected, results, verdict)
    _giftcards(plan, collected, results, verdict)
    _stock(plan, collected, results, verdict)
    _replies(plan, collected, results, verdict)
    still_pending = {s: n for s, n in collected.pending.items() if n}
    verdict.figures["entries still pending"] = sum(still_pending.values())
    if still_pending:
        verdict.fail(f"entries left pending after the run: {still_pending}")
    return verdict


def _request_violations(collected: Collected, verdict: Verdict) -> None:
    """Every request the service sent was one Sitoo's description allows."""
    count = int(collected.violations.get("count", 0))
    verdict.figures["request violations"] = count
    if count:
        shown = [
            f"{v['method']} {v['operation']}: {v['errortext']}"
            for v in collected.violations.get("recent", [])[:5]
        ]
        verdict.fail(
            f"{count} requests outside Sitoo's description "
            f"({collected.violations.get('by_operation')}), e.g. {shown}"
        )


def _accounting(
    plan: Plan,
    collected: Collected,
    results: dict[str, list[dict[str, Any]]],
    verdict: Verdict,
) -> None:
    good = plan.good
    outcomes: Counter[str] = Counter()
    lost: list[str] = []
    dead_good: list[str] = []
    twice: list[str] = []
    for send in good:
        assert send.event_id is not None
        found = results.get(send.event_id)
        if not found:
            lost.append(send.event_id)
            continue
        if len(found) > 1:
            twice.append(send.event_id)
        final = _final(found)
        outcomes[
            f"{send.event_type} {final['status']} {final.get('reason_code') or ''}".strip()
        ] += 1
        if final.get("dead_lettered") and not _dead_letter_expected(plan, send.event_id, final):
            dead_good.append(f"{send.event_id} ({final.get('reason_code')}: {final.get('reason')})")
    verdict.figures["good events sent"] = len(good)
    verdict.figures["good events with a result"] = len(good) - len(lost)
    verdict.figures["events lost"] = len(lost)
    verdict.figures["good events with more than one result"] = len(twice)
    verdict.figures["outcomes"] = dict(sorted(outcomes.items()))
    if lost:
        verdict.fail(f"{len(lost)} events lost (no result event), e.g. {lost[:5]}")
    if dead_good:
        verdict.fail(f"{len(dead_good)} good events dead-lettered, e.g. {dead_good[:3]}")
    if twice:
        verdict.fail(f"{len(twice)} events got more than one result event, e.g. {twice[:5]}")


def _dead_letter_expected(plan: Plan, event_id: str, result: dict[str, Any]) -> bool:
    """A good event may be dead-lettered only when the store closed its order first."""
    return event_id in plan.cancels and result.get("reason_code") == "order_closed"


def _hostile(collected: Collected, verdict: Verdict) -> None:
    by_entry: dict[tuple[str, str], dict[str, Any]] = {}
    for result in collected.results:
        data = result["data"]
        by_entry[(data["stream"], data["entry_id"])] = data
    parked = {
        (entry.get("stream", stream.removesuffix(".dlq")), entry.get("entry_id", "")): entry
        for stream, entries in collected.dead_letters.items()
        for entry in entries
    }
    problems: list[str] = []
    reasons: Counter[str] = Counter()
    pairs: dict[str, list[tuple[dict[str, Any] | None, dict[str, str] | None]]] = defaultdict(list)
    for key, label in collected.hostile_entries.items():
        found, letter = by_entry.get(key), parked.get(key)
        if label.startswith(REUSED_ID):
            pairs[label.split(":")[0]].append((found, letter))
            continue
        if found is None or letter is None:
            problems.append(f"{label!r}: {'no result' if found is None else 'no dead letter'}")
            continue
        result = found
        if result["status"] != "failed" or not result.get("dead_lettered"):
            problems.append(f"{label!r}: result {result['status']}, not dead-lettered")
            continue
        if not letter.get("reason_code") or not letter.get("reason"):
            problems.append(f"{label!r}: dead letter without a reason")
            continue
        reasons[letter["reason_code"]] += 1
    for name, pair in pairs.items():
        problem = _reused_id_problem(pair)
        if problem:
            problems.append(f"{name!r}: {problem}")
        else:
            reasons["conflict"] += 1
    verdict.figures["hostile entries sent"] = len(collected.hostile_entries)
    verdict.figures["hostile entries ending as expected"] = len(collected.hostile_entries) - len(
        problems
    )
    verdict.figures["dead letters by reason"] = dict(sorted(reasons.items()))
    if problems:
        verdict.fail(f"{len(problems)} hostile entries did not end as expected: {problems[:8]}")


def _reused_id_problem(
    pair: list[tuple[dict[str, Any] | None, dict[str, str] | None]],
) -> str | None:
    """One of the two stands (any normal outcome), the other is a conflict with both digests."""
    if len(pair) != 2 or any(found is None for found, _ in pair):
        return "a result is missing"
    conflicts = [
        letter
        for found, letter in pair
        if found is not None and found.get("reason_code") == "conflict" and letter is not None
    ]
    if len(conflicts) != 1:
        return f"{len(conflicts)} conflicts, expected exactly one"
    letter = conflicts[0]
    if not letter.get("digest") or not letter.get("first_digest"):
        return "the conflict's dead letter lacks the digests"
    return None


def _hostile_replies(plan: Plan, collected: Collected, verdict: Verdict) -> None:
    """Every hostile request with a usable reply list hears exactly one decline."""
    problems: list[str] = []
    for send in plan.hostile:
        if send.reply_to is None:
            continue
        replies = collected.hostile_replies.get(send.reply_to, [])
        statuses = [(r.get("status"), r.get("reason_code")) for r in replies]
        if statuses != [("declined", "invalid_request")]:
            problems.append(f"{send.hostile!r}: replies {statuses}")
    verdict.figures["hostile requests answered once"] = sum(
        1 for s in plan.hostile if s.reply_to is not None
    ) - len(problems)
    if problems:
        verdict.fail(f"{len(problems)} hostile requests not answered once: {problems[:5]}")


def _duplicates(collected: Collected, verdict: Verdict) -> None:
    kinds: Counter[str] = Counter(e["kind"] for e in collected.ledger)
    verdict.figures["sandbox effects by kind"] = dict(sorted(kinds.items()))
    seen: Counter[tuple[str, str]] = Counter(
        (e["kind"], e["key"]) for e in collected.ledger if e["kind"] in _ONCE_KINDS
    )
    duplicated = {key: n for key, n in seen.items() if n > 1}
    verdict.figures["Sitoo effects duplicated"] = len(duplicated)
    if duplicated:
        verdict.fail(f"{len(duplicated)} effects applied more than once: {list(duplicated)[:8]}")


def _orders(
    plan: Plan,
    collected: Collected,
    results: dict[str, list[dict[str, Any]]],
    verdict: Verdict,
) -> None:
    created = Counter(e["key"] for e in collected.ledger if e["kind"] == "order.create")
    state = {o.get("externalid"): o for o in collected.orders}
    problems: list[str] = []
    cancel_outcome = {
        order_id: _final(results[cancel])
        for cancel, order_id in plan.cancels.items()
        if cancel in results
    }
    for order_id, facts in plan.orders.items():
        externalid = order_externalid(order_id)
        placed = results.get(facts["placed_event"])
        if not placed:
            continue  # already reported as lost
        outcome = _final(placed)
        order = state.get(externalid)
        if outcome["status"] == "succeeded" and created[externalid] != 1:
            problems.append(f"{order_id}: placed but {created[externalid]} orders created")
        if not facts["cancelled"]:
            if outcome["status"] != "succeeded":
                problems.append(f"{order_id}: not placed ({outcome.get('reason_code')})")
            continue
        cancel = cancel_outcome.get(order_id)
        if cancel is None:
            continue
        closed_first = cancel.get("reason_code") == "order_closed"
        if order is not None and not closed_first and order["orderstateid"] != ORDER_CANCELLED:
            problems.append(f"{order_id}: cancelled in the webshop, state {order['orderstateid']}")
        if closed_first and (order is None or order["orderstateid"] != ORDER_CLOSED):
            problems.append(f"{order_id}: cancel refused as closed, but the order is not closed")
    verdict.figures["orders created in Sitoo"] = sum(created.values())
    verdict.figures["orders cancelled in Sitoo"] = sum(
        1 for o in collected.orders if o.get("orderstateid") == ORDER_CANCELLED
    )
    if problems:
        verdict.fail(f"{len(problems)} order problems: {problems[:8]}")


@dataclass
class _CardFacts:
    """What the plan and the results say about gift-card writes, across all cards."""

    expected_refs: dict[str, str]  # ledger key -> event id of ours
    receipts: dict[str, dict[str, Any]]  # till receipt id -> successful in-store redemption
    refunded: set[str]  # redemptions some refund named
    cancelled_orders: set[str]


def _card_facts(
    plan: Plan, collected: Collected, results: dict[str, list[dict[str, Any]]]
) -> _CardFacts:
    refs = {operation_reference(f"{event_id}:redeem"): event_id for event_id in plan.redeems}
    refs.update(
        {
            operation_reference(f"{event_id}:load"): event_id
            for event_id, refund in plan.refunds.items()
            if refund["amount"] is not None
        }
    )
    return _CardFacts(
        expected_refs=refs,
        receipts={r["receipt_id"]: r for r in collected.store_redeems if r["ok"]},
        refunded={r["redemption"] for r in plan.refunds.values() if r["redemption"]},
        cancelled_orders={plan.cancels[e] for e in results if e in plan.cancels},
    )


def _card_consistency(card: str, state: dict[str, Any], problems: list[str]) -> Decimal:
    """Balance = sum of live transactions, never negative at any point; the balance."""
    giftcard = state["giftcard"]
    balance = Decimal(giftcard["moneyamount"])
    live = sum((Decimal(t["moneyamount"]) for t in giftcard["transactions"]), Decimal(0))
    if balance != live:
        problems.append(f"{card}: balance {balance} != sum of its transactions {live}")
    if balance < 0:
        problems.append(f"{card}: negative balance {balance}")
    problems.extend(
        f"{card}: balance went negative ({entry['detail']['balance']}) at seq {entry['seq']}"
        for entry in state["ledger"]
        if entry["detail"].get("balance") is not None and Decimal(entry["detail"]["balance"]) < 0
    )
    return balance


def _card_writes_justified(
    card: str,
    *,
    applied: dict[str, Decimal],
    rolled: set[str],
    plan: Plan,
    facts: _CardFacts,
    results: dict[str, list[dict[str, Any]]],
    problems: list[str],
) -> None:
    """Every transaction has an event or a receipt behind it; every rollback has a reason."""
    problems.extend(
        f"{card}: transaction {ref} has no event or till receipt behind it"
        for ref in applied
        if ref not in facts.expected_refs and ref not in facts.receipts
    )
    for ref in rolled:
        redeem_id = facts.expected_refs.get(ref)
        if redeem_id is None or redeem_id not in plan.redeems:
            problems.append(f"{card}: rollback of {ref}, which is not a redemption of ours")
            continue
        outcome = _final(results[redeem_id]) if redeem_id in results else {}
        wrong_currency = plan.redeems[redeem_id].get("currency", "SEK") != "SEK"
        justified = (
            redeem_id in facts.refunded
            or plan.redeems[redeem_id]["order_id"] in facts.cancelled_orders
            or outcome.get("reason_code") == "voided"
            or (wrong_currency and outcome.get("reason_code") == "currency_mismatch")
        )
        if not justified:
            problems.append(f"{card}: redemption {redeem_id} rolled back without a reason")


def _card_model(
    card: str,
    *,
    applied: dict[str, Decimal],
    rolled: set[str],
    plan: Plan,
    facts: _CardFacts,
    results: dict[str, list[dict[str, Any]]],
    problems: list[str],
) -> Decimal:
    """The balance the successful requests of the webshop and the tills add up to."""
    model = plan.cards[card]
    for redeem_id, redeem in plan.redeems.items():
        if redeem["card"] != card or redeem_id not in results:
            continue
        ref = operation_reference(f"{redeem_id}:redeem")
        succeeded = _final(results[redeem_id])["status"] == "succeeded"
        if succeeded and redeem.get("currency", "SEK") != "SEK":
            problems.append(f"{card}: redemption {redeem_id} in another currency succeeded")
        if succeeded and ref not in applied:
            problems.append(f"{card}: redemption {redeem_id} succeeded but was never applied")
        if ref in applied and ref not in rolled:
            model -= redeem["amount"]
            if not succeeded:
                problems.append(f"{card}: declined redemption {redeem_id} left a charge")
    for event_id, refund in plan.refunds.items():
        if (
            refund["card"] == card
            and refund["amount"] is not None
            and event_id in results
            and _final(results[event_id])["status"] == "succeeded"
        ):
            model += refund["amount"]
    return model - sum(
        (Decimal(r["amount"]) for r in facts.receipts.values() if r["card"] == card), Decimal(0)
    )


def _giftcards(
    plan: Plan,
    collected: Collected,
    results: dict[str, list[dict[str, Any]]],
    verdict: Verdict,
) -> None:
    problems: list[str] = []
    facts = _card_facts(plan, collected, results)
    for card in plan.cards:
        state = collected.cards.get(card)
        if state is None:
            problems.append(f"{card}: not in Sitoo")
            continue
        balance = _card_consistency(card, state, problems)
        applied = {
            e["key"]: Decimal(e["detail"]["moneyamount"])
            for e in state["ledger"]
            if e["kind"] == "giftcard.transaction"
        }
        rolled = {e["key"] for e in state["ledger"] if e["kind"] == "giftcard.rollback"}
        _card_writes_justified(
            card,
            applied=applied,
            rolled=rolled,
            plan=plan,
            facts=facts,
            results=results,
            problems=problems,
        )
        model = _card_model(
            card,
            applied=applied,
            rolled=rolled,
            plan=plan,
            facts=facts,
            results=results,
            problems=problems,
        )
        if model != balance:
            problems.append(
                f"{card}: balance {balance}, but the successful requests add to {model}"
            )
    verdict.figures["gift cards checked"] = len(plan.cards)
    if problems:
        verdict.fail(f"{len(problems)} gift-card problems: {problems[:8]}")


def _levels(items: list[dict[str, Any]]) -> dict[tuple[int, str], Decimal]:
    return {(i["warehouseid"], i["sku"]): Decimal(i["decimaltotal"]) for i in items}


Moves = dict[tuple[int, str], Decimal]


def _transactions(ledger: list[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    by_externalid: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for entry in ledger:
        if entry["kind"] == "warehouse.transaction":
            by_externalid[entry["key"]].append(entry)
    return by_externalid


def _moves(entries: list[dict[str, Any]]) -> Moves:
    moved: Moves = defaultdict(Decimal)
    for entry in entries:
        for item in entry["detail"]["items"]:
            moved[(entry["detail"]["warehouseid"], item["sku"])] += Decimal(item["decimalquantity"])
    return moved


def _adjustments_once(
    plan: Plan,
    by_externalid: dict[str, list[dict[str, Any]]],
    results: dict[str, list[dict[str, Any]]],
    problems: list[str],
) -> Moves:
    """Each adjustment reported applied is in Sitoo once with its deltas; what was asked."""
    asked: Moves = defaultdict(Decimal)
    for event_id, adjustment in plan.adjustments.items():
        found = results.get(event_id)
        written = by_externalid.get(operation_reference(f"{event_id}:stock-adjust"), [])
        succeeded = bool(found) and _final(found or [{}])["status"] == "succeeded"
        if succeeded and len(written) != 1:
            problems.append(f"{event_id}: applied {len(written)} times")
        if not succeeded and written:
            problems.append(f"{event_id}: not reported as applied, yet in Sitoo")
        if not written:
            continue
        lines = {i["sku"]: Decimal(i["decimalquantity"]) for i in written[0]["detail"]["items"]}
        for item in adjustment["items"]:
            asked[(adjustment["warehouse"], item["sku"])] += Decimal(item["delta"])
            if lines.get(item["sku"]) != Decimal(item["delta"]):
                problems.append(f"{event_id}: {item['sku']} moved {lines.get(item['sku'])}")
    return asked


def _newest_levels(
    plan: Plan, results: dict[str, list[dict[str, Any]]]
) -> dict[str, tuple[tuple[Any, str], Decimal]]:
    newest: dict[str, tuple[tuple[Any, str], Decimal]] = {}
    for event_id, level in plan.levels.items():
        found = results.get(event_id)
        if not found or _final(found)["status"] != "succeeded":
            continue
        stamp = (level["at"], event_id)
        for item in level["items"]:
            current = newest.get(item["sku"])
            if current is None or stamp > current[0]:
                newest[item["sku"]] = (stamp, Decimal(item["quantity"]))
    return newest


def _stock(
    plan: Plan,
    collected: Collected,
    results: dict[str, list[dict[str, Any]]],
    verdict: Verdict,
) -> None:
    problems: list[str] = []
    before = _levels(collected.stock_before)
    after = _levels(collected.stock_after)
    by_externalid = _transactions(collected.ledger)
    moved = _moves([e for entries in by_externalid.values() for e in entries])
    asked = _adjustments_once(plan, by_externalid, results, problems)
    # Every FIFO level is its baseline plus every transaction (service, tills, deliveries).
    fifo = [key for key in after if key[0] in FIFO_WAREHOUSES]
    for key in fifo:
        expected = before.get(key, Decimal(0)) + moved.get(key, Decimal(0))
        if after[key] != expected:
            problems.append(f"{key}: level {after[key]}, baseline plus transactions {expected}")
    # The service's own transactions add up to exactly what the webshop asked for.
    ours = [e for k, entries in by_externalid.items() if k.startswith("ss-") for e in entries]
    service_moved = _moves(ours)
    problems.extend(
        f"{key}: service moved {service_moved.get(key)}, asked {asked.get(key)}"
        for key in set(asked) | set(service_moved)
        if asked.get(key, Decimal(0)) != service_moved.get(key, Decimal(0))
    )
    # Virtual warehouse: the newest level per SKU wins, whatever the arrival order.
    newest = _newest_levels(plan, results)
    for sku_name, (_stamp, quantity) in newest.items():
        level_now = after.get((VIRTUAL_WAREHOUSE, sku_name))
        if level_now != quantity:
            problems.append(f"web {sku_name}: level {level_now}, newest event says {quantity}")
    verdict.figures["stock levels checked (warehouse, sku)"] = len(fifo) + len(newest)
    verdict.figures["stock.adjusted transactions in Sitoo"] = len(ours)
    if problems:
        verdict.fail(f"{len(problems)} stock problems: {problems[:8]}")


def _replies(
    plan: Plan,
    collected: Collected,
    results: dict[str, list[dict[str, Any]]],
    verdict: Verdict,
) -> None:
    missing: list[str] = []
    extra: list[str] = []
    mismatched: list[str] = []
    for event_id in plan.requests:
        replies = collected.replies.get(event_id, [])
        if not replies:
            missing.append(event_id)
            continue
        if len(replies) > 1:
            extra.append(event_id)
        found = results.get(event_id)
        if found:
            approved = _final(found)["status"] == "succeeded"
            if (replies[0]["status"] == "approved") != approved:
                mismatched.append(event_id)
    verdict.figures["requests answered"] = len(plan.requests) - len(missing)
    verdict.figures["requests answered more than once"] = len(extra)
    if missing:
        verdict.fail(f"{len(missing)} requests never answered, e.g. {missing[:5]}")
    if mismatched:
        verdict.fail(f"{len(mismatched)} replies disagree with the result, e.g. {mismatched[:5]}")
