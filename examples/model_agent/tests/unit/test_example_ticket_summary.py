"""examples/model_agent's logic, without a model: the deterministic reasoner's finding is the answer, a refusal of
the port is the agent's refusal; the Bedrock adapter's request and the reading of its answer."""

from __future__ import annotations

import pytest

from functions.agents.kit import AgentRefused, AgentTask
from functions.agents.reasoning import ReasoningError, reasoner_named
from functions.ticket_summary.bedrock import converse_request, finding_from
from functions.ticket_summary.logic import summarize
from schemas.support import TicketSubmitted

TICKET = {"ticket_id": "T-1", "customer_id": "C-1", "subject": "Charged twice", "body": "My invoice shows two charges."}


def test_the_summary_is_the_reasoners_finding_on_the_ticket() -> None:
    output = summarize(AgentTask("ticket-summary", {"ticket": TICKET}), reasoner_named("offline"))

    assert output["ticket_id"] == "T-1" and output["agent"] == "general"
    assert output["summary"]


def test_a_task_without_a_ticket_is_refused() -> None:
    with pytest.raises(AgentRefused) as refused:
        summarize(AgentTask("ticket-summary", {"ticket": {"ticket_id": "T-2"}}), reasoner_named("offline"))

    assert refused.value.error == "InvalidTaskInput"


def test_the_bedrock_request_asks_the_model_about_the_ticket_and_its_answer_is_read() -> None:
    request = converse_request("model-x", TicketSubmitted.model_validate(TICKET))
    answer = {
        "stopReason": "end_turn",
        "output": {"message": {"content": [{"text": "Double charge on the invoice.\n- refund one\n- apologize"}]}},
    }

    assert request["modelId"] == "model-x"
    assert request["messages"][0]["content"][0]["text"] == "Subject: Charged twice\n\nMy invoice shows two charges."
    finding = finding_from("general", answer)
    assert (finding.summary, finding.actions) == ("Double charge on the invoice.", ("refund one", "apologize"))
    with pytest.raises(ReasoningError, match="ModelRefused"):
        finding_from("general", {**answer, "stopReason": "content_filtered"})
