"""Soak with accounting: thousands of orders and agent pipelines through the real app on the local runtime, under
injected transient faults and duplicate deliveries, then an account of every input event.

    python -m bench.soak [--orders 2000] [--pipelines 200] [--seed 7] [--fault-rate 0.2] [--duplicate-rate 0.05]
                         [--wave 100] [--assembly cdk.out]

Why: "nothing is lost, nothing is done twice" is a claim about every event, not about the few a workflow test
drives. The soak puts seeded inputs (orders of every sandbox kind: plain, out of stock, declined, no carrier, a
refund that never succeeds; tickets whose drafts are approved, rejected or never decided) through the real rules,
state machines and handlers, with `Faults` (orchestrator/local/faults.py) making a `--fault-rate` share of the calls
fail once (Lambda throttling, handlers timing out after their side effects, PutEvents throttling, DynamoDB throttling
of the claims, consumers failing a batch) and a `--duplicate-rate` share of the deliveries (rule targets, SQS
messages) happen twice. Approvals are decided as a person would, by ApprovalDecided on the ticket id, put right
after the ticket (so some reach the correlator before the pipeline waits: they are buffered).

Then `bench.accounting` checks that every input event has exactly one terminal outcome, that the services' ledgers
balance (nothing reserved, charged or shipped twice, everything undone for a cancelled order), and that no execution
is stuck; the report prints the counts per outcome, and the process exits 1 when any check failed.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import math
import random
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench.accounting import Facts, Inputs, OutcomeTap, PlannedOrder, PlannedTicket, Report, account
from bench.common import QUIET, prepare_environment, progress, publisher_quiet, synthesized
from functions.producer import EventPublisher, OutgoingEvent
from functions.producer.eventbridge import EventBridgeBus
from infra.unused_access import NOT_EXERCISED_BY_THE_SOAK
from orchestrator.local.cloud import LocalCloud
from orchestrator.local.faults import (
    Faults,
    Rule,
    duplicate_events,
    duplicate_messages,
    fail_handler,
    throttle_dynamodb,
    throttle_lambda,
    throttle_put_events,
    time_out,
)
from schemas.agents import ApprovalDecided
from schemas.orders import OrderItem, OrderPlaced
from schemas.support import TicketSubmitted

# The order kinds and their shares: the sandbox's tokens steer the saga's services (functions/*/logic.py, gateway.py).
ORDER_KINDS: dict[str, tuple[float, dict[str, Any]]] = {
    "plain": (0.78, {}),
    "flaky-card": (0.04, {"payment_method": "card-flaky-once"}),
    "out-of-stock": (0.05, {"sku": "OUT-OF-STOCK"}),
    "declined": (0.05, {"payment_method": "card-declined"}),
    "no-carrier": (0.04, {"shipping_option": "no-carrier"}),
    "flaky-refund": (0.02, {"payment_method": "refund-flaky", "shipping_option": "no-carrier"}),
    "broken-refund": (0.02, {"payment_method": "refund-broken", "shipping_option": "no-carrier"}),
}
# What a reviewer does with a ticket's draft: approve, reject, or never answer (the pipeline escalates).
DECISIONS: dict[str | None, float] = {"approved": 0.7, "rejected": 0.2, None: 0.1}
STEP_SECONDS = 5.0  # how far past each next deadline the clock jumps (see `run_still`)
# The order saga's services (invoked by the state machine), and the SQS consumers (their messages are redelivered).
SAGA_SERVICES = ("Inventory", "Payments", "Shipping")
CONSUMERS = ("Agents", "Callbacks", "Correlator")


@dataclass(frozen=True)
class SoakSettings:
    orders: int = 2000
    pipelines: int = 200
    seed: int = 7
    fault_rate: float = 0.2
    duplicate_rate: float = 0.05
    wave: int = 100  # orders put before the system is run still (tickets in proportion)


def soak_faults(settings: SoakSettings, *extra: Rule) -> Faults:
    """The soak's faults: each kind of transient fault on `fault_rate` of its calls, each hit call failing once (its
    retry passes), and `duplicate_rate` of the deliveries made twice."""
    rate = settings.fault_rate
    rules = [
        throttle_lambda(rate=rate),  # every function a state machine invokes; both machines retry the throttle
        *[time_out(service, rate=rate) for service in SAGA_SERVICES],  # after the side effect; the saga retries it
        throttle_put_events(rate=rate),  # partial failures; retried by the state machines and by every producer
        # The workflows' claims (Begin). Not the handlers' own DynamoDB calls: botocore retries those in real time
        # while the handler holds the local runtime's one Lambda lock, which stalls every other invocation.
        throttle_dynamodb("order-saga#", rate=rate),
        throttle_dynamodb("agent-pipeline#", rate=rate),
        *[fail_handler(consumer, error="InjectedFault", rate=rate) for consumer in CONSUMERS],  # SQS redelivers
        duplicate_events(rate=settings.duplicate_rate),
        duplicate_messages(rate=settings.duplicate_rate),
        *extra,
    ]
    return Faults(settings.seed, rules)


def plan(settings: SoakSettings) -> Inputs:
    """The soak's inputs, from its seed alone. The first orders and tickets take every kind and decision once, so
    that even a small run drives every path; the rest are drawn by their shares."""
    rng = random.Random(settings.seed)
    kinds, weights = zip(*[(kind, share) for kind, (share, _) in ORDER_KINDS.items()], strict=True)
    orders = [
        PlannedOrder(
            f"soak-order-{n:05d}",
            kinds[n] if n < len(kinds) else rng.choices(kinds, weights)[0],
            rng.randint(1, 5) * 1250,
        )
        for n in range(settings.orders)
    ]
    choices, decision_weights = zip(*DECISIONS.items(), strict=True)
    tickets = [
        PlannedTicket(
            f"soak-ticket-{n:04d}",
            choices[n] if n < len(choices) else rng.choices(choices, decision_weights)[0],
            rng.random() < 0.5,
        )
        for n in range(settings.pipelines)
    ]
    return Inputs(orders, tickets)


def order_event(order: PlannedOrder) -> OutgoingEvent:
    steering = dict(ORDER_KINDS[order.kind][1])
    sku = steering.pop("sku", "sku-1")
    model = OrderPlaced(
        order_id=order.order_id,
        customer_id="soak-customer",
        items=[OrderItem(sku=sku, quantity=order.total_cents // 1250, unit_price_cents=1250)],
        currency="EUR",
        total_cents=order.total_cents,
        **steering,
    )
    return OutgoingEvent.from_model(model, correlation_id=order.order_id, idempotency_key=order.idempotency_key)


def ticket_events(ticket: PlannedTicket) -> list[OutgoingEvent]:
    """The ticket, and the reviewer's decision on its draft (before the ticket, for some: out of order)."""
    submitted = TicketSubmitted(
        ticket_id=ticket.ticket_id,
        customer_id="soak-customer",
        subject="Invoice shows a double charge",
        body="I was charged twice for my subscription this month and cannot log in to my account.",
    )
    events = [OutgoingEvent.from_model(submitted, correlation_id=ticket.ticket_id, idempotency_key=ticket.ticket_id)]
    if ticket.decision is not None:
        decided = ApprovalDecided(
            approval_id=ticket.ticket_id, decision=ticket.decision, decided_by="soak@example.com", comment="soak"
        )
        decision = OutgoingEvent.from_model(
            decided, correlation_id=ticket.ticket_id, idempotency_key=f"{ticket.ticket_id}:decision"
        )
        events.insert(0 if ticket.decided_early else 1, decision)
    return events


def drive(cloud: LocalCloud, inputs: Inputs, wave: int) -> None:
    """Puts the inputs wave by wave; after each wave the clock moves through every retry, backoff and timeout until
    nothing waits on it (so a never-decided approval escalates within its wave)."""
    publisher = EventPublisher(EventBridgeBus(cloud.client("events")), cloud.bus_name, producer="soak")
    size = max(1, wave)
    waves = max(1, math.ceil(len(inputs.orders) / size))
    for n in range(waves):
        orders = inputs.orders[n * size : (n + 1) * size]
        tickets = inputs.tickets[n * len(inputs.tickets) // waves : (n + 1) * len(inputs.tickets) // waves]
        results = publisher.publish([order_event(o) for o in orders] + [e for t in tickets for e in ticket_events(t)])
        unsent = [r for r in results if not r.sent]
        if unsent:
            raise RuntimeError(f"{len(unsent)} inputs were not put: {unsent[0].error_code} {unsent[0].error_message}")
        run_still(cloud)
        progress(f"soak: wave {n + 1}/{waves} run ({len(orders)} orders, {len(tickets)} tickets)")


def run_still(cloud: LocalCloud) -> None:
    """Runs the system until nothing waits on the clock: whenever it is still, the clock jumps to the next deadline
    and `STEP_SECONDS` beyond, so the retries and redeliveries due within that window fire together (hundreds of
    jittered backoffs are due in a wave; one still system per deadline would cost a quiet window each). The window is
    far below every timeout whose race with a retry would change an outcome (heartbeats: 60 s in dev)."""
    while (due := cloud.wait_until_quiet(timeout=600).next_deadline_in) is not None:
        cloud.runtime.clock.advance(due + STEP_SECONDS)


def run(
    settings: SoakSettings, assembly: Path, *extra: Rule, inspect: Callable[[LocalCloud], None] | None = None
) -> Report:
    """Runs the soak on the assembly and accounts for it; `inspect`, when given, is called with the cloud once the
    run is read, before the cloud stops (for a test to check what the run left)."""
    inputs = plan(settings)
    faults = soak_faults(settings, *extra)
    started = time.monotonic()
    with LocalCloud.from_assembly(assembly, faults=faults) as cloud:
        tap = OutcomeTap(cloud)
        driving = time.monotonic()
        drive(cloud, inputs, settings.wave)
        driven = time.monotonic() - driving
        facts = Facts.read(cloud, tap)
        access = cloud.access_report(NOT_EXERCISED_BY_THE_SOAK)
        slowest = max(cloud.lambdas.invocations, key=lambda record: record.duration, default=None)
        if inspect is not None:
            inspect(cloud)
    report = account(inputs, facts)
    report.faults = {str(kind): n for kind, n in faults.counts().items()}
    report.seconds = time.monotonic() - started
    report.workflows, report.driven_seconds = len(inputs.orders) + len(inputs.tickets), driven
    report.access, report.slowest = access, slowest
    # Least privilege, proven by the run: no call denied, and no grant unused without a reason (infra/unused_access.py).
    report.problems += [
        f"{p.role}: denied {a} on {r} ({w}, {n} calls)" for p in access.principals for a, r, w, n in p.denied
    ]
    report.problems += [
        f"unused grant, not explained in infra/unused_access.py: {s}" for p in access.principals for s in p.unused
    ]
    return report


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.soak", description=__doc__.split("\n\n")[0])
    defaults = SoakSettings()
    parser.add_argument("--orders", type=int, default=defaults.orders)
    parser.add_argument("--pipelines", type=int, default=defaults.pipelines)
    parser.add_argument("--seed", type=int, default=defaults.seed)
    parser.add_argument("--fault-rate", type=float, default=defaults.fault_rate)
    parser.add_argument("--duplicate-rate", type=float, default=defaults.duplicate_rate)
    parser.add_argument("--wave", type=int, default=defaults.wave, help="orders put before the system is run still")
    parser.add_argument("--assembly", type=Path, help="a synthesized cdk.out (default: synthesize into a temp dir)")
    parser.add_argument("--json", action="store_true", help="print the report as JSON")
    parser.add_argument(
        "--access-report",
        type=Path,
        default=Path("soak-access-report.json"),
        help="where the run's IAM access report is written (default soak-access-report.json)",
    )
    args = parser.parse_args(argv)
    settings = SoakSettings(args.orders, args.pipelines, args.seed, args.fault_rate, args.duplicate_rate, args.wave)
    prepare_environment()
    with tempfile.TemporaryDirectory(prefix="soak-") as temporary:
        assembly = args.assembly or synthesized("dev", Path(temporary) / "cdk.out")
        # The handlers' log lines and metrics go to stdout, bound when each is first imported: during the run.
        with contextlib.redirect_stdout(QUIET), publisher_quiet():
            report = run(settings, assembly)
    print(json.dumps(report.as_json(), indent=2) if args.json else report.table())
    if report.access is not None:
        args.access_report.write_text(json.dumps(report.access.as_json(), indent=1) + "\n", encoding="utf-8")
        print(
            f"{report.access.summary()}: written to {args.access_report}", file=sys.stderr if args.json else sys.stdout
        )
    return 0 if report.ok else 1


if __name__ == "__main__":
    sys.exit(main())
