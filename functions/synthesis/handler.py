"""Lambda handler of synthesis, invoked by the agent pipeline (lambda:invoke): ticket and specialists' results in,
the data of TicketResolved out."""

from __future__ import annotations

from functools import cache
from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from functions.agents.reasoning import Reasoner, ReasonerSettings, reasoner_named
from functions.log_context import correlated
from functions.observability import observability
from functions.pause_check import pause_checked
from functions.settings import load_settings
from functions.synthesis.logic import SynthesisRequest, synthesize

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
    request = SynthesisRequest.model_validate(event)
    # The pipeline correlates a ticket's events by its ticket id (state_machines/agent_pipeline.asl.json).
    with correlated(logger, request.ticket.ticket_id):
        resolved = synthesize(request, reasoner())
        logger.info(
            "reply written",
            ticket_id=resolved.ticket_id,
            resolution=resolved.resolution,
            agents_failed=resolved.agents_failed,
        )
    return resolved.model_dump(mode="json")
