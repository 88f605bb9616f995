"""The paths the workflow benchmark drives: each workflow of the app on its happy path and on its worst, with the
answers something outside the system gives while it waits (a person's approval)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

from bench.common import order
from orchestrator.local.cloud import LocalCloud
from schemas.agents import ApprovalDecided, ApprovalRequested
from schemas.envelope import EventData
from schemas.support import TicketSubmitted


@dataclass
class Drive:
    """What the bench saw while driving one scenario: the events on the bus, and what its answers answered."""

    events: list[dict[str, Any]] = field(default_factory=list)
    answered: set[str] = field(default_factory=set)


# An answer: called whenever the system is still and the execution waits, before the clock is moved; it puts what
# something outside the system would (a person's decision) and returns how many events it put.
Answer = Callable[[LocalCloud, Drive], int]


def decide_approvals(decision: Literal["approved", "rejected"]) -> Answer:
    """An answer: decides (`approved` or `rejected`) every ApprovalRequested on the bus not decided yet."""

    def answer(cloud: LocalCloud, drive: Drive) -> int:
        put = 0
        for event in drive.events:
            if event.get("detail-type") != ApprovalRequested.DETAIL_TYPE:
                continue
            request = ApprovalRequested.model_validate(event["detail"]["data"])
            if request.approval_id in drive.answered:
                continue
            decided = ApprovalDecided(approval_id=request.approval_id, decision=decision, decided_by="bench")
            cloud.put_event(decided, correlation_id=event["detail"]["metadata"]["correlation_id"], producer="bench")
            drive.answered.add(request.approval_id)
            put += 1
        return put

    return answer


@dataclass(frozen=True)
class Scenario:
    workflow: str
    path: str  # "happy" or "worst"
    description: str
    state_machine: str  # logical id (prefix) of the state machine the event starts
    event: EventData
    correlation_id: str
    answers: tuple[Answer, ...] = ()
    status: str | None = "SUCCEEDED"  # how the execution must end (None: any way), else the figures are wrong
    visits: tuple[str, ...] = ()  # states the path must go through

    @property
    def name(self) -> str:
        return f"{self.workflow} / {self.path}"


def _ticket(ticket_id: str, directives: str = "") -> TicketSubmitted:
    # Words each of the three specialists' triage rules claims: billing (charged), technical (crashes), account
    # (log in); so triage chooses every specialist that has rules.
    body = f"The app crashes when I pay, I was charged twice and now I cannot log in. {directives}".strip()
    return TicketSubmitted(ticket_id=ticket_id, customer_id="bench-customer", subject="Charged twice", body=body)


def scenarios() -> list[Scenario]:
    """Both workflows of the app, each on its happy path and on the longest failure path its input can drive."""
    return [
        Scenario(
            "order saga",
            "happy",
            "reserved, charged, shipped, OrderCompleted",
            "OrderSaga",
            order("bench-order-happy"),
            "bench-order-happy",
            visits=("ReserveInventory", "ChargePayment", "ArrangeShipping", "PublishCompleted"),
        ),
        Scenario(
            "order saga",
            "worst",
            "no carrier after the charge; the refund fails every retry and escalates; inventory released",
            "OrderSaga",
            # refund-broken: the sandbox gateway refuses every refund, so the compensation runs all its retries and
            # then escalates; the longest path an order drives (refund-flaky would stop after one retry).
            order("bench-order-worst", payment_method="refund-broken", shipping_option="no-carrier"),
            "bench-order-worst",
            status="FAILED",
            visits=("ArrangeShipping", "RefundPayment", "EscalateRefund", "ReleaseInventory", "PublishCancelled"),
        ),
        Scenario(
            "agent pipeline",
            "happy",
            "three specialists chosen, all answer",
            "AgentPipeline",
            _ticket("bench-ticket-happy"),
            "bench-ticket-happy",
            answers=(decide_approvals("approved"),),
            visits=("Triage", "Specialists", "Dispatch", "Synthesis", "PublishResolved"),
        ),
        Scenario(
            "agent pipeline",
            "worst",
            "three specialists chosen: billing fails, technical stalls until its heartbeat times out",
            "AgentPipeline",
            _ticket("bench-ticket-worst", "[fail:billing] [stall:technical]"),
            "bench-ticket-worst",
            # No answer: a human approval, where the workflow asks for one, waits until it times out.
            status=None,
            visits=("Triage", "Dispatch", "AgentFailed", "AgentTimedOut", "Synthesis"),
        ),
    ]
