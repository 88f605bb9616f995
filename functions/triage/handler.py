"""Lambda handler of triage, invoked by the agent pipeline (lambda:invoke): the ticket in, the specialists out."""

from __future__ import annotations

from functools import cache
from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from functions.agents.reasoning import Reasoner, ReasonerSettings, reasoner_named
from functions.log_context import correlated
from functions.observability import observability
from functions.pause_check import pause_checked
from functions.settings import load_settings
from functions.triage.logic import TriageRequest, triage

logger, tracer, _ = observability()  # no metrics of its own


@cache
def reasoner() -> Reasoner:
    return reasoner_named(load_settings(ReasonerSettings).reasoner)


@logger.inject_lambda_context
# A pause point of its workflow (no state transition spent on the check). Outside the tracer, which would log a
# held execution's PauseInForce as an exception of the handler.
@pause_checked
@tracer.capture_lambda_handler
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    request = TriageRequest.model_validate(event)
    # The pipeline correlates a ticket's events by its ticket id (state_machines/agent_pipeline.asl.json).
    with correlated(logger, request.ticket.ticket_id):
        decision = triage(request.ticket, reasoner())
        logger.info("ticket triaged", ticket_id=request.ticket.ticket_id, agents=list(decision.agents))
    return decision.as_dict()
