"""Every execution command of `orch` through `main(argv)` against the local runtime: put an event, list, describe,
signal, history, start, terminate; and how each error reads (message and exit code)."""

from __future__ import annotations

import json
import socket
from typing import Any

from asl.pause_points import is_pause_check
from orchestrator.local.cloud import LocalCloud
from tests.builders import delivered_event, sample_data, ticket
from tests.control.conftest import Orch

PIPELINE_PATH = ["Begin", "Triage", "Specialists", "Synthesis", "RequestApproval", "AwaitApproval", "Decision"]


def submit(orch: Orch, cloud: LocalCloud, ticket_id: str) -> str:
    """Puts a ticket through the CLI and returns the ARN of the execution it started (waiting for approval)."""
    ran = orch("put-event", "TicketSubmitted", "--data", json.dumps(ticket(ticket_id)), "--correlation-id", ticket_id)
    assert ran.code == 0, ran.err
    cloud.wait_until_quiet()
    listed = orch("list", "--correlation-id", ticket_id, "--output", "json").json()
    (execution,) = listed["executions"]
    return str(execution["arn"])


def states(entries: list[dict[str, Any]]) -> list[str]:
    """The top-level states of a timeline, without the pause points' checks."""
    return [e["state"] for e in entries if e["depth"] == 0 and not is_pause_check(e["state"])]


def test_a_ticket_is_put_listed_waiting_approved_by_key_and_its_timeline_shown(orch: Orch, cloud: LocalCloud) -> None:
    put = orch("put-event", "TicketSubmitted", "--data", json.dumps(ticket("t-cli-1")), "--correlation-id", "t-cli-1")
    assert put.code == 0
    assert "TicketSubmitted" in put.out and "t-cli-1" in put.out
    cloud.wait_until_quiet()

    listed = orch("list", "--workflow", "agent-pipeline", "--status", "running", "--correlation-id", "t-cli-1")
    assert listed.code == 0
    header, row = listed.out.splitlines()
    assert header.split()[:3] == ["WORKFLOW", "STATUS", "STARTED"]
    assert row.split()[:2] == ["agent-pipeline", "RUNNING"] and "t-cli-1" in row
    arn = row.split()[-1]
    waiting = orch("describe", arn)
    assert waiting.code == 0
    assert "waiting in      AwaitApproval" in waiting.out.splitlines()

    signalled = orch("signal", "approval", "t-cli-1", "--approve")
    assert signalled.code == 0 and "approved" in signalled.out
    assert [line.split()[-1] for line in signalled.out.splitlines() if line.startswith("waited for by")] == [arn]
    cloud.wait_until_quiet()

    done = orch("describe", arn, "--output", "json").json()
    assert done["execution"]["status"] == "SUCCEEDED"
    assert done["output"]["resolution"] == "answered"
    assert done["current_states"] == []
    entries = orch("history", arn, "--output", "json").json()
    assert states(entries) == [*PIPELINE_PATH, "PublishResolved", "Resolved"]
    assert {e["outcome"] for e in entries} == {"succeeded"}
    timeline = orch("history", arn)
    assert timeline.code == 0
    header, *lines = timeline.out.splitlines()
    assert header.split() == ["AT", "STATE", "OUTCOME", "TOOK"]
    state_at, outcome_at = header.index("STATE"), header.index("OUTCOME")  # aligned: every row starts there
    # Triage checks for a pause itself (a Lambda task); the Map has its one-state check before it.
    assert [line[state_at:].split()[0] for line in lines if line[state_at] != " "][:3] == [
        "Begin",
        "Triage",
        "SpecialistsPauseCheck",
    ]
    assert all(line[outcome_at:].startswith("succeeded") for line in lines)
    assert len(lines) == len(entries)


def test_history_with_io_gives_each_state_its_input_and_output(orch: Orch, cloud: LocalCloud) -> None:
    arn = submit(orch, cloud, "t-cli-io")

    entries = orch("history", arn, "--io", "--output", "json").json()

    assert states(entries) == PIPELINE_PATH[:-1]  # still waiting in AwaitApproval
    assert entries[-1]["outcome"] == "running" and entries[-1]["duration_ms"] is None
    (triage,) = [e for e in entries if e["state"] == "Triage"]
    assert json.loads(triage["input"])["detail"]["data"]["ticket_id"] == "t-cli-io"
    assert sorted(json.loads(triage["output"])["agents"]) == ["account", "billing"]
    table = orch("history", arn, "--io").out
    assert '  in:  {"version":"0"' in table


def test_a_rejected_draft_is_not_sent(orch: Orch, cloud: LocalCloud) -> None:
    arn = submit(orch, cloud, "t-cli-reject")

    assert orch("signal", "approval", "t-cli-reject", "--reject", "--comment", "too curt").code == 0
    cloud.wait_until_quiet()

    path = states(orch("history", arn, "--output", "json").json())
    assert "PublishRejected" in path and "PublishResolved" not in path


def test_terminate_stops_a_running_execution_with_the_reason(orch: Orch, cloud: LocalCloud) -> None:
    arn = submit(orch, cloud, "t-cli-stop")

    stopped = orch("terminate", arn, "--reason", "customer withdrew the ticket")
    assert stopped.code == 0
    assert "ABORTED" in stopped.out
    cloud.wait_until_quiet()
    assert orch("describe", arn, "--output", "json").json()["execution"]["status"] == "ABORTED"
    assert (
        orch("list", "--status", "ABORTED", "--correlation-id", "t-cli-stop", "--output", "json").json()["executions"][
            0
        ]["arn"]
        == arn
    )

    again = orch("terminate", arn, "--reason", "twice")
    assert again.code == 1
    assert again.error_lines() == ["orch: the execution is ABORTED, not RUNNING; nothing to terminate"]


def test_start_runs_a_workflow_with_the_given_input(orch: Orch, cloud: LocalCloud, tmp_path: Any) -> None:
    given = tmp_path / "input.json"
    given.write_text(json.dumps({"detail": {"metadata": {"correlation_id": "c-start"}, "data": {}}}))

    started = orch("start", "order-saga", "--input", f"@{given}", "--name", "by-hand", "--output", "json")
    assert started.code == 0
    arn = started.json()["execution_arn"]
    assert arn.endswith(":by-hand")
    cloud.wait_until_quiet()

    detail = orch("describe", arn, "--output", "json").json()
    # The saga reads its order from the event it is started by; this input has none, so Begin cannot claim it.
    assert detail["execution"]["status"] == "FAILED"
    assert detail["execution"]["correlation_id"] == "c-start"
    assert detail["input"] == json.loads(given.read_text())
    listed = orch("list", "--workflow", "order-saga", "--since", "1h", "--output", "json").json()["executions"]
    assert [e["arn"] for e in listed] == [arn]
    assert orch("list", "--workflow", "order-saga", "--until", "2001-01-01", "--output", "json").json() == {
        "executions": [],
        "truncated": False,
    }


def test_start_refuses_an_event_that_breaks_its_contract_before_anything_starts(
    orch: Orch, cloud: LocalCloud, tmp_path: Any
) -> None:
    order = {**sample_data("OrderPlaced"), "total_cents": "lots"}
    given = tmp_path / "order.json"
    given.write_text(json.dumps(delivered_event("OrderPlaced", "shop.orders", data=order)))

    machine = cloud.physical_id("AWS::StepFunctions::StateMachine", "OrderSaga")
    before = [e["executionArn"] for e in cloud.executions(machine)]

    refused = orch("start", "order-saga", "--input", f"@{given}")

    assert refused.code == 2
    (line,) = refused.error_lines()
    assert line == (
        "orch: invalid input (input.detail.data.total_cents): the input is not a valid OrderPlaced: Input should be "
        "a valid integer, unable to parse string as an integer; correct the event and start again"
    )
    assert [e["executionArn"] for e in cloud.executions(machine)] == before, "nothing started"


def test_list_is_newest_first_and_bounded(orch: Orch, cloud: LocalCloud) -> None:
    for number in range(3):
        assert orch("start", "order-saga", "--name", f"bounded-{number}").code == 0
        cloud.wait_until_quiet()  # each ends before the next starts: their start times differ

    listed = orch("list", "--workflow", "order-saga", "--limit", "2", "--output", "json").json()

    assert [e["name"] for e in listed["executions"]] == ["bounded-2", "bounded-1"]
    assert listed["truncated"] is True
    assert "narrow the filters" in orch("list", "--workflow", "order-saga", "--limit", "2").out


def test_config_show_prints_the_stage_settings(orch: Orch) -> None:
    shown = orch("config", "show")
    assert shown.code == 0
    rows = dict(line.split(maxsplit=1) for line in shown.out.splitlines()[1:])
    assert rows["bus_name"] == "orchestrator-dev"
    assert rows["agent_pipeline.specialist_breaker.cooldown_seconds"] == "60"
    prod = orch("config", "show", "--stage", "prod", "--output", "json").json()
    assert prod["bus_name"] == "orchestrator-prod"
    assert prod["alert_subscriptions"] == {"emails": [], "https_endpoints": [], "sns_topic_arns": []}


# -- errors: one line on stderr with the fix, and the exit code of their kind -------------------------------------


def test_an_unknown_execution_is_not_found(orch: Orch, cloud: LocalCloud) -> None:
    machine = orch("list", "--output", "json")  # any call, so that discovery ran; then an ARN nobody started
    assert machine.code == 0
    arn = "arn:aws:states:us-east-1:123456789012:execution:Orchestrator-dev-Workflows-OrderSaga:nope"

    for command in (["describe", arn], ["history", arn], ["terminate", arn, "--reason", "x"]):
        ran = orch(*command)
        assert ran.code == 3, command
        (line,) = ran.error_lines()
        assert "ExecutionDoesNotExist" in line and "orch list" in line
        assert ran.out == ""


def test_something_that_is_no_execution_arn_is_a_usage_error(orch: Orch, cloud: LocalCloud) -> None:
    ran = orch("describe", "not-an-arn")
    assert ran.code == 2
    assert ran.error_lines() == [
        "orch: invalid input (execution): not an execution ARN: 'not-an-arn'; `orch list` shows them"
    ]


def test_an_invalid_event_is_refused_naming_the_field(orch: Orch, cloud: LocalCloud) -> None:
    data = ticket("t-cli-bad")
    del data["subject"]
    data["priority"] = "whenever"

    ran = orch("put-event", "TicketSubmitted", "--data", json.dumps(data))

    assert ran.code == 2
    (line,) = ran.error_lines()
    assert line.startswith("orch: invalid input (data.")
    assert "data.subject: Field required" in line and "data.priority" in line
    unknown = orch("put-event", "TicketFiled", "--data", "{}")
    assert unknown.code == 2 and "(detail-type)" in unknown.error_lines()[0]
    not_json = orch("put-event", "TicketSubmitted", "--data", "{oops")
    assert not_json.code == 2 and not_json.error_lines()[0].startswith("orch: --data is not valid JSON")


def test_an_unknown_workflow_is_not_found(orch: Orch, cloud: LocalCloud) -> None:
    ran = orch("start", "no-such-flow")
    assert ran.code == 3
    assert ran.error_lines() == [
        "orch: no workflow 'no-such-flow'; use one of: agent-pipeline, customer-onboarding, order-saga"
    ]


def test_usage_errors_exit_2(orch: Orch) -> None:
    assert orch("signal", "approval", "t-1").code == 2  # neither --approve nor --reject
    assert orch("list", "--status", "LOST").code == 2
    assert orch("list", "--since", "yesterday").error_lines() == [
        "orch: --since: 'yesterday' is neither an ISO 8601 time nor an age like 30m, 2h, 7d"
    ]


def test_an_endpoint_that_is_down_is_a_failure_with_the_fix(orch: Orch) -> None:
    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]

    ran = orch("--endpoint-url", f"http://127.0.0.1:{port}", "list")

    assert ran.code == 1
    (line,) = ran.error_lines()
    assert line.startswith(f"orch: cannot reach http://127.0.0.1:{port}")
    assert line.endswith("start it with `orch local up`, or pass another --endpoint-url")


def test_an_unknown_profile_is_a_failure_naming_it(orch: Orch, cloud: LocalCloud) -> None:
    ran = orch("list", "--profile", "nobody")
    assert ran.code == 1
    assert ran.error_lines() == [
        "orch: The config profile (nobody) could not be found; pass a profile of ~/.aws/config with --profile"
    ]


def stalled(orch: Orch, cloud: LocalCloud, ticket_id: str) -> tuple[str, str]:
    """A ticket whose account specialist goes silent: returns its execution and the id of the task it waits for,
    as `orch describe` shows them."""
    body = "Charged twice and cannot log in. [stall:account]"
    data = json.dumps(ticket(ticket_id, body=body))
    assert orch("put-event", "TicketSubmitted", "--data", data, "--correlation-id", ticket_id).code == 0
    cloud.wait_until_quiet()
    (execution,) = orch("list", "--correlation-id", ticket_id, "--output", "json").json()["executions"]
    detail = orch("describe", execution["arn"], "--output", "json").json()
    (task,) = detail["waiting_tasks"]
    assert task["agent"] == "account"
    assert "task_token" not in task, "the token stays inside the control plane"
    shown = orch("describe", execution["arn"]).out
    assert f"waiting task    {task['task_id']} (account)" in shown.splitlines()
    return execution["arn"], task["task_id"]


def approve_once_waiting(orch: Orch, cloud: LocalCloud, arn: str, ticket_id: str) -> dict[str, Any]:
    """The answered task let the pipeline go on to its approval; approving it ends the execution."""
    waiting = orch("describe", arn, "--output", "json").json()
    assert (waiting["current_states"], waiting["waiting_tasks"]) == (["AwaitApproval"], [])
    assert orch("signal", "approval", ticket_id, "--approve").code == 0
    cloud.wait_until_quiet()
    detail: dict[str, Any] = orch("describe", arn, "--output", "json").json()
    assert detail["execution"]["status"] == "SUCCEEDED"
    return detail


def test_an_agent_task_is_completed_by_its_task_id(orch: Orch, cloud: LocalCloud) -> None:
    arn, task_id = stalled(orch, cloud, "t-cli-task-done")
    result = {"agent": "account", "summary": "Reset link sent by hand.", "actions": ["send a reset link"]}

    ran = orch("signal", "task", task_id, "--complete", json.dumps(result))
    assert ran.code == 0 and "AgentTaskCompleted" in ran.out
    cloud.wait_until_quiet()

    assert orch("signal", "task", task_id, "--complete", "{}").code == 3, "answered: nobody waits for it any more"
    detail = approve_once_waiting(orch, cloud, arn, "t-cli-task-done")
    assert detail["output"]["resolution"] == "answered"


def test_an_agent_task_is_failed_by_its_task_id_and_the_workflow_goes_on(orch: Orch, cloud: LocalCloud) -> None:
    arn, task_id = stalled(orch, cloud, "t-cli-task-fail")

    ran = orch("signal", "task", task_id, "--fail", "ManualFailure", "--cause", "agent retired", "--execution", arn)
    assert ran.code == 0 and "AgentTaskFailed" in ran.out
    cloud.wait_until_quiet()

    detail = approve_once_waiting(orch, cloud, arn, "t-cli-task-fail")
    assert detail["output"]["resolution"] == "partial"
    assert detail["output"]["agents_failed"] == ["account"]


def test_an_unknown_task_is_not_found(orch: Orch, cloud: LocalCloud) -> None:
    ran = orch("signal", "task", "no-such-task", "--complete", "{}")
    assert ran.code == 3
    assert ran.error_lines() == [
        "orch: no running execution waits for agent task 'no-such-task'; "
        "`orch describe EXECUTION_ARN` lists the tasks it waits for"
    ]


def test_an_approval_names_the_execution_it_resumes_even_when_the_resume_is_done_before_the_answer(
    orch: Orch, cloud: LocalCloud, monkeypatch: Any
) -> None:
    """The executions waiting are read before the decision is put: read after, an execution the correlator resumed
    at once (as fast as the local runtime, or AWS, may) no longer waits, and the answer said none waited for it."""
    from orchestrator.control.events import EventOperations

    arn = submit(orch, cloud, "t-cli-fast")
    put_event = EventOperations.put_event

    def put_and_settle(self: Any, *args: Any, **kwargs: Any) -> Any:
        put = put_event(self, *args, **kwargs)
        cloud.wait_until_quiet()  # the decision is delivered and the execution resumed before signal reads on
        return put

    monkeypatch.setattr(EventOperations, "put_event", put_and_settle)
    signalled = orch("signal", "approval", "t-cli-fast", "--approve")
    assert signalled.code == 0, signalled.err
    assert [line.split()[-1] for line in signalled.out.splitlines() if line.startswith("waited for by")] == [arn]
