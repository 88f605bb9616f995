"""Task tokens never leave the workflow side through the control plane (issue 17 item 2): an agent pipeline waiting
on an agent's task is described, listed and shown (history, timeline with inputs and outputs, the process from the
event store) through the HTTP API and the `orch` CLI, and no answer holds any token its execution was issued (read
from the history through the runtime's own client); `signal task` still completes the task, the token used inside
the control plane only."""

from __future__ import annotations

import json
from urllib.parse import quote

from orchestrator.local.cloud import LocalCloud
from schemas.redaction import marker
from tests.control.conftest import Orch
from tests.control.test_http_api import submit
from tests.control_api_client import ControlApi, execution_path
from tests.tokens import issued_tokens, leaked

TICKET = "t-tokens-1"


def test_no_route_and_no_command_shows_a_task_token_and_signal_task_still_works(
    cloud: LocalCloud, call: ControlApi, orch: Orch
) -> None:
    arn = submit(cloud, call, TICKET, body="Charged twice and cannot log in. [stall:account]")
    tokens = issued_tokens(cloud, [arn])
    assert len(tokens) == 2, "billing's answered dispatch and account's waiting one"

    # An item as the appender wrote it before it redacted (kept until deleted: no TTL then), holding a real token.
    store = cloud.physical_id("AWS::DynamoDB::Table", "EventStore")
    (request,) = [i for i in cloud.table_items(store) if i["type"]["S"] == "AgentTaskRequested"
                  and i.get("correlation_id", {}).get("S") == TICKET and '"account"' in i["detail"]["S"]]  # fmt: skip
    legacy = json.loads(request["detail"]["S"])
    legacy["data"]["task_token"] = next(t for t in tokens if marker(t) == legacy["data"]["task_token"])
    legacy_item = {**request, "event_id": {"S": "legacy-request"}, "detail": {"S": json.dumps(legacy)}}
    cloud.client("dynamodb").put_item(TableName=store, Item=legacy_item)

    answers = {
        "list": call("GET", "/executions", query={"correlation_id": TICKET}),
        "describe": call("GET", execution_path(arn)),
        "history": call("GET", execution_path(arn, "/history")),
        "history with io": call("GET", execution_path(arn, "/history"), query={"with_io": "true"}),
        "process history": call("GET", f"/processes/{quote(TICKET, safe='')}/history"),
    }
    for route, answer in answers.items():
        assert answer.status == 200, (route, answer.body)
        assert leaked(answer.body, tokens) == [], f"{route} serves a task token"
    printed = {
        "describe": orch("describe", arn, "--output", "json"),
        "timeline": orch("history", arn, "--io"),
        "timeline json": orch("history", arn, "--io", "--output", "json"),
        "process": orch("history", "--correlation-id", TICKET, "--output", "json"),
        "process table": orch("history", "--correlation-id", TICKET),
    }
    for command, ran in printed.items():
        assert ran.code == 0, (command, ran.err)
        assert leaked(ran.out + ran.err, tokens) == [], f"orch {command} prints a task token"
    # What stood in their place: each token's marker, by which an operator can follow a task.
    served = answers["history with io"].body + answers["process history"].body
    assert {t for t in tokens if marker(t) in served} == tokens

    (task,) = answers["describe"].json()["waiting_tasks"]
    result = {"agent": "account", "summary": "Reset link sent by hand.", "actions": ["send a reset link"]}
    answered = call("POST", f"/signals/tasks/{task['task_id']}", {"result": result})
    assert answered.status == 202 and leaked(answered.body, tokens) == [], answered.body
    cloud.wait_until_quiet()

    after = call("GET", execution_path(arn)).json()
    assert (after["waiting_tasks"], after["current_states"]) == ([], ["AwaitApproval"]), "the task was completed"
    process = call("GET", f"/processes/{quote(TICKET, safe='')}/history")
    completed = [e["detail"]["data"] for e in process.json()["events"] if e["type"] == "AgentTaskCompleted"]
    assert {c["agent"]: c["task_token"] for c in completed}["account"] in {marker(t) for t in tokens}
    assert leaked(process.body + json.dumps(after), tokens) == []
