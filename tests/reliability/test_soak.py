"""The soak with accounting (bench/soak.py, bench/accounting.py): a small run passes, and the accounting fails when
idempotency is broken on purpose or a ledger shows a side effect done twice."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote

from bench.accounting import ExecutionEnd, Facts, Inputs, PlannedOrder, account
from bench.soak import SoakSettings, plan, run
from infra.unused_access import NOT_EXERCISED_BY_THE_SOAK
from orchestrator.local.cloud import LocalCloud
from orchestrator.local.faults import ignore_conditions
from orchestrator.local.iam.evaluation import parse_policy
from orchestrator.local.iam.report import why_unused
from tests.control_api_client import ControlApi, execution_path
from tests.tokens import executions, issued_tokens, leaked

# More duplicates than the full soak's 5%, so that a run this small surely has some reach the workflows.
SMALL = SoakSettings(orders=20, pipelines=3, seed=7, duplicate_rate=0.2, wave=20)


@dataclass
class TokenAudit:
    """What the soak's cloud held and served, read before it stopped: every token issued, and where one leaked."""

    executions: int = 0
    holders: int = 0  # executions whose history holds a token
    tokens: int = 0
    stored_items: int = 0
    answers: int = 0
    failed_answers: list[str] = field(default_factory=list)
    leaks: list[str] = field(default_factory=list)

    def __call__(self, cloud: LocalCloud) -> None:
        arns = executions(cloud)
        issued = {arn: issued_tokens(cloud, [arn]) for arn in arns}
        tokens = set().union(*issued.values())
        items = cloud.table_items(cloud.physical_id("AWS::DynamoDB::Table", "EventStore"))
        self.executions, self.tokens, self.stored_items = len(arns), len(tokens), len(items)
        self.holders = sum(1 for found in issued.values() if found)
        self.leaks += [f"event store: {t[:12]}..." for t in leaked(json.dumps(items), tokens)]
        call = ControlApi(cloud)
        tickets = [t.ticket_id for t in plan(SMALL).tickets]
        paths = [("/executions", {"limit": "1000"})]
        paths += [(f"/processes/{quote(t, safe='')}/history", {}) for t in tickets]
        # Described and shown (with inputs and outputs): every execution whose history holds a token. The others (the
        # order sagas dispatch to no agent) are in the list's answer; describing each would triple the check's time.
        holders = [arn for arn, found in issued.items() if found]
        paths += [(execution_path(arn), {}) for arn in holders]
        paths += [(execution_path(arn, "/history"), {"with_io": "true"}) for arn in holders]
        for path, query in paths:
            answer = call("GET", path, query=query or None)
            self.answers += 1
            if answer.status != 200:
                self.failed_answers.append(f"{path}: {answer.status}")
            self.leaks += [f"{path}: {t[:12]}..." for t in leaked(answer.body, tokens)]


def test_a_small_soak_accounts_for_every_input_under_faults_and_duplicates(
    assembly_dir: Path, aws_credentials: None
) -> None:
    audit = TokenAudit()
    report = run(SMALL, assembly_dir, inspect=audit)

    assert report.ok, report.table()
    by_input = {kind: sum(n for (k, _), n in report.outcomes.items() if k == kind) for kind, _ in report.outcomes}
    assert by_input["OrderPlaced"] == SMALL.orders and by_input["TicketSubmitted"] == SMALL.pipelines
    assert {("OrderPlaced", outcome) for outcome in ("completed", "cancelled", "escalated")} <= set(report.outcomes)
    assert {("TicketSubmitted", outcome) for outcome in ("resolved", "rejected", "escalated")} <= set(report.outcomes)
    assert {"lambda_throttle", "handler_timeout", "put_events_throttle", "event_duplicate"} <= set(report.faults)
    assert report.duplicates_absorbed > 0, "duplicate deliveries reached the workflows, which did nothing twice"
    # Issue 17: the event store and every control route hold and serve no task token, on the soak's data.
    assert audit.executions >= SMALL.orders + SMALL.pipelines and audit.tokens >= 2 * SMALL.pipelines, audit
    assert audit.holders >= SMALL.pipelines and audit.stored_items > 0, audit
    assert audit.answers == 1 + SMALL.pipelines + 2 * audit.holders, audit
    assert audit.failed_answers == [] and audit.leaks == [], audit
    # Least privilege with IAM enforced: nothing denied, and every grant used or its path named elsewhere.
    assert report.access is not None
    assert (report.access.denied_calls, report.access.unused_statements) == (0, 0), report.access.lines()
    assert report.access.explained_statements > 0


def test_an_unused_grant_nothing_explains_is_a_finding() -> None:
    (statement,) = parse_policy(
        {"Statement": [{"Effect": "Allow", "Action": "sqs:SendMessage", "Resource": "arn:aws:sqs:::q"}]},
        source="role/R policy SchemaGuardValidatorFunctionServiceRoleDefaultPolicy",
    )
    role = "Orchestrator-dev-EventPlane-SchemaGuardValidatorFunctio-6ff9"  # a physical name, cut short
    assert why_unused(role, statement, NOT_EXERCISED_BY_THE_SOAK) is not None
    other = [e for e in NOT_EXERCISED_BY_THE_SOAK if e.role != "SchemaGuardValidatorFunction"]
    assert why_unused(role, statement, other) is None


def test_with_the_sagas_claims_broken_the_accounting_fails(assembly_dir: Path, aws_credentials: None) -> None:
    # Every delivery twice, and the claim's condition (and the handlers' idempotency records') ignored.
    broken = SoakSettings(orders=3, pipelines=0, seed=7, fault_rate=0.0, duplicate_rate=1.0, wave=3)

    report = run(broken, assembly_dir, ignore_conditions("Idempotency"))

    assert not report.ok
    assert any("soak-order-00000: 2 executions did its work" in p for p in report.problems), report.problems
    assert any("2 OrderCompleted event(s), expected 1" in p for p in report.problems), report.problems
    table = report.table().splitlines()
    verdict = next(i for i, line in enumerate(table) if line.startswith("FAILED"))
    assert table[-len(report.problems) :] == [f"  - {p}" for p in report.problems] and verdict < len(table) - len(
        report.problems
    )


def order_facts(payments: list[dict[str, object]]) -> Facts:
    """The facts of one completed order whose ledgers hold `payments`."""
    ids = {"reservation_id": "res-1", "payment_id": "pay-1", "shipment_id": "ship-1", "order_id": "o-1"}
    return Facts(
        orders={"o-1:placed": [ExecutionEnd("o-1:placed", "SUCCEEDED", "Completed", ids)]},
        tickets={},
        outcome_events={"OrderCompleted": {"o-1": [ids]}},
        parked={},
        ledgers={
            "Inventory": {"o-1": [{"status": "RESERVED", "order_id": "o-1"}]},
            "Payments": {"o-1": payments},
            "Shipping": {"o-1": [{"status": "ARRANGED", "order_id": "o-1"}]},
        },
        gateway={"charged": 1250, "refunded": 0},  # what the gateway took, whatever the records say
        running=[],
        in_flight=0,
    )


def test_a_payment_taken_twice_fails_the_ledger_check() -> None:
    inputs = Inputs([PlannedOrder("o-1", "plain", 1250)], [])
    charge = {"status": "CHARGED", "amount_cents": 1250, "payment_id": "pay-1", "order_id": "o-1"}

    assert account(inputs, order_facts([charge])).ok
    twice = account(inputs, order_facts([charge, {**charge, "payment_id": "pay-2"}]))

    assert not twice.ok
    assert "o-1: 2 Payments records (a side effect done twice)" in twice.problems
    assert any(p.startswith("money does not balance: kept 2500") for p in twice.problems)
    assert any(p.startswith("the payment gateway's ledger") for p in twice.problems)
