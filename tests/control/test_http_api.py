"""The control plane's HTTP API through its real Lambda function, invoked by the local runtime
(tests/control_api_client.py): API Gateway proxy events in, status codes and JSON bodies out, every operation through
the same library as the CLI."""

from __future__ import annotations

import datetime
import json
import subprocess
import sys
from urllib.parse import quote

from functions.control_api.openapi import DOCUMENT, document
from orchestrator.local.cloud import LocalCloud
from schemas.support import TicketSubmitted
from tests.builders import delivered_event, sample_data, ticket
from tests.control_api_client import ControlApi, execution_path

CALLER = "arn:aws:iam::123456789012:user/webhook"  # the signer api_request puts in the request context
BREAKER = "agent:technical"  # a breaker the agent pipeline defines (one per specialist)


def submit(cloud: LocalCloud, call: ControlApi, ticket_id: str, body: str | None = None) -> str:
    """A ticket put on the bus, its pipeline run as far as it goes (AwaitApproval, or a silent specialist's task);
    the execution's ARN, found through the API."""
    cloud.put_event(TicketSubmitted.model_validate(ticket(ticket_id, body=body)), correlation_id=ticket_id)
    cloud.wait_until_quiet()
    listed = call("GET", "/executions", query={"correlation_id": ticket_id, "status": "RUNNING"})
    assert listed.status == 200, listed.body
    (execution,) = listed.json()["executions"]
    return str(execution["arn"])


def test_a_ticket_is_listed_described_approved_and_its_history_shown(cloud: LocalCloud, call: ControlApi) -> None:
    arn = submit(cloud, call, "t-http-1")

    waiting = call("GET", execution_path(arn))
    assert waiting.status == 200
    assert waiting.json()["execution"]["status"] == "RUNNING"
    assert waiting.json()["execution"]["workflow"] == "agent-pipeline"
    assert waiting.json()["current_states"] == ["AwaitApproval"]

    signalled = call("POST", "/signals/approvals/t-http-1", {"decision": "approved"})
    assert signalled.status == 202, signalled.body
    assert signalled.json()["detail_type"] == "ApprovalDecided"
    assert signalled.json()["correlation_id"] == "t-http-1"
    cloud.wait_until_quiet()

    done = call("GET", execution_path(arn)).json()
    assert done["execution"]["status"] == "SUCCEEDED"
    assert done["output"]["resolution"] == "answered"
    events = call("GET", execution_path(arn, "/history")).json()["events"]
    top = [e["state"] for e in events if e["depth"] == 0]
    assert top[:3] == ["Begin", "Triage", "SpecialistsPauseCheck"] and top[-1] == "Resolved"
    assert {e["outcome"] for e in events} == {"succeeded"}
    assert all(e["input"] is None for e in events)
    with_io = call("GET", execution_path(arn, "/history"), query={"with_io": "true"}).json()["events"]
    assert json.loads(with_io[1]["input"])["detail"]["data"]["ticket_id"] == "t-http-1"


def test_the_approval_is_decided_by_the_signer_when_the_body_names_nobody(cloud: LocalCloud, call: ControlApi) -> None:
    arn = submit(cloud, call, "t-http-by")

    assert call("POST", "/signals/approvals/t-http-by", {"decision": "rejected", "comment": "no"}).status == 202
    cloud.wait_until_quiet()

    # The decision the workflow resumed with names who signed the request.
    assert CALLER in json.dumps(cloud.history(arn), default=str)
    assert call("GET", execution_path(arn)).json()["execution"]["status"] == "SUCCEEDED"


def test_an_agent_task_is_completed_by_its_task_id(cloud: LocalCloud, call: ControlApi) -> None:
    arn = submit(cloud, call, "t-http-task", body="Charged twice and cannot log in. [stall:account]")
    (task,) = call("GET", execution_path(arn)).json()["waiting_tasks"]
    assert task["agent"] == "account" and "task_token" not in task

    result = {"agent": "account", "summary": "Reset link sent by hand.", "actions": ["send a reset link"]}
    answered = call("POST", f"/signals/tasks/{task['task_id']}", {"result": result, "execution_arn": arn})
    assert answered.status == 202, answered.body
    assert answered.json()["detail_type"] == "AgentTaskCompleted"
    cloud.wait_until_quiet()

    again = call("POST", f"/signals/tasks/{task['task_id']}", {"result": {}})
    assert again.status == 404 and "no running execution waits for agent task" in again.json()["message"]
    both = call("POST", "/signals/tasks/any", {"result": {}, "error": "Nope"})
    assert (both.status, both.json()["field"]) == (400, "task")
    assert call("GET", execution_path(arn)).json()["current_states"] == ["AwaitApproval"]


def test_start_then_terminate_with_a_reason(cloud: LocalCloud, call: ControlApi) -> None:
    arn = submit(cloud, call, "t-http-stop")

    stopped = call("POST", execution_path(arn, "/terminate"), {"reason": "customer withdrew"})
    assert stopped.status == 200, stopped.body
    assert stopped.json()["status"] == "ABORTED"
    cloud.wait_until_quiet()
    again = call("POST", execution_path(arn, "/terminate"), {"reason": "twice"})
    assert (again.status, again.json()) == (
        409,
        {"message": "the execution is ABORTED, not RUNNING; nothing to terminate"},
    )

    started = call("POST", "/executions", {"workflow": "order-saga", "input": {}, "name": "http-start"})
    assert started.status == 201, started.body
    assert started.json()["execution_arn"].endswith(":http-start")
    cloud.wait_until_quiet()
    listed = call("GET", "/executions", query={"workflow": "order-saga", "limit": "5"}).json()["executions"]
    assert "http-start" in [e["name"] for e in listed]


def test_breakers_force_open_list_reset(cloud: LocalCloud, call: ControlApi) -> None:
    opened = call("POST", f"/breakers/{quote(BREAKER, safe='')}/force-open")
    assert opened.status == 200, opened.body
    assert (opened.json()["before"]["state"], opened.json()["after"]["state"]) == ("CLOSED", "OPEN")

    listed = call("GET", "/breakers").json()["breakers"]
    assert [(b["breaker_id"], b["state"], b["version"]) for b in listed if b["breaker_id"] == BREAKER] == [
        (BREAKER, "OPEN", 1)
    ]

    reset = call("POST", f"/breakers/{quote(BREAKER, safe='')}/reset").json()
    assert (reset["after"]["state"], reset["after"]["version"]) == ("CLOSED", 2)
    table = cloud.physical_id("AWS::DynamoDB::Table", "CircuitBreakers")
    (item,) = [i for i in cloud.table_items(table) if i["breaker_id"]["S"] == BREAKER]
    assert (item["state"]["S"], item["version"]["N"]) == ("CLOSED", "2")


def test_config_and_graph(cloud: LocalCloud, call: ControlApi) -> None:
    config = call("GET", "/config")
    assert config.status == 200
    assert config.json()["bus_name"] == "orchestrator-dev"
    assert "alert_subscriptions" not in config.json(), "the function is not told them: it does not say 'no one'"

    mermaid = call("GET", "/workflows/order-saga/graph")
    assert mermaid.status == 200 and mermaid.content_type.startswith("text/plain")
    assert mermaid.body.splitlines()[0] == "flowchart TD"
    assert "ReserveInventory" in mermaid.body and "ChargePayment" in mermaid.body
    svg = call("GET", "/workflows/order-saga/graph", query={"format": "svg"})
    assert svg.status == 200 and svg.content_type == "image/svg+xml"
    assert "<svg" in svg.body and svg.body.rstrip().endswith("</svg>")


def test_the_committed_openapi_document_is_what_the_code_generates() -> None:
    assert DOCUMENT.read_text(encoding="utf-8") == document(), "run `make openapi` and commit openapi/control-api.json"
    paths = json.loads(document())["paths"]
    assert set(paths) == {
        "/executions",
        "/executions/{arn}",
        "/executions/{arn}/history",
        "/executions/{arn}/terminate",
        "/executions/{arn}/pause",
        "/executions/{arn}/resume",
        "/executions/{arn}/redrive",
        "/signals/approvals/{key}",
        "/signals/tasks/{task_id}",
        "/breakers",
        "/breakers/{breaker_id}/reset",
        "/breakers/{breaker_id}/force-open",
        "/config",
        "/workflows/{workflow}/graph",
        "/workflows/{workflow}/definitions",
        "/workflows/{workflow}/versions",
        "/workflows/{workflow}/aliases/{alias}/shift",
        "/workflows/{workflow}/aliases/{alias}/rollback",
        "/replays",
        "/processes/{correlation_id}/history",
    }
    body = paths["/executions/{arn}/terminate"]["post"]["requestBody"]["content"]["application/json"]["schema"]
    assert body == {"$ref": "#/components/schemas/TerminateRequest"}
    # A request failing validation is answered 400 naming the field (as the CLI's exit 2), never Powertools' 422.
    for operations in paths.values():
        for operation in operations.values():
            assert "400" in operation["responses"] and "422" not in operation["responses"]
    assert "HTTPValidationError" not in json.loads(document())["components"]["schemas"]


# -- errors ----------------------------------------------------------------------------------------------------


def test_an_unknown_execution_is_404_with_one_line(cloud: LocalCloud, call: ControlApi) -> None:
    saga = cloud.physical_id("AWS::StepFunctions::StateMachine", "OrderSaga")
    arn = f"{saga.replace(':stateMachine:', ':execution:')}:nope"

    for method, path, body in (
        ("GET", execution_path(arn), None),
        ("GET", execution_path(arn, "/history"), None),
        ("POST", execution_path(arn, "/terminate"), {"reason": "x"}),
    ):
        reply = call(method, path, body)
        assert reply.status == 404, path
        (message,) = reply.json().values()
        assert "ExecutionDoesNotExist" in message and "\n" not in message


def test_an_execution_of_a_state_machine_not_of_the_stage_is_403_naming_the_denied_action(
    cloud: LocalCloud, call: ControlApi
) -> None:
    """IAM enforced: the API's role reads the executions of its stage's workflows only. AWS evaluates the policy
    before looking the execution up, so a state machine outside the grant is denied, existing or not."""
    arn = "arn:aws:states:us-east-1:123456789012:execution:someone-elses-machine:run-1"

    reply = call("GET", execution_path(arn), None)

    # AWS's message names the function's role and the account: the caller gets the error code only.
    assert reply.status == 403
    assert reply.json() == {"message": "the API's role may not do it: AccessDeniedException"}


def test_invalid_input_is_400_naming_the_field(cloud: LocalCloud, call: ControlApi) -> None:
    no_reason = call("POST", execution_path("arn:aws:states:us-east-1:1:execution:m:n", "/terminate"), {})
    assert no_reason.status == 400
    assert no_reason.json()["field"] == "reason"

    bad_decision = call("POST", "/signals/approvals/t-x", {"decision": "maybe"})
    assert (bad_decision.status, bad_decision.json()["field"]) == (400, "decision")

    bad_status = call("GET", "/executions", query={"status": "SLEEPING"})
    assert (bad_status.status, bad_status.json()["field"]) == (400, "status")
    assert "unknown status 'SLEEPING'" in bad_status.json()["message"]

    bad_limit = call("GET", "/executions", query={"limit": "0"})
    assert (bad_limit.status, bad_limit.json()["field"]) == (400, "query.limit")

    not_an_arn = call("GET", "/executions/not-an-arn")
    assert (not_an_arn.status, not_an_arn.json()["field"]) == (400, "execution")

    unknown_workflow = call("POST", "/executions", {"workflow": "nope"})
    assert unknown_workflow.status == 404 and "no workflow 'nope'" in unknown_workflow.json()["message"]


def test_the_handler_imports_without_moto_as_on_lambda() -> None:
    """moto is not in the Lambda's Powertools layer: nothing the handler imports may need it."""
    blocked = "import sys; sys.modules['moto'] = None; import functions.control_api.handler"
    ran = subprocess.run([sys.executable, "-c", blocked], capture_output=True, text=True, check=False)
    assert ran.returncode == 0, ran.stderr.splitlines()[-1:]


def test_publish_shift_a_canary_roll_back_and_replay(cloud: LocalCloud, call: ControlApi) -> None:
    for description in ("first", "second"):
        published = call("POST", "/workflows/order-saga/versions", {"description": description})
        assert published.status == 201, published.body
    assert published.json()["number"] == 3  # version 1 is the deploy's, behind `live`
    assert call("POST", "/workflows/order-saga/aliases/live/shift", {"to": 2, "weight": 100}).status == 200
    canary = call("POST", "/workflows/order-saga/aliases/live/shift", {"to": 3, "weight": 10})
    assert canary.status == 200, canary.body
    assert canary.json()["after"] == [{"version": 2, "weight": 90}, {"version": 3, "weight": 10}]
    listed = call("GET", "/workflows/order-saga/definitions").json()
    assert [v["description"] for v in listed["versions"]] == ["published by the deploy", "first", "second"]
    assert [a["routing"] for a in listed["aliases"]] == [canary.json()["after"]]
    back = call("POST", "/workflows/order-saga/aliases/live/rollback")
    assert back.status == 200, back.body
    assert back.json()["after"] == [{"version": 2, "weight": 100}]

    too_much = call("POST", "/workflows/order-saga/aliases/live/shift", {"to": 2, "weight": 150})
    assert (too_much.status, too_much.json()["field"]) == (400, "weight")
    assert call("GET", "/workflows/no-such-workflow/definitions").status == 404

    replayed = call("POST", "/replays", {"since": "2000-01-01T00:00:00Z"})
    assert replayed.status == 201, replayed.body
    assert cloud.client("events").describe_replay(ReplayName=replayed.json()["name"])["State"] == "COMPLETED"


# The start event of each workflow, as its rule delivers it (its execution's input).
STARTS = {
    "agent-pipeline": ("TicketSubmitted", "support.tickets"),
    "order-saga": ("OrderPlaced", "shop.orders"),
    "customer-onboarding": ("CustomerSignedUp", "shop.customers"),
}


def test_every_route_answers_for_every_workflow_with_iam_enforced(cloud: LocalCloud, call: ControlApi) -> None:
    """The API's role may do what each route does, for every workflow of its stage, the DAG included (IAM is
    enforced on the local runtime: a grant missing here answers 403 or 502, as on AWS). Routes acting on a running
    execution are driven on a pipeline waiting for its approval; the signal routes are the tests above."""
    assert cloud.iam_enforced
    denied_before = len(cloud.iam.log.denied)  # the cloud is the module's: other tests' denials are there too
    for workflow, (detail_type, source) in STARTS.items():
        correlation = f"routes-{workflow}"  # the events the execution emits carry it (the event store keeps them)
        event = delivered_event(detail_type, source, sample_data(detail_type), correlation_id=correlation)
        started = call("POST", "/executions", {"workflow": workflow, "input": event})
        assert started.status == 201, (workflow, started.body)
        arn = started.json()["execution_arn"]
        cloud.wait_until_quiet(advance_clock=True)
        for method, path, body, query in (
            ("GET", "/executions", None, {"workflow": workflow}),
            ("GET", execution_path(arn), None, None),
            ("GET", execution_path(arn, "/history"), None, {"with_io": "true"}),
            ("GET", f"/workflows/{workflow}/graph", None, None),
            ("GET", f"/workflows/{workflow}/definitions", None, None),
            ("POST", f"/workflows/{workflow}/versions", {"description": "one"}, None),
            ("POST", f"/workflows/{workflow}/versions", {"description": "two"}, None),
            ("POST", f"/workflows/{workflow}/aliases/live/shift", {"to": 1, "weight": 100}, None),
            ("POST", f"/workflows/{workflow}/aliases/live/shift", {"to": 2, "weight": 10}, None),
            ("POST", f"/workflows/{workflow}/aliases/live/rollback", None, None),
            ("GET", f"/processes/{correlation}/history", None, None),
        ):
            reply = call(method, path, body, query)
            assert 200 <= reply.status < 300, (workflow, method, path, reply.status, reply.body)

    waiting = submit(cloud, call, "t-every-route")
    for method, path, body in (
        ("POST", execution_path(waiting, "/pause"), {"reason": "routes"}),
        ("POST", execution_path(waiting, "/resume"), {}),
        ("POST", execution_path(waiting, "/terminate"), {"reason": "routes"}),
        ("POST", execution_path(waiting, "/redrive"), None),
        ("GET", "/breakers", None),
        ("POST", "/breakers/agent:billing/force-open", None),
        ("POST", "/breakers/agent:billing/reset", None),
        ("GET", "/config", None),
        ("POST", "/replays", {"since": "2000-01-01T00:00:00Z"}),
    ):
        reply = call(method, path, body)
        assert 200 <= reply.status < 300, (method, path, reply.status, reply.body)
    assert cloud.iam.log.denied[denied_before:] == [], "nothing the API did was denied"


# -- identity, breakers, approvals (issue 17, "identity from the request") ---------------------------------------


def test_who_acts_is_the_signer_and_a_body_naming_someone_is_refused(cloud: LocalCloud, call: ControlApi) -> None:
    arn = submit(cloud, call, "t-http-forged")

    for path, body, field in (
        ("/signals/approvals/t-http-forged", {"decision": "approved", "decided_by": "ceo@example.com"}, "decided_by"),
        (execution_path(arn, "/pause"), {"reason": "x", "paused_by": "someone-else"}, "paused_by"),
        (execution_path(arn, "/resume"), {"resumed_by": "someone-else"}, "resumed_by"),
    ):
        refused = call("POST", path, body)
        assert (refused.status, refused.json()["field"]) == (400, field), refused.body
        assert "signer" in refused.json()["message"]
    # Nothing was decided, paused or resumed by the refused requests.
    assert call("GET", execution_path(arn)).json()["current_states"] == ["AwaitApproval"]
    assert call("GET", execution_path(arn)).json()["pause"] is None

    unsigned = call("POST", "/signals/approvals/t-http-forged", {"decision": "approved"}, identity={})
    assert unsigned.status == 403 and "no IAM identity" in unsigned.json()["message"]


def test_only_a_breaker_the_app_defines_is_written(cloud: LocalCloud, call: ControlApi) -> None:
    table = cloud.physical_id("AWS::DynamoDB::Table", "CircuitBreakers")
    before = cloud.table_items(table)

    unknown = call("POST", "/breakers/agent:nope/force-open")
    assert unknown.status == 404
    assert unknown.json()["message"].startswith("no breaker named agent:nope; known: agent:account, agent:billing")
    for breaker_id in ("../../etc", "x" * 1000, "agent:billing\n", " "):
        refused = call("POST", f"/breakers/{quote(breaker_id, safe='')}/reset")
        assert (refused.status, refused.json()["field"]) == (400, "breaker_id"), breaker_id

    assert cloud.table_items(table) == before, "no item created for a breaker the app does not define"


def test_an_approval_no_workflow_waits_for_says_until_when_it_is_kept(cloud: LocalCloud, call: ControlApi) -> None:
    ttl = cloud_config_ttl(call)
    decided = call("POST", "/signals/approvals/t-nobody-waits", {"decision": "approved"})

    assert decided.status == 202, decided.body
    answer = decided.json()
    assert answer["waited_by"] == [] and answer["detail_type"] == "ApprovalDecided"
    kept_until = datetime.datetime.fromisoformat(answer["kept_until"])
    assert answer["note"] == f"kept until {kept_until.isoformat(timespec='seconds')}; no workflow waits for it"
    now = datetime.datetime.now(datetime.UTC)
    assert now + ttl - datetime.timedelta(minutes=5) < kept_until <= now + ttl

    arn = submit(cloud, call, "t-someone-waits")
    waited = call("POST", "/signals/approvals/t-someone-waits", {"decision": "approved"}).json()
    assert (waited["waited_by"], waited["kept_until"], waited["note"]) == ([arn], None, "")


def cloud_config_ttl(call: ControlApi) -> datetime.timedelta:
    return datetime.timedelta(seconds=call("GET", "/config").json()["correlation"]["message_ttl_seconds"])


def test_an_aws_error_is_answered_with_its_code_only(cloud: LocalCloud, call: ControlApi) -> None:
    """An empty execution ARN is refused by name; an error AWS raised never shows its text (account, role)."""
    empty = call("GET", "/workflows/order-saga/graph", query={"execution": ""})
    assert (empty.status, empty.json()["field"]) == (400, "execution")

    saga = cloud.physical_id("AWS::StepFunctions::StateMachine", "OrderSaga")
    missing = call("GET", execution_path(f"{saga.replace(':stateMachine:', ':execution:')}:nope"))
    assert missing.json() == {"message": "not found: ExecutionDoesNotExist; check the name or ARN"}
