"""Triage keeps the reasoner's choice within the known specialists; synthesis turns records into TicketResolved."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pytest
from pydantic import ValidationError

from functions.agents.reasoning import AgentRecord, Finding, Reply, RuleReasoner, TriageDecision
from functions.synthesis.logic import INVALID_OUTPUT, SynthesisRequest, synthesize
from functions.triage.logic import TriageRequest, triage
from schemas.support import TicketSubmitted
from tests.builders import ticket


class ScriptedReasoner(RuleReasoner):
    """Triage answers a fixed decision, as a model provider might; synthesis records the records it was given."""

    def __init__(self, decision: TriageDecision | None = None) -> None:
        self._decision = decision
        self.records: list[AgentRecord] = []

    def triage(self, ticket: TicketSubmitted) -> TriageDecision:
        return self._decision or super().triage(ticket)

    def synthesize(self, ticket: TicketSubmitted, records: Sequence[AgentRecord]) -> Reply:
        self.records = list(records)
        return super().synthesize(ticket, records)


TICKET = TicketSubmitted.model_validate(ticket(subject="Charged twice", body="Charged twice; I cannot log in."))
BILLING_OUTPUT = {"agent": "billing", "summary": "Billing reviewed it.", "actions": ["refund the duplicate charge"]}


def test_triage_keeps_the_reasoners_choice_of_known_specialists() -> None:
    assert triage(TICKET, RuleReasoner()).agents == ("billing", "account")


def test_triage_drops_specialists_nobody_runs() -> None:
    decision = TriageDecision(("legal", "account"), {"legal": ("contract",), "account": ("log in",)})

    assert triage(TICKET, ScriptedReasoner(decision)).as_dict() == {
        "agents": ["account"],
        "reasons": {"account": ["log in"]},
    }


def test_triage_falls_back_to_the_general_specialist_when_none_is_known() -> None:
    assert triage(TICKET, ScriptedReasoner(TriageDecision(("legal",)))).agents == ("general",)


def test_a_triage_request_is_the_ticket_and_nothing_else() -> None:
    assert TriageRequest.model_validate({"ticket": ticket()}).ticket.ticket_id == "ticket-2001"
    with pytest.raises(ValidationError, match="ticket.priority"):
        TriageRequest.model_validate({"ticket": ticket(priority="whenever")})
    with pytest.raises(ValidationError, match="Extra inputs"):
        TriageRequest.model_validate({"ticket": ticket(), "surprise": 1})


def _request(*results: dict[str, Any]) -> SynthesisRequest:
    return SynthesisRequest.model_validate({"ticket": TICKET.model_dump(mode="json"), "results": list(results)})


def test_synthesis_of_all_answers_is_an_answered_ticket() -> None:
    account_output = {"agent": "account", "summary": "Account reviewed it.", "actions": ["send a reset link"]}
    resolved = synthesize(
        _request(
            {"agent": "billing", "status": "succeeded", "output": BILLING_OUTPUT},
            {"agent": "account", "status": "succeeded", "output": account_output},
        ),
        RuleReasoner(),
    )

    assert resolved.model_dump(mode="json") == {
        "ticket_id": "ticket-2001",
        "customer_id": "cust-7",
        "reply": 'Thank you for contacting us about "Charged twice".\n'
        "Billing: we will refund the duplicate charge.\n"
        "Account security: we will send a reset link.",
        "resolution": "answered",
        "agents_consulted": ["billing", "account"],
        "agents_failed": [],
    }


def test_synthesis_names_the_specialists_that_failed_or_timed_out() -> None:
    reasoner = ScriptedReasoner()
    resolved = synthesize(
        _request(
            {"agent": "billing", "status": "succeeded", "output": BILLING_OUTPUT},
            {"agent": "technical", "status": "failed", "error": "AgentFailed", "cause": "told to fail"},
            {"agent": "account", "status": "timed_out", "error": "States.HeartbeatTimeout", "cause": ""},
        ),
        reasoner,
    )

    assert (resolved.resolution, resolved.agents_failed) == ("partial", ["technical", "account"])
    assert resolved.agents_consulted == ["billing", "technical", "account"]
    assert reasoner.records[1] == AgentRecord("technical", "failed", error="AgentFailed", cause="told to fail")


def test_an_output_synthesis_cannot_read_counts_as_that_specialists_failure() -> None:
    reasoner = ScriptedReasoner()
    resolved = synthesize(_request({"agent": "billing", "status": "succeeded", "output": {"verdict": 42}}), reasoner)

    assert (resolved.resolution, resolved.agents_failed) == ("unanswered", ["billing"])
    (record,) = reasoner.records
    assert (record.status, record.error) == ("failed", INVALID_OUTPUT)
    assert "summary" in record.cause


def test_a_successful_record_carries_the_finding() -> None:
    reasoner = ScriptedReasoner()
    synthesize(_request({"agent": "billing", "status": "succeeded", "output": BILLING_OUTPUT}), reasoner)

    assert reasoner.records == [
        AgentRecord(
            "billing", "succeeded", Finding("billing", "Billing reviewed it.", ("refund the duplicate charge",))
        )
    ]


@pytest.mark.parametrize(
    "results",
    [[], [{"agent": "billing", "status": "lost"}], [{"agent": "Not An Agent", "status": "failed"}]],
    ids=["no-results", "unknown-status", "bad-agent-name"],
)
def test_a_synthesis_request_must_name_each_result_properly(results: list[dict[str, Any]]) -> None:
    with pytest.raises(ValidationError):
        SynthesisRequest.model_validate({"ticket": TICKET.model_dump(mode="json"), "results": results})
