"""Synthesis: the reply to a ticket from every specialist's record, as the data of its TicketResolved event.

A record is what the workflow kept of one dispatched specialist: `succeeded` with the agent's output, or `failed` /
`timed_out` with the error. An output that is not a finding this pipeline understands counts as a failure of that
specialist rather than failing the whole synthesis: the customer still gets what the others found.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from functions.agents.reasoning import AgentRecord, AgentStatus, Finding, Reasoner
from schemas.agents import AgentName
from schemas.support import TicketResolved, TicketSubmitted

INVALID_OUTPUT = "InvalidAgentOutput"


class FindingOutput(BaseModel):
    """The `output` of a specialist's AgentTaskCompleted (`functions.agents.reasoning.Finding.as_output`)."""

    agent: AgentName
    summary: str = Field(min_length=1, max_length=4096)
    actions: list[str] = Field(default_factory=list, max_length=20)


class AgentResult(BaseModel):
    """One iteration's result of the workflow's Map over the specialists."""

    agent: AgentName
    status: AgentStatus
    output: Any = None
    error: str = ""
    cause: str = ""


class SynthesisRequest(BaseModel):
    """What the workflow sends: the ticket and one result per dispatched specialist, in triage order."""

    model_config = ConfigDict(extra="forbid")

    ticket: TicketSubmitted
    results: list[AgentResult] = Field(min_length=1, max_length=40)


def synthesize(request: SynthesisRequest, reasoner: Reasoner) -> TicketResolved:
    """The TicketResolved data for the ticket: the reasoner's reply, who was consulted, who failed."""
    records = [_record(result) for result in request.results]
    reply = reasoner.synthesize(request.ticket, records)
    return TicketResolved(
        ticket_id=request.ticket.ticket_id,
        customer_id=request.ticket.customer_id,
        reply=reply.text,
        resolution=reply.resolution,
        agents_consulted=[r.agent for r in records],
        agents_failed=[r.agent for r in records if r.status != "succeeded"],
    )


def _record(result: AgentResult) -> AgentRecord:
    if result.status != "succeeded":
        return AgentRecord(result.agent, result.status, error=result.error, cause=result.cause)
    try:
        output = FindingOutput.model_validate(result.output)
    except ValidationError as error:
        return AgentRecord(result.agent, "failed", error=INVALID_OUTPUT, cause=str(error))
    return AgentRecord(result.agent, "succeeded", Finding(output.agent, output.summary, tuple(output.actions)))
