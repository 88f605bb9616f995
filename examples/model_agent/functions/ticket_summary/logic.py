"""The ticket-summary agent's work: read the ticket, ask the reasoner (the model-provider port,
functions/agents/reasoning.py `Reasoner`) for its finding, answer with it. Which reasoner is the handler's choice
(configuration); this logic only sees the port, so a unit test hands it the deterministic one."""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError

from functions.agents.kit import AgentRefused, AgentTask
from functions.agents.reasoning import FALLBACK_SPECIALIST, Reasoner, ReasoningError
from schemas.support import TicketSubmitted


def summarize(task: AgentTask, reasoner: Reasoner) -> dict[str, Any]:
    """The reasoner's finding on the ticket in `task.input["ticket"]`; `AgentRefused` when it cannot give one."""
    try:
        ticket = TicketSubmitted.model_validate(task.input.get("ticket"))
    except ValidationError as error:
        raise AgentRefused("InvalidTaskInput", str(error)[:1000]) from error
    try:
        finding = reasoner.investigate(FALLBACK_SPECIALIST, ticket)
    except ReasoningError as error:
        raise AgentRefused(error.error, error.cause) from error
    return {**finding.as_output(), "ticket_id": ticket.ticket_id}
