"""A reasoner on Amazon Bedrock: the `Reasoner` port (functions/agents/reasoning.py) with a model behind it, chosen by
configuration (`REASONER=bedrock`, the stage's `agent_pipeline.reasoner`). The request and the reading of the answer
are plain functions (`converse_request`, `finding_from`), tested without a model; `BedrockReasoner` only calls
Bedrock Runtime's Converse with them."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from functions.agents.reasoning import AgentRecord, Finding, ReasoningError, Reply, TriageDecision
from schemas.support import TicketSubmitted

NAME = "bedrock"
_INSTRUCTION = (
    "You are a support specialist. Summarize the customer's ticket in one sentence, then list up to three actions, "
    "one per line, each starting with '- '."
)


def converse_request(model_id: str, ticket: TicketSubmitted) -> dict[str, Any]:
    """The Converse request asking `model_id` about `ticket`."""
    return {
        "modelId": model_id,
        "system": [{"text": _INSTRUCTION}],
        "messages": [{"role": "user", "content": [{"text": f"Subject: {ticket.subject}\n\n{ticket.body}"}]}],
        "inferenceConfig": {"maxTokens": 400, "temperature": 0},
    }


def finding_from(agent: str, response: dict[str, Any]) -> Finding:
    """The finding in a Converse response: the first line is the summary, `- ` lines the actions."""
    if response.get("stopReason") not in ("end_turn", "max_tokens"):
        raise ReasoningError("ModelRefused", f"the model stopped: {response.get('stopReason')}")
    text = "".join(part.get("text", "") for part in response["output"]["message"]["content"]).strip()
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    if not lines:
        raise ReasoningError("ModelAnsweredNothing", "the model's answer was empty")
    actions = tuple(line[2:].strip() for line in lines[1:] if line.startswith("- "))[:3]
    return Finding(agent=agent, summary=lines[0], actions=actions)


class BedrockReasoner:
    """`investigate` through a model; this agent neither triages nor writes replies."""

    def __init__(self, client: Any, model_id: str) -> None:
        self._client, self._model_id = client, model_id

    def investigate(self, agent: str, ticket: TicketSubmitted) -> Finding:
        return finding_from(agent, self._client.converse(**converse_request(self._model_id, ticket)))

    def triage(self, ticket: TicketSubmitted) -> TriageDecision:
        raise ReasoningError("NotSupported", "the ticket-summary agent does not triage")

    def synthesize(self, ticket: TicketSubmitted, records: Sequence[AgentRecord]) -> Reply:
        raise ReasoningError("NotSupported", "the ticket-summary agent does not write replies")
