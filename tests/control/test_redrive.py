"""Redrive on the local runtime (orchestrator/local/redrive.py adds RedriveExecution to moto): a ticket's pipeline
stopped by mistake while it waits for its approval is redriven, through the CLI and through the HTTP handler; it
waits again where it stopped, with the variables it had (the approval is correlated by `$ticket.ticket_id`), the
states before are not run again, and the approval then resolves it."""

from __future__ import annotations

import pytest

from orchestrator.local.cloud import LocalCloud
from orchestrator.local.redrive import ExecutionNotRedrivable, _decoded, redrive_point
from schemas.support import TicketSubmitted
from tests.builders import ticket
from tests.control.conftest import Orch
from tests.control_api_client import ControlApi, execution_path


def stopped_ticket(orch: Orch, cloud: LocalCloud, ticket_id: str) -> str:
    """A ticket's execution, terminated while it waited for its approval (ABORTED)."""
    cloud.put_event(TicketSubmitted.model_validate(ticket(ticket_id)))
    cloud.wait_until_quiet()
    (arn,) = [e["executionArn"] for e in cloud.executions() if ticket_id in (e.get("input") or "")]
    assert orch("terminate", arn, "--reason", "stopped by mistake").code == 0
    cloud.wait_until_quiet()
    return str(arn)


def visits(cloud: LocalCloud, arn: str, state: str) -> list[str]:
    return [v.outcome for v in cloud.stepfunctions.history_path(arn) if v.name == state]


def test_a_stopped_pipeline_is_redriven_where_it_stopped_and_completes(orch: Orch, cloud: LocalCloud) -> None:
    arn = stopped_ticket(orch, cloud, "t-redrive-cli")

    redriven = orch("redrive", arn)
    assert redriven.code == 0, redriven.err
    assert redriven.out.splitlines() == [f"redriven  {arn}", "status    RUNNING"]
    cloud.wait_until_quiet()
    assert "waiting in      AwaitApproval" in orch("describe", arn).out.splitlines()
    assert orch("signal", "approval", "t-redrive-cli", "--approve").code == 0
    cloud.wait_until_quiet()

    assert orch("describe", arn, "--output", "json").json()["execution"]["status"] == "SUCCEEDED"
    assert visits(cloud, arn, "AwaitApproval") == ["aborted", "succeeded"]
    assert visits(cloud, arn, "Triage") == ["succeeded"], "what succeeded before the stop is not run again"
    history = cloud.history(arn)
    (redrive_event,) = [e for e in history if e["type"] == "ExecutionRedriven"]
    assert redrive_event["executionRedrivenEventDetails"] == {"redriveCount": 1}


def test_only_a_failed_timed_out_or_aborted_execution_is_redriven(orch: Orch, cloud: LocalCloud) -> None:
    cloud.put_event(TicketSubmitted.model_validate(ticket("t-redrive-running")))
    cloud.wait_until_quiet()
    (arn,) = [e["executionArn"] for e in cloud.executions() if "t-redrive-running" in (e.get("input") or "")]

    running = orch("redrive", arn)
    assert running.code == 1
    assert running.error_lines() == [
        "orch: the execution is RUNNING; only a failed, timed-out or aborted one is redriven"
    ]
    assert orch("redrive", arn.rsplit(":", 1)[0] + ":no-such-execution").code == 3
    # Past the control plane's own check, the runtime refuses as AWS does.
    with pytest.raises(Exception, match="ExecutionNotRedrivable"):
        cloud.client("stepfunctions").redrive_execution(executionArn=arn)


def test_over_http_a_stopped_pipeline_is_redriven(orch: Orch, cloud: LocalCloud, call: ControlApi) -> None:
    arn = stopped_ticket(orch, cloud, "t-redrive-http")

    redriven = call("POST", execution_path(arn, "/redrive"))
    assert redriven.status == 200, redriven.body
    assert redriven.json()["status"] == "RUNNING"
    cloud.wait_until_quiet()
    assert call("POST", execution_path(arn, "/redrive")).status == 409
    assert orch("signal", "approval", "t-redrive-http", "--approve").code == 0
    cloud.wait_until_quiet()
    assert call("GET", execution_path(arn)).json()["execution"]["status"] == "SUCCEEDED"


def _entered(event_id: int, name: str, data: str = "{}") -> dict[str, object]:
    return {"id": event_id, "type": "TaskStateEntered", "stateEnteredEventDetails": {"name": name, "input": data}}


def _exited(event_id: int, name: str, assigned: dict[str, str] | None = None) -> dict[str, object]:
    details: dict[str, object] = {"name": name, "output": "{}"}
    if assigned is not None:
        details["assignedVariables"] = assigned
    return {"id": event_id, "type": "TaskStateExited", "stateExitedEventDetails": details}


def test_the_redrive_point_is_the_last_state_left_open_with_the_variables_assigned_before() -> None:
    definition = {"StartAt": "A", "States": {"A": {}, "B": {}, "C": {}}}
    history = [
        _entered(2, "A"),
        _exited(3, "A", {"order": '{"id":"o-1"}', "note": '"say "hi""'}),
        _entered(4, "B", '{"n": 1}'),  # caught: no exit event, the execution went on
        _entered(5, "C", '{"n": 2}'),
        _exited(6, "A", {"ignored": "1"}) | {"id": 6, "stateExitedEventDetails": {"name": "Inner"}},
    ]

    point = redrive_point(definition, history)

    assert (point.state, point.input) == ("C", {"n": 2})
    assert point.variables == {"order": {"id": "o-1"}, "note": 'say "hi"'}
    assert _decoded("3") == 3
    with pytest.raises(ExecutionNotRedrivable):
        redrive_point(definition, [_entered(2, "A"), _exited(3, "A")])
