"""examples/model_agent on the local runtime: a submitted ticket is summarized by the ticket-summary agent through
the model-provider port, with the stage's reasoner (`offline`: deterministic, no model, no network)."""

from __future__ import annotations

import json

from orchestrator.local.cloud import LocalCloud
from schemas.support import TicketSubmitted
from tests.conftest import WHOLE_APP
from tests.workflows.conftest import ended


@WHOLE_APP
def test_a_submitted_ticket_is_summarized_by_the_reasoner(module_cloud: LocalCloud) -> None:
    ticket = TicketSubmitted(ticket_id="T-9", customer_id="C-9", subject="Charged twice", body="Two charges, please.")
    module_cloud.put_event(ticket, correlation_id="T-9")

    (execution,) = ended(module_cloud, "DagTicketSummary", lambda e: "T-9" in e["input"])

    assert execution["status"] == "SUCCEEDED", execution.get("cause")
    summary = json.loads(execution["output"])["summarize"]
    assert summary["ticket_id"] == "T-9" and summary["agent"] == "general" and summary["summary"]
