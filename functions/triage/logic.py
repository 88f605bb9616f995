"""Triage: which specialists a ticket needs. The reasoner decides; this keeps its decision within what exists.

A model provider may name specialists nobody runs: those are dropped, and a decision left empty falls back to the
general specialist, so the workflow always dispatches at least one agent that exists.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict

from functions.agents.reasoning import FALLBACK_SPECIALIST, SPECIALISTS, Reasoner, TriageDecision
from schemas.support import TicketSubmitted


class TriageRequest(BaseModel):
    """What the workflow sends: the ticket, the `data` of its TicketSubmitted event."""

    model_config = ConfigDict(extra="forbid")

    ticket: TicketSubmitted


def triage(ticket: TicketSubmitted, reasoner: Reasoner) -> TriageDecision:
    """The specialists for `ticket`: known ones only, in the reasoner's order, at least one."""
    decision = reasoner.triage(ticket)
    known = tuple(agent for agent in decision.agents if agent in SPECIALISTS)
    if not known:
        return TriageDecision((FALLBACK_SPECIALIST,), {FALLBACK_SPECIALIST: ()})
    return TriageDecision(known, {agent: tuple(decision.reasons.get(agent, ())) for agent in known})
