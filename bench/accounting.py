"""The soak's accounting: every input event has exactly one terminal outcome, the ledgers balance, nothing is stuck.

Why a module of its own: the checks are the point of the soak (bench/soak.py), and a test proves they can fail
(tests/reliability/test_soak.py breaks idempotency on purpose). `Facts.read` takes what the local cloud holds at
the end; `account` compares it with the inputs and says, per input, which outcome it had and what is wrong.

Terminal outcomes:
- an order (OrderPlaced): `completed` (reserved, charged the order's total, shipped; one OrderCompleted whose ids are
  the ledgers'), `cancelled` (one OrderCancelled with a reason; every step done before the failure undone: the
  reservation released, the payment refunded, nothing shipped) or `escalated` (a compensation failed every retry:
  its OrderCompensationEscalated waits in the saga's escalations queue for a person, the rest undone); or its
  delivery `dead-lettered` in a rule target's dead-letter queue. Exactly one saga execution did the work; the
  others (duplicate deliveries) found the order claimed and did nothing.
- a ticket (TicketSubmitted): `resolved`, `rejected` or `escalated` (no decision in time), with one outcome event,
  as its reviewer decided; a decision that could not be delivered must be in the correlator's dead-letter queue.
- a decision (ApprovalDecided): `released its pipeline`, or `dead-lettered`.

The ledgers are the services' tables (functions/{inventory,payments,shipping}): at most one record per order in
each, in the state the order's outcome requires, and the money balances: what is charged is what the completed
(and escalated) orders cost; what is refunded is what the cancelled orders that had been charged cost; and the
payment gateway's own ledger (the sandbox's `money#` items: what it took and paid back) says the same as the
payments' records.
"""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from typing import Any

from orchestrator.local.cloud import LocalCloud
from orchestrator.local.iam.report import AccessReport
from orchestrator.local.lambdas import InvocationRecord

ORDER_OUTCOME_EVENTS = ("OrderCompleted", "OrderCancelled", "OrderCompensationEscalated")
TICKET_OUTCOME_EVENTS = {
    "TicketResolved": "resolved",
    "TicketReplyRejected": "rejected",
    "TicketEscalated": "escalated",
}
ORDER_END_STATES = {"Completed": "completed", "Cancelled": "cancelled", "CompensationEscalated": "escalated"}
TICKET_END_STATES = {"Resolved": "resolved", "ReplyRejected": "rejected", "Escalated": "escalated"}
EXPECTED_ORDER_OUTCOME = {
    "plain": "completed",
    "flaky-card": "completed",
    "out-of-stock": "cancelled",
    "declined": "cancelled",
    "no-carrier": "cancelled",
    "flaky-refund": "cancelled",
    "broken-refund": "escalated",
}
KEEPS_THE_MONEY = frozenset({"plain", "flaky-card", "broken-refund"})
REFUNDED_AFTER_CHARGE = frozenset({"no-carrier", "flaky-refund"})
EXPECTED_TICKET_OUTCOME = {"approved": "resolved", "rejected": "rejected", None: "escalated"}
# Queues where an event or message ends when it cannot be handled: named in the report with their depth.
PARKING_QUEUES = ("DeadLetters", "Quarantine", "Escalations", "Failures")
_TAP = "soak-outcomes"


@dataclass(frozen=True)
class PlannedOrder:
    order_id: str
    kind: str  # a key of bench.soak.ORDER_KINDS
    total_cents: int

    @property
    def idempotency_key(self) -> str:
        return f"{self.order_id}:placed"


@dataclass(frozen=True)
class PlannedTicket:
    ticket_id: str
    decision: str | None  # "approved", "rejected", or None: nobody decides
    decided_early: bool  # the decision is put before the ticket


@dataclass(frozen=True)
class Inputs:
    orders: list[PlannedOrder]
    tickets: list[PlannedTicket]


@dataclass(frozen=True)
class ExecutionEnd:
    key: str  # the starting event's idempotency key
    status: str
    last_state: str
    output: Any
    error: str = ""  # a failed execution's error and cause, as DescribeExecution gives them


class OutcomeTap:
    """A rule of the soak's own copying every outcome event on the bus into a queue nobody polls, read at the end."""

    def __init__(self, cloud: LocalCloud) -> None:
        self.url = cloud.tap(_TAP, {"detail-type": [*ORDER_OUTCOME_EVENTS, *TICKET_OUTCOME_EVENTS]})


@dataclass
class Facts:
    """What the local cloud holds once the soak is still."""

    orders: dict[str, list[ExecutionEnd]]  # by the OrderPlaced idempotency key
    tickets: dict[str, list[ExecutionEnd]]  # by the TicketSubmitted idempotency key
    outcome_events: dict[str, dict[str, list[dict[str, Any]]]]  # detail-type -> business id -> distinct events
    parked: dict[str, list[dict[str, Any]]]  # dead-letter, quarantine and escalation queues: logical id -> bodies
    ledgers: dict[str, dict[str, list[dict[str, Any]]]]  # service -> order id -> records
    gateway: dict[str, int]  # the sandbox gateway's ledger: cents "charged" and "refunded"
    running: list[str]  # executions of any state machine still RUNNING
    in_flight: int  # messages still in polled queues

    @classmethod
    def read(cls, cloud: LocalCloud, tap: OutcomeTap) -> Facts:
        sfn = cloud.client("stepfunctions")
        by_machine = {
            name: _execution_ends(cloud, sfn, cloud.physical_id("AWS::StepFunctions::StateMachine", name))
            for name in ("OrderSaga", "AgentPipeline")
        }
        events: dict[str, dict[str, list[dict[str, Any]]]] = defaultdict(lambda: defaultdict(list))
        seen: set[str] = set()
        for event in _drain(cloud, tap.url):
            if event["id"] in seen:
                continue  # a duplicate delivery to the tap itself: one event
            seen.add(event["id"])
            data = event["detail"]["data"]
            events[event["detail-type"]][str(data.get("order_id") or data.get("ticket_id"))].append(data)
        parked = {
            logical_id: _drain(cloud, str(queue.ref))
            for logical_id, queue in cloud._provisioned("AWS::SQS::Queue")
            if any(word in logical_id for word in PARKING_QUEUES)
        }
        return cls(
            orders=by_machine["OrderSaga"],
            tickets=by_machine["AgentPipeline"],
            outcome_events=events,
            parked=parked,
            ledgers={service: _ledger(cloud, service) for service in ("Inventory", "Payments", "Shipping")},
            gateway=_gateway_ledger(cloud),
            running=cloud._running_executions(),
            in_flight=cloud.pollers.pending_messages(),
        )


def _execution_ends(cloud: LocalCloud, sfn: Any, machine: str) -> dict[str, list[ExecutionEnd]]:
    ends: dict[str, list[ExecutionEnd]] = defaultdict(list)
    for execution in cloud.executions(machine):
        key = json.loads(execution["input"])["detail"]["metadata"]["idempotency_key"]
        entered = [
            e["stateEnteredEventDetails"]["name"]
            for e in sfn.get_execution_history(executionArn=execution["executionArn"])["events"]
            if "stateEnteredEventDetails" in e
        ]
        output = json.loads(execution["output"]) if execution.get("output") else None
        error = ""
        if execution["status"] == "FAILED":
            described = sfn.describe_execution(executionArn=execution["executionArn"])
            error = f"{described.get('error', '')}: {described.get('cause', '')}"[:500]
        ends[key].append(ExecutionEnd(key, execution["status"], entered[-1] if entered else "", output, error))
    return ends


def _drain(cloud: LocalCloud, queue_url: str) -> list[dict[str, Any]]:
    """Every message of a queue nobody polls (received once, each hidden for the rest of the run), bodies parsed."""
    sqs, bodies = cloud.client("sqs"), []
    while batch := sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10, VisibilityTimeout=3600).get(
        "Messages", []
    ):
        bodies += [_parsed(m["Body"]) for m in batch]
    return bodies


def _parsed(body: str) -> dict[str, Any]:
    try:
        loaded = json.loads(body)
    except ValueError:
        return {"body": body}
    return loaded if isinstance(loaded, dict) else {"body": loaded}


def _ledger(cloud: LocalCloud, service: str) -> dict[str, list[dict[str, Any]]]:
    """A saga service's records (reservations, payments, shipments; not the gateway's fault notes) by order id."""
    table = cloud.physical_id("AWS::DynamoDB::Table", f"OrderSaga{service}")
    records: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for item in cloud.table_items(table):
        plain = {k: next(iter(v.values())) for k, v in item.items()}
        if "order_id" in plain:
            records[str(plain["order_id"])].append(plain)
    return records


def _gateway_ledger(cloud: LocalCloud) -> dict[str, int]:
    """What the sandbox payment gateway moved (functions/payments/gateway.py): cents charged and refunded."""
    moved = {"charged": 0, "refunded": 0}
    for item in cloud.table_items(cloud.physical_id("AWS::DynamoDB::Table", "OrderSagaPayments")):
        key = item["pk"]["S"]
        for kind in moved:
            if key.startswith(f"money#{kind}#"):
                moved[kind] += int(item["amount_cents"]["N"])
    return moved


@dataclass
class Report:
    """Per input type and outcome, how many; every problem found; the faults injected; the parked queues."""

    outcomes: Counter[tuple[str, str]] = field(default_factory=Counter)
    problems: list[str] = field(default_factory=list)
    duplicates_absorbed: int = 0
    parked: dict[str, int] = field(default_factory=dict)
    money: dict[str, int] = field(default_factory=dict)
    faults: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0  # the whole run: start-up, driving, reading the facts, accounting
    workflows: int = 0  # the inputs that start a workflow (orders and tickets)
    driven_seconds: float = 0.0  # from the first input put to the last wave run still (faults on)
    access: AccessReport | None = None  # the run's IAM access report (orchestrator/local/iam/report.py)
    # The longest handler run, beside its CPU time: how close the run came to a timeout, and whether waiting (for the
    # CPU, shared by every thread of the process) or working took the time.
    slowest: InvocationRecord | None = None

    @property
    def workflows_per_second(self) -> float:
        return self.workflows / self.driven_seconds if self.driven_seconds else 0.0

    @property
    def ok(self) -> bool:
        return not self.problems

    def table(self) -> str:
        rows = [("input", "outcome", "count")]
        rows += [(kind, outcome, str(n)) for (kind, outcome), n in sorted(self.outcomes.items())]
        rows += [("(executions)", "duplicate delivery, did nothing", str(self.duplicates_absorbed))]
        rows += [("(queue)", f"{name}", str(n)) for name, n in sorted(self.parked.items()) if n]
        rows += [("(fault)", kind, str(n)) for kind, n in sorted(self.faults.items())]
        rows += [("(money)", name, str(cents)) for name, cents in self.money.items()]
        widths = [max(len(row[i]) for row in rows) for i in range(3)]
        lines = [f"{a:<{widths[0]}}  {b:<{widths[1]}}  {c:>{widths[2]}}" for a, b, c in rows]
        lines.insert(1, "-" * len(lines[0]))
        verdict = "OK: every input accounted for" if self.ok else f"FAILED: {len(self.problems)} problem(s)"
        shown = [f"  - {p}" for p in self.problems[:50]]
        more = [f"  ... and {len(self.problems) - 50} more"] if len(self.problems) > 50 else []
        pace = (
            f"{self.workflows} workflows run in {self.driven_seconds:.1f} s: {self.workflows_per_second:.1f} per s "
            f"(faults on; the whole run with start-up and accounting {self.seconds:.0f} s)"
        )
        access = [self.access.summary()] if self.access is not None else []
        slowest = [] if self.slowest is None else [_slowest_line(self.slowest)]
        return "\n".join([*lines, "", f"{verdict} in {self.seconds:.0f} s", pace, *slowest, *access, *shown, *more])

    def as_json(self) -> dict[str, Any]:
        return {
            "outcomes": [{"input": k, "outcome": o, "count": n} for (k, o), n in sorted(self.outcomes.items())],
            "duplicates_absorbed": self.duplicates_absorbed,
            "parked": self.parked,
            "money": self.money,
            "faults": self.faults,
            "problems": self.problems,
            "ok": self.ok,
            "seconds": round(self.seconds, 1),
            "workflows": self.workflows,
            "driven_seconds": round(self.driven_seconds, 1),
            "workflows_per_second": round(self.workflows_per_second, 2),
            "slowest_invocation": None
            if self.slowest is None
            else {
                "function": self.slowest.function_name,
                "seconds": round(self.slowest.duration, 3),
                "cpu_seconds": round(self.slowest.cpu_seconds, 3),
                "error": self.slowest.error_type,
            },
        }


def _slowest_line(record: InvocationRecord) -> str:
    outcome = f", {record.error_type}" if record.error_type else ""
    return (
        f"slowest invocation: {record.function_name} {record.duration:.2f} s "
        f"({record.cpu_seconds:.2f} s of its thread's CPU{outcome})"
    )


def account(inputs: Inputs, facts: Facts) -> Report:
    """Checks every input against what the cloud holds (see the module docstring)."""
    report = Report(parked={name: len(bodies) for name, bodies in facts.parked.items()})
    report.duplicates_absorbed = sum(
        1 for ends in [*facts.orders.values(), *facts.tickets.values()] for e in ends if e.last_state == "Duplicate"
    )
    payments = facts.ledgers["Payments"]
    for order in inputs.orders:
        outcome = _order_outcome(order, facts, report.problems)
        report.outcomes[("OrderPlaced", outcome)] += 1
    # Taken: charged and settled, or paid back since (a declined or voided payment took nothing).
    charged = sum(
        int(p["amount_cents"])
        for records in payments.values()
        for p in records
        if p["status"] in ("CHARGED", "REFUNDED")
    )
    refunded = sum(
        int(p["amount_cents"]) for records in payments.values() for p in records if p["status"] == "REFUNDED"
    )
    # What the orders' kinds call for: kept for the completed ones and for those whose refund is escalated to a
    # person; charged then refunded for those cancelled after the charge.
    kept_for = sum(o.total_cents for o in inputs.orders if o.kind in KEEPS_THE_MONEY)
    refunded_for = sum(o.total_cents for o in inputs.orders if o.kind in REFUNDED_AFTER_CHARGE)
    report.money = {"charged (cents)": charged, "refunded (cents)": refunded, "kept (cents)": charged - refunded}
    if (charged - refunded, refunded) != (kept_for, refunded_for):
        report.problems.append(
            f"money does not balance: kept {charged - refunded}, refunded {refunded}; the orders call for kept "
            f"{kept_for}, refunded {refunded_for}"
        )
    if facts.gateway != {"charged": charged, "refunded": refunded}:
        report.problems.append(f"the payment gateway's ledger {facts.gateway} disagrees with the payments' records")
    for ticket in inputs.tickets:
        outcome = _ticket_outcome(ticket, facts, report.problems)
        report.outcomes[("TicketSubmitted", outcome)] += 1
        if ticket.decision is not None:
            report.outcomes[("ApprovalDecided", _decision_outcome(ticket, outcome, facts, report.problems))] += 1
    if facts.running:
        report.problems.append(f"{len(facts.running)} execution(s) stuck RUNNING, e.g. {facts.running[0]}")
    if facts.in_flight:
        report.problems.append(f"{facts.in_flight} message(s) still in polled queues")
    return report


def _order_outcome(order: PlannedOrder, facts: Facts, problems: list[str]) -> str:
    ended = _ending(order.order_id, order.idempotency_key, facts.orders.get(order.idempotency_key, []), facts, problems)
    outcome = ended if isinstance(ended, str) else _named_end(order.order_id, ended, ORDER_END_STATES, problems)
    if outcome not in ORDER_END_STATES.values():
        return outcome
    if outcome != EXPECTED_ORDER_OUTCOME[order.kind]:
        problems.append(f"{order.order_id} ({order.kind}): {outcome}, expected {EXPECTED_ORDER_OUTCOME[order.kind]}")
    problems.extend(f"{order.order_id}: {p}" for p in _order_evidence(order, outcome, facts))
    return outcome


def _ending(name: str, key: str, ends: list[ExecutionEnd], facts: Facts, problems: list[str]) -> ExecutionEnd | str:
    """The one execution that did the input's work (the others found it claimed: Duplicate); when none did, the
    input's outcome: its delivery dead-lettered, or lost."""
    workers = [e for e in ends if e.last_state != "Duplicate"]
    if not workers:
        if _parked_with(facts, "StartDeadLetters", lambda b: _key_of(b) == key):
            return "dead-lettered (workflow start)"
        problems.append(f"{name}: lost: no execution did its work")
        return "lost"
    if len(workers) > 1:
        problems.append(f"{name}: {len(workers)} executions did its work (one must)")
    return workers[0]


def _named_end(name: str, end: ExecutionEnd, outcomes: dict[str, str], problems: list[str]) -> str:
    """The outcome the execution's last state stands for; a problem when it is not a terminal one."""
    if end.last_state in outcomes:
        return outcomes[end.last_state]
    failure = f" ({end.error})" if end.error else ""
    problems.append(f"{name}: its execution ended {end.status} in {end.last_state!r}{failure}")
    return "stuck" if end.status == "RUNNING" else f"failed ({end.last_state})"


def _order_evidence(order: PlannedOrder, outcome: str, facts: Facts) -> list[str]:
    """What is wrong with the order's events and ledgers, for the outcome its saga reached."""
    found = []
    events = {t: facts.outcome_events.get(t, {}).get(order.order_id, []) for t in ORDER_OUTCOME_EVENTS}
    records = {s: facts.ledgers[s].get(order.order_id, []) for s in facts.ledgers}
    for service, written in records.items():
        if len(written) > 1:
            found.append(f"{len(written)} {service} records (a side effect done twice)")
    status = {s: (written[0]["status"] if written else None) for s, written in records.items()}
    wanted_events = {"completed": ["OrderCompleted"], "cancelled": ["OrderCancelled"]}.get(
        outcome, ["OrderCancelled", "OrderCompensationEscalated"]
    )
    for detail_type in ORDER_OUTCOME_EVENTS:
        count, wanted = len(events[detail_type]), int(detail_type in wanted_events)
        if count != wanted:
            found.append(f"{count} {detail_type} event(s), expected {wanted}")
    if outcome == "completed":
        if status != {"Inventory": "RESERVED", "Payments": "CHARGED", "Shipping": "ARRANGED"}:
            found.append(f"completed but the ledgers say {status}")
        elif int(records["Payments"][0]["amount_cents"]) != order.total_cents:
            found.append(f"charged {records['Payments'][0]['amount_cents']} for a total of {order.total_cents}")
        elif (
            events["OrderCompleted"]
            and events["OrderCompleted"][0]["payment_id"] != records["Payments"][0]["payment_id"]
        ):
            found.append("OrderCompleted names another payment than the ledger's")
        return found
    cancelled = events["OrderCancelled"][0] if events["OrderCancelled"] else {}
    if not cancelled.get("reason"):
        found.append("cancelled without a reason")
    escalated = set(cancelled.get("escalated_steps", []))
    undone = {"payment": status["Payments"] == "REFUNDED", "inventory": status["Inventory"] == "RELEASED"}
    held = {"payment": status["Payments"] in ("PENDING", "CHARGED"), "inventory": status["Inventory"] == "RESERVED"}
    for step in ("payment", "inventory"):
        if held[step] and step not in escalated:
            found.append(f"{step} still held after the cancellation, and not escalated")
        if undone[step] != (step in cancelled.get("compensated_steps", [])):
            found.append(f"{step}: the ledger and the OrderCancelled's compensated steps disagree")
    if status["Shipping"] is not None:
        found.append("shipped, yet cancelled")
    if outcome == "escalated" and not _parked_with(
        facts, "Escalations", lambda b: b.get("detail", {}).get("data", {}).get("order_id") == order.order_id
    ):
        found.append("escalated, but its OrderCompensationEscalated is not in the escalations queue")
    return found


def _ticket_outcome(ticket: PlannedTicket, facts: Facts, problems: list[str]) -> str:
    name = ticket.ticket_id
    ended = _ending(name, name, facts.tickets.get(name, []), facts, problems)
    outcome = ended if isinstance(ended, str) else _named_end(name, ended, TICKET_END_STATES, problems)
    if outcome not in TICKET_END_STATES.values():
        return outcome
    for detail_type, named in TICKET_OUTCOME_EVENTS.items():
        count = len(facts.outcome_events.get(detail_type, {}).get(name, []))
        if count != int(named == outcome):
            problems.append(f"{name}: {count} {detail_type} event(s) for a {outcome} ticket")
    return outcome


def _decision_outcome(ticket: PlannedTicket, ticket_outcome: str, facts: Facts, problems: list[str]) -> str:
    if ticket_outcome == EXPECTED_TICKET_OUTCOME[ticket.decision]:
        return "released its pipeline"
    dead = _parked_with(
        facts, "Correlator", lambda b: b.get("detail", {}).get("data", {}).get("approval_id") == ticket.ticket_id
    )
    if dead:
        return "dead-lettered (correlator)"
    problems.append(f"{ticket.ticket_id}: decided {ticket.decision}, but the pipeline ended {ticket_outcome}")
    return "lost"


def _parked_with(facts: Facts, queue_part: str, matches: Any) -> bool:
    return any(matches(body) for name, bodies in facts.parked.items() if queue_part in name for body in bodies)


def _key_of(body: dict[str, Any]) -> str | None:
    key = body.get("detail", {}).get("metadata", {}).get("idempotency_key")
    return None if key is None else str(key)
