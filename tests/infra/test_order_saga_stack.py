"""The order saga as deployed (Workflows stack): start rule, state machine, its services' tables and least-privilege
grants, the idempotency of its executions and of its service calls, and the alarmed escalations."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest

from infra.constructs.order_saga import (
    ESCALATION_DETAIL_TYPE,
    ORDERS_SOURCE,
    START_DETAIL_TYPE,
    TABLE_ACTIONS,
)
from schemas.orders import OrderCancelled, OrderCompensationEscalated, OrderCompleted, OrderPlaced
from schemas.stages import load_stage
from tests.infra.helpers import logical_id, resources, role_statements, started_through_live

DEV = load_stage("dev")
STATE_EXPORTS = "Orchestrator-dev-State:"
HANDLERS = {
    "Inventory": "functions.inventory.handler.handler",
    "Payments": "functions.payments.handler.handler",
    "Shipping": "functions.shipping.handler.handler",
}


@pytest.fixture(scope="module")
def workflows(templates: dict[str, Any]) -> dict[str, Any]:
    template: dict[str, Any] = templates["Workflows"]
    return template


def _saga(template: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    (found,) = [
        (k, r["Properties"])
        for k, r in resources(template, "AWS::StepFunctions::StateMachine").items()
        if k.startswith("OrderSaga")
    ]
    return found


def _function_id(template: dict[str, Any], handler: str) -> str:
    (found,) = [
        k for k, f in resources(template, "AWS::Lambda::Function").items() if f["Properties"]["Handler"] == handler
    ]
    return found


def _rule(template: dict[str, Any], detail_type: str) -> dict[str, Any]:
    rules: list[dict[str, Any]] = [
        r["Properties"]
        for r in resources(template, "AWS::Events::Rule").values()
        if r["Properties"]["EventPattern"]["detail-type"] == [detail_type]
    ]
    (rule,) = rules
    return rule


def test_the_infra_names_the_events_the_models_declare() -> None:
    assert (ORDERS_SOURCE, START_DETAIL_TYPE) == (OrderPlaced.SOURCE, OrderPlaced.DETAIL_TYPE)
    assert (ORDERS_SOURCE, ESCALATION_DETAIL_TYPE) == (
        OrderCompensationEscalated.SOURCE,
        OrderCompensationEscalated.DETAIL_TYPE,
    )


def test_a_placed_order_starts_the_saga_with_retries_and_a_dead_letter_queue(workflows: dict[str, Any]) -> None:
    rule = _rule(workflows, START_DETAIL_TYPE)
    (target,) = rule["Targets"]
    machine_id, _ = _saga(workflows)

    assert rule["EventPattern"] == {"source": [ORDERS_SOURCE], "detail-type": [START_DETAIL_TYPE]}
    assert rule["EventBusName"]["Fn::ImportValue"].startswith("Orchestrator-dev-EventPlane:")
    assert started_through_live(workflows, target) == machine_id
    assert workflows["Resources"][logical_id(target["DeadLetterConfig"]["Arn"])]["Type"] == "AWS::SQS::Queue"
    assert target["RetryPolicy"] == {
        "MaximumRetryAttempts": DEV.target_retry.maximum_retry_attempts,
        "MaximumEventAgeInSeconds": DEV.target_retry.maximum_event_age_seconds,
    }


def test_the_definition_is_the_asl_file_with_the_stages_retries_and_every_placeholder_substituted(
    workflows: dict[str, Any],
) -> None:
    _, machine = _saga(workflows)
    text = machine["DefinitionString"]
    states = json.loads(text)["States"]
    substitutions = machine["DefinitionSubstitutions"]

    assert json.loads(text)["QueryLanguage"] == "JSONata"
    assert set(re.findall(r"\$\{(\w+)\}", text)) == set(substitutions)
    for service, handler in HANDLERS.items():
        assert logical_id(substitutions[f"{service}FunctionArn"]) == _function_id(workflows, handler)
    assert substitutions["EventBusName"]["Fn::ImportValue"].startswith("Orchestrator-dev-EventPlane:")
    assert logical_id(substitutions["AdmissionFunctionArn"]).startswith("OrderSagaAdmission")
    transient, compensation = DEV.order_saga.transient_retry, DEV.order_saga.compensation_retry
    for step, error in (
        ("ReserveInventory", "InventoryUnavailable"),
        ("ChargePayment", "PaymentGatewayTimeout"),
        ("ArrangeShipping", "ShippingUnavailable"),
    ):
        # First, the pause check's error, never retried (asl/pause_points.py; tests/infra/test_pause_points.py).
        paused, retry = states[step]["Retry"]
        assert paused == {"ErrorEquals": ["PauseInForce"], "MaxAttempts": 0}
        assert error in retry["ErrorEquals"] and "Lambda.TooManyRequestsException" in retry["ErrorEquals"]
        assert "IdempotencyAlreadyInProgressError" in retry["ErrorEquals"], "the same call, still running elsewhere"
        assert "States.ALL" not in retry["ErrorEquals"], "business failures are not retried"
        assert (retry["IntervalSeconds"], retry["MaxAttempts"], retry["MaxDelaySeconds"]) == (
            transient.interval_seconds,
            transient.max_attempts,
            transient.max_delay_seconds,
        )
        assert retry["JitterStrategy"] == "FULL" and retry["BackoffRate"] > 1
    for step, escalation in (("RefundPayment", "EscalateRefund"), ("ReleaseInventory", "EscalateRelease")):
        (retry,) = states[step]["Retry"]
        assert retry["ErrorEquals"] == ["States.ALL"], "a compensation is retried whatever failed"
        assert (retry["IntervalSeconds"], retry["MaxAttempts"]) == (
            compensation.interval_seconds,
            compensation.max_attempts,
        )
        assert [c["Next"] for c in states[step]["Catch"]] == [escalation]


def test_business_failures_compensate_what_was_done_in_reverse_order(workflows: dict[str, Any]) -> None:
    states = json.loads(_saga(workflows)[1]["DefinitionString"])["States"]

    def routes(step: str) -> dict[str, str]:
        caught = {error: c["Next"] for c in states[step]["Catch"] for error in c["ErrorEquals"]}
        # Caught first of all: a pause in force, into the step's hold (tests/infra/test_pause_points.py).
        assert states[step]["Catch"][0]["ErrorEquals"] == ["PauseInForce"]
        assert caught.pop("PauseInForce") == f"{step}PauseRead"
        return caught

    assert routes("ReserveInventory") == {"OutOfStock": "Cancel", "States.ALL": "ReleaseInventory"}
    assert routes("ChargePayment") == {"PaymentDeclined": "ReleaseInventory", "States.ALL": "RefundPayment"}
    assert routes("ArrangeShipping") == {"States.ALL": "RefundPayment"}
    assert (states["RefundPayment"]["Next"], states["ReleaseInventory"]["Next"]) == ("ReleaseInventory", "Cancel")
    published = {
        name: (s["Resource"], s["Arguments"]["Entries"][0]["Source"], s["Arguments"]["Entries"][0]["DetailType"])
        for name, s in states.items()
        if s.get("Resource", "").startswith("arn:aws:states:::events:")
    }
    assert published == {
        "PublishCompleted": ("arn:aws:states:::events:putEvents", ORDERS_SOURCE, OrderCompleted.DETAIL_TYPE),
        "PublishCancelled": ("arn:aws:states:::events:putEvents", ORDERS_SOURCE, OrderCancelled.DETAIL_TYPE),
        "EscalateRefund": ("arn:aws:states:::events:putEvents", ORDERS_SOURCE, ESCALATION_DETAIL_TYPE),
        "EscalateRelease": ("arn:aws:states:::events:putEvents", ORDERS_SOURCE, ESCALATION_DETAIL_TYPE),
    }


def test_the_saga_may_invoke_its_functions_and_put_events_on_the_bus_only(workflows: dict[str, Any]) -> None:
    _, machine = _saga(workflows)
    statements = role_statements(workflows, logical_id(machine["RoleArn"]))
    by_action = {json.dumps(s["Action"]): s["Resource"] for s in statements if s["Resource"] != "*"}

    # ConditionCheckItem and GetItem: the pause records (tests/infra/test_pause_points.py). Its start claims are
    # its admission function's (tests/infra/test_admission.py).
    assert set(by_action) == {
        '"lambda:InvokeFunction"',
        '"events:PutEvents"',
        '["dynamodb:ConditionCheckItem", "dynamodb:GetItem"]',
    }
    # Its admission, the three services, and the correlator's Register when a pause holds the saga.
    assert {logical_id(r) for r in by_action['"lambda:InvokeFunction"']} == {
        _function_id(workflows, h) for h in [*HANDLERS.values(), "functions.correlator.register.handler"]
    } | {k for k in resources(workflows, "AWS::Lambda::Function") if k.startswith("OrderSagaAdmission")}
    assert by_action['"events:PutEvents"']["Fn::ImportValue"].startswith("Orchestrator-dev-EventPlane:")
    assert machine["LoggingConfiguration"]["Level"] == "ALL"
    assert machine["TracingConfiguration"] == {"Enabled": True}


@pytest.mark.parametrize("service", sorted(HANDLERS))
def test_each_service_reads_and_writes_items_of_its_own_table_only(workflows: dict[str, Any], service: str) -> None:
    function = workflows["Resources"][_function_id(workflows, HANDLERS[service])]["Properties"]
    (table_id,) = [k for k in resources(workflows, "AWS::DynamoDB::Table") if k.startswith(f"OrderSaga{service}")]
    table = workflows["Resources"][table_id]["Properties"]
    statements = [
        s
        for s in role_statements(workflows, logical_id(function["Role"]))
        if any(a.startswith("dynamodb:") for a in ([s["Action"]] if isinstance(s["Action"], str) else s["Action"]))
        and any(isinstance(r, dict) and "Fn::GetAtt" in r for r in s["Resource"])
    ]

    assert logical_id(function["Environment"]["Variables"]["TABLE_NAME"]) == table_id
    # The Idempotency table's grant is tests/infra/test_workflows_stack.py's, with every other grantee of it.
    assert function["Environment"]["Variables"]["IDEMPOTENCY_TABLE"]["Fn::ImportValue"].startswith(STATE_EXPORTS)
    (statement,) = statements
    assert sorted(statement["Action"]) == sorted(TABLE_ACTIONS)
    assert {logical_id(r) for r in statement["Resource"] if isinstance(r, dict)} == {table_id}
    assert table["KeySchema"] == [{"AttributeName": "pk", "KeyType": "HASH"}]
    assert table["BillingMode"] == "PAY_PER_REQUEST"
    assert table["SSESpecification"]["SSEEnabled"] is True
    assert table["PointInTimeRecoverySpecification"]["PointInTimeRecoveryEnabled"] is True


def test_every_service_call_carries_its_own_idempotency_key_and_the_sagas(workflows: dict[str, Any]) -> None:
    states = json.loads(_saga(workflows)[1]["DefinitionString"])["States"]
    payloads = {
        name: s["Arguments"]["Payload"]
        for name, s in states.items()
        if s.get("Resource") == "arn:aws:states:::lambda:invoke" and name != "Begin"  # Begin: admission
    }

    assert {name: p["action"] for name, p in payloads.items()} == {
        "ReserveInventory": "reserve",
        "ChargePayment": "charge",
        "ArrangeShipping": "arrange",
        "RefundPayment": "refund",
        "ReleaseInventory": "release",
    }
    for payload in payloads.values():
        assert payload["idempotency_key"] == f"{{% $trigger.idempotency_key & ':{payload['action']}' %}}"
        assert payload["saga_key"] == "{% $trigger.idempotency_key %}"


def test_an_escalation_is_kept_in_an_alarmed_queue_for_a_person(workflows: dict[str, Any]) -> None:
    rule = _rule(workflows, ESCALATION_DETAIL_TYPE)
    (target,) = rule["Targets"]
    queue_id = logical_id(target["Arn"])
    (alarm,) = [
        a["Properties"]
        for a in resources(workflows, "AWS::CloudWatch::Alarm").values()
        if [logical_id(d["Value"]) for d in a["Properties"]["Dimensions"]] == [queue_id]
    ]

    assert queue_id.startswith("OrderSagaEscalations")
    assert rule["EventPattern"]["source"] == [ORDERS_SOURCE]
    assert logical_id(target["DeadLetterConfig"]["Arn"]) != queue_id
    assert (alarm["MetricName"], alarm["Threshold"]) == ("ApproximateNumberOfMessagesVisible", 1)
    assert alarm["ComparisonOperator"] == "GreaterThanOrEqualToThreshold"
    assert [logical_id(a) for a in alarm["AlarmActions"]] == [
        k for k in resources(workflows, "AWS::SNS::Topic") if k.startswith("Alerts")
    ]
