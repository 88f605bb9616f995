"""IAM enforced on the local runtime (orchestrator/local/iam): the shipped app runs with every grant it has, and a
grant removed or narrowed in the synthesized template fails the run as AWS would fail it, with the service's
AccessDenied error naming the principal, the action and the resource, and the workflow going through its Catch.

Each test edits one policy of a copy of the synthesized Workflows template, then puts one order on the bus."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from orchestrator.local.cloud import LocalCloud, LocalCloudError
from schemas.orders import OrderPlaced
from tests.builders import sample_data

WORKFLOWS = "Orchestrator-dev-Workflows.template.json"
EVENT_PLANE = "Orchestrator-dev-EventPlane.template.json"
Statement = dict[str, Any]


def _policy(template: dict[str, Any], prefix: str) -> list[Statement]:
    """The statements of the one `AWS::IAM::Policy` whose logical id starts with `prefix`."""
    (policy,) = [
        r["Properties"]["PolicyDocument"]["Statement"]
        for k, r in template["Resources"].items()
        if r["Type"] == "AWS::IAM::Policy" and k.startswith(prefix)
    ]
    statements: list[Statement] = policy
    return statements


def _actions(statement: Statement) -> list[str]:
    action = statement["Action"]
    return [action] if isinstance(action, str) else list(action)


@pytest.fixture
def edited(assembly_dir: Path, tmp_path: Path, aws_credentials: None) -> Iterator[Callable[..., LocalCloud]]:
    """Starts a local cloud of the assembly with the Workflows template changed by `edit` (stopped at the end)."""
    clouds: list[LocalCloud] = []

    def start(edit: Callable[[dict[str, Any]], None], template_file: str = WORKFLOWS) -> LocalCloud:
        copy = tmp_path / "cdk.out"
        shutil.copytree(assembly_dir, copy)
        template = json.loads((copy / template_file).read_text(encoding="utf-8"))
        edit(template)
        (copy / template_file).write_text(json.dumps(template), encoding="utf-8")
        cloud = LocalCloud.from_assembly(copy)
        clouds.append(cloud)
        cloud.start()
        return cloud

    yield start
    for cloud in clouds:
        cloud.stop()


def _order(cloud: LocalCloud, order_id: str) -> dict[str, Any]:
    """Puts an order, runs the system still (the clock through every retry); its saga execution, described."""
    order = OrderPlaced.model_validate({**sample_data("OrderPlaced"), "order_id": order_id})
    cloud.put_event(order, correlation_id=order_id)
    cloud.wait_until_quiet(advance_clock=True)
    (execution,) = cloud.executions(cloud.physical_id("AWS::StepFunctions::StateMachine", "OrderSaga"))
    described: dict[str, Any] = cloud.client("stepfunctions").describe_execution(executionArn=execution["executionArn"])
    return described


def _saga_role_arn(cloud: LocalCloud) -> str:
    machine = cloud.physical_id("AWS::StepFunctions::StateMachine", "OrderSaga")
    return str(cloud.client("stepfunctions").describe_state_machine(stateMachineArn=machine)["roleArn"])


def _saga_role(cloud: LocalCloud) -> str:
    """The name of the saga state machine's role."""
    return _saga_role_arn(cloud).rsplit("/", 1)[-1]


def _failures(cloud: LocalCloud, execution_arn: str) -> list[dict[str, Any]]:
    events = cloud.client("stepfunctions").get_execution_history(executionArn=execution_arn)["events"]
    return [e["taskFailedEventDetails"] for e in events if "taskFailedEventDetails" in e]


def _path(cloud: LocalCloud, execution_arn: str) -> list[str]:
    return [visit.name for visit in cloud.stepfunctions.history_path(execution_arn)]


def test_the_shipped_app_runs_a_saga_with_every_call_evaluated(edited: Callable[..., LocalCloud]) -> None:
    cloud = edited(lambda template: None)
    execution = _order(cloud, "o-iam-ok")

    assert execution["status"] == "SUCCEEDED"
    assert cloud.iam.log.allowed, "calls were evaluated"
    assert cloud.iam.log.denied == []
    assert cloud.notice.iam.startswith("IAM enforced: ")
    report = cloud.access_report()
    assert report.denied_calls == 0
    (saga,) = [
        p for p in report.principals if p.role.startswith("Orchestrator-dev-Workflows-OrderSagaStateMachineRole")
    ]
    used = {action for action, _, _ in saga.allowed}
    assert {"lambda:InvokeFunction", "events:PutEvents", "cloudwatch:PutMetricData"} <= used
    # Its start claims are its admission function's, under its own keys.
    (admission,) = [p for p in report.principals if p.role.startswith("Orchestrator-dev-Workflows-OrderSagaAdmission")]
    assert any(
        a == "dynamodb:PutItem" and "table/Orchestrator-dev-State-Idempotency" in r for a, r, _ in admission.allowed
    )
    # Unused in a happy saga: only the pause checks' statement (its steps check for a pause themselves, and nothing
    # was paused); its logs and X-Ray statements serve the service's own calls.
    (unused,) = saga.unused
    described = unused.split(": ", 1)[1]
    assert described.startswith("Allow dynamodb:ConditionCheckItem, dynamodb:GetItem on arn:aws:dynamodb:")
    assert "table/Orchestrator-dev-State-WorkflowControl" in described and described.endswith("if dynamodb:LeadingKeys")
    assert saga.service_side and all(" Allow logs:" in s or " Allow xray:" in s for s in saga.service_side)
    # A service's idempotency records: its own keys only (LeadingKeys `<function name>.*`), and they were used.
    (inventory,) = [p for p in report.principals if p.role.startswith("Orchestrator-dev-Workflows-OrderSagaInventory")]
    assert any(
        a == "dynamodb:PutItem" and "table/Orchestrator-dev-State-Idempotency" in r for a, r, _ in inventory.allowed
    )


def test_an_identity_statement_narrowed_denies_the_task_and_the_saga_compensates(
    edited: Callable[..., LocalCloud],
) -> None:
    """The saga's role may no longer invoke the payments function: ChargePayment's lambda:invoke is denied, the
    error caught by its States.ALL catcher, and the saga undoes the reservation (its refund is denied as well, and
    escalated)."""
    payments: list[str] = []

    def narrow(template: dict[str, Any]) -> None:
        (invoke,) = [
            s for s in _policy(template, "OrderSagaStateMachineRole") if _actions(s) == ["lambda:InvokeFunction"]
        ]
        kept = [r for r in invoke["Resource"] if "OrderSagaPayments" not in json.dumps(r)]
        payments.extend(json.dumps(r) for r in invoke["Resource"] if r not in kept)
        invoke["Resource"] = kept

    cloud = edited(narrow)
    execution = _order(cloud, "o-iam-invoke")

    assert payments, "the payments function's grant was removed"
    path = _path(cloud, execution["executionArn"])
    assert path[:4] == ["Begin", "ReserveInventory", "ChargePayment", "RefundPayment"]
    assert "ReleaseInventory" in path, "the reservation was undone"
    failure = _failures(cloud, execution["executionArn"])[0]
    assert failure["error"] == "Lambda.AccessDeniedException"
    assert "assumed-role/Orchestrator-dev-Workflows-OrderSagaStateMachineRole" in failure["cause"]
    assert "is not authorized to perform: lambda:InvokeFunction on resource: arn:aws:lambda:" in failure["cause"]


def test_a_leading_keys_condition_narrowed_denies_the_claim_and_the_saga_fails_at_its_start(
    edited: Callable[..., LocalCloud],
) -> None:
    """The saga's admission may put start claims under another prefix only: its claim is denied, and the saga
    fails at its first state."""

    def narrow(template: dict[str, Any]) -> None:
        (claims,) = [
            s
            for s in _policy(template, "OrderSagaAdmissionFunctionServiceRole")
            if s.get("Condition") and _actions(s) == ["dynamodb:PutItem"]
        ]
        claims["Condition"]["ForAllValues:StringLike"]["dynamodb:LeadingKeys"] = ["someone-else#*"]

    cloud = edited(narrow)
    execution = _order(cloud, "o-iam-claim")
    principals = cloud.access_report().principals
    (admission,) = [p for p in principals if p.role.startswith("Orchestrator-dev-Workflows-OrderSagaAdmission")]
    assert [(action, why) for action, _, why, _ in admission.denied] == [("dynamodb:PutItem", "implicitly denied")]

    assert execution["status"] == "FAILED"
    assert execution["error"] == "ClientError"
    assert "is not authorized to perform: dynamodb:PutItem on resource: arn:aws:dynamodb:" in execution["cause"]
    assert _path(cloud, execution["executionArn"]) == ["Begin"], "nothing of the order was done"


def test_a_detail_type_condition_denies_the_events_the_role_may_not_put(edited: Callable[..., LocalCloud]) -> None:
    """The saga's role may put OrderCancelled only: its PublishCompleted's entry is refused as EventBridge refuses
    one (the call answers, the entry fails NotAuthorizedForDetailTypeException) and the state fails
    EventBridge.FailedEntry after its retries (the order itself completed)."""

    def narrow(template: dict[str, Any]) -> None:
        (put,) = [s for s in _policy(template, "OrderSagaStateMachineRole") if _actions(s) == ["events:PutEvents"]]
        put["Condition"] = {"StringEquals": {"events:detail-type": ["OrderCancelled"]}}

    cloud = edited(narrow)
    execution = _order(cloud, "o-iam-publish")

    assert execution["status"] == "FAILED"
    assert _path(cloud, execution["executionArn"])[-1] == "PublishCompleted"
    assert execution["error"] == "EventBridge.FailedEntry"
    assert "NotAuthorizedForDetailTypeException" in execution["cause"]


def test_an_explicit_deny_wins_over_the_allow_and_the_service_says_so(edited: Callable[..., LocalCloud]) -> None:
    """A Deny on the inventory function's writes: the handler's own PutItem fails with AccessDeniedException naming
    the explicit deny, and the saga cancels the order (nothing was reserved)."""

    def deny(template: dict[str, Any]) -> None:
        statements = _policy(template, "OrderSagaInventoryServiceFunctionServiceRole")
        statements.append({"Effect": "Deny", "Action": "dynamodb:PutItem", "Resource": "*"})

    cloud = edited(deny)
    execution = _order(cloud, "o-iam-deny")

    denied = cloud.iam.log.denied
    assert denied and all(d[1] == "dynamodb:PutItem" and d[3] == "explicitly denied" for d in denied)
    assert execution["status"] != "RUNNING"
    assert "ChargePayment" not in _path(cloud, execution["executionArn"]), "no payment without a reservation"


def test_a_resource_policy_removed_stops_eventbridge_delivering_and_the_event_is_dead_lettered(
    edited: Callable[..., LocalCloud],
) -> None:
    """The schema guard's Lambda permission (EventBridge may invoke it for its rule) removed: every delivery to it
    fails NO_PERMISSIONS, is not retried, and lands in the rule target's dead-letter queue, as on AWS; the other
    rules' targets still get the event (the saga runs)."""

    def remove_permission(template: dict[str, Any]) -> None:
        (permission,) = [
            k
            for k, r in template["Resources"].items()
            if r["Type"] == "AWS::Lambda::Permission" and k.startswith("SchemaGuard")
        ]
        del template["Resources"][permission]

    cloud = edited(remove_permission, EVENT_PLANE)
    execution = _order(cloud, "o-iam-permission")

    assert execution["status"] == "SUCCEEDED"
    url = cloud.physical_id("AWS::SQS::Queue", "SchemaGuardGuardDeadLetters")  # a queue's Ref is its URL
    sqs = cloud.client("sqs")
    letters = sqs.receive_message(QueueUrl=url, MessageAttributeNames=["All"], MaxNumberOfMessages=10)["Messages"]
    assert letters, "the events the guard did not get are dead letters"
    for letter in letters:
        attributes = {k: v["StringValue"] for k, v in letter["MessageAttributes"].items()}
        assert attributes["ERROR_CODE"] == "NO_PERMISSIONS"
        assert attributes["RETRY_ATTEMPTS"] == "0", "a missing permission is not retried"
        assert "events.amazonaws.com is not authorized to perform: lambda:InvokeFunction" in attributes["ERROR_MESSAGE"]
    (events,) = [p for p in cloud.access_report().principals if p.role == "events.amazonaws.com"]
    assert {action for action, *_ in events.denied} == {"lambda:InvokeFunction"}, "the report shows the denials"


def test_an_event_source_mapping_reads_its_queue_as_the_functions_role(edited: Callable[..., LocalCloud]) -> None:
    """The event store's function may no longer receive from its queue: Lambda's event-source mapping cannot poll
    it (it reads as the function's role, as on AWS), and the local runtime says so rather than look idle."""

    def narrow(template: dict[str, Any]) -> None:
        statements = _policy(template, "EventStoreAppenderConsumerFunctionServiceRoleDefaultPolicy")
        statements[:] = [s for s in statements if "sqs:ReceiveMessage" not in _actions(s)]

    cloud = edited(narrow, EVENT_PLANE)
    order = OrderPlaced.model_validate({**sample_data("OrderPlaced"), "order_id": "o-iam-esm"})
    cloud.put_event(order, correlation_id="o-iam-esm")

    with pytest.raises(LocalCloudError, match="sqs:ReceiveMessage"):
        cloud.wait_until_quiet(advance_clock=True)
