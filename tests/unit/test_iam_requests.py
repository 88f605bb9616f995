"""What IAM evaluates for an API call (orchestrator/local/iam/requests.py), per the Service Authorization Reference and
the services' developer guides: the action, the resource, the condition keys."""

from __future__ import annotations

from typing import Any

import pytest
from boto3.dynamodb.conditions import Key

from orchestrator.local.iam.evaluation import Request, evaluate, parse_policy
from orchestrator.local.iam.requests import (
    Authorization,
    Call,
    UnknownOperationError,
    authorization_on,
    authorizations,
)

MACHINE = "arn:aws:states:us-east-1:123456789012:stateMachine:saga"


class Lookups:
    def partition_key(self, table_name: str) -> str | None:
        return {"control": "pk", "claims": "id"}.get(table_name)

    def state_machine_of_token(self, task_token: str) -> str | None:
        return MACHINE if task_token == "known" else None


def of(service: str, operation: str, **params: Any) -> list[Authorization]:
    return authorizations(Call(service, operation, params, "us-east-1", "123456789012"), Lookups())


def test_a_version_or_alias_is_authorized_on_the_state_machine_with_its_qualifier() -> None:
    """Developer guide, "Authorization for versions and aliases": the state machine's ARN, not the version's or the
    alias's; the qualifier is the states:StateMachineQualifier key."""
    (start,) = of("states", "StartExecution", stateMachineArn=f"{MACHINE}:live")
    assert start == Authorization("states:StartExecution", MACHINE, {"states:StateMachineQualifier": "live"})
    (plain,) = of("states", "StartExecution", stateMachineArn=MACHINE)
    assert plain == Authorization("states:StartExecution", MACHINE)
    (alias,) = of(
        "states",
        "CreateStateMachineAlias",
        name="live",
        routingConfiguration=[{"stateMachineVersionArn": f"{MACHINE}:1", "weight": 100}],
    )
    assert alias == Authorization("states:CreateStateMachineAlias", MACHINE, {"states:StateMachineQualifier": "live"})
    execution = "arn:aws:states:us-east-1:123456789012:execution:saga:run-1"
    assert of("states", "DescribeExecution", executionArn=execution) == [
        Authorization("states:DescribeExecution", execution)
    ]


def test_a_start_through_an_alias_is_allowed_by_a_grant_on_the_state_machine_not_on_the_alias() -> None:
    """Developer guide, "Authorization for versions and aliases in Step Functions workflows": "Step Functions uses the
    state machine's ARN instead of using the version ARN or alias ARN", scoped down by states:StateMachineQualifier.
    So EventBridge's role for a workflow's `live` alias (infra/constructs/live_alias.py) is granted the machine, with
    the qualifier pinned; a grant naming the alias's ARN would allow nothing."""

    def may_start(arn: str, *statements: dict[str, Any]) -> bool:
        granted = parse_policy({"Version": "2012-10-17", "Statement": list(statements)}, source="role/EventsRole")
        start = authorization_on("states:StartExecution", arn)
        role = "arn:aws:sts::123456789012:assumed-role/EventsRole/events"
        return evaluate(Request(role, start.action, start.resource, start.context), granted).allowed

    on_machine = {"Effect": "Allow", "Action": "states:StartExecution", "Resource": MACHINE}
    on_alias = {**on_machine, "Resource": f"{MACHINE}:live"}
    pinned = {**on_machine, "Condition": {"StringEquals": {"states:StateMachineQualifier": "live"}}}

    assert may_start(f"{MACHINE}:live", on_machine)
    assert not may_start(f"{MACHINE}:live", on_alias)
    assert may_start(f"{MACHINE}:live", pinned)
    assert not may_start(MACHINE, pinned), "not the latest revision"
    assert not may_start(f"{MACHINE}:1", pinned), "nor a version"
    assert not may_start(f"{MACHINE}:beta", pinned), "nor another alias"
    assert authorization_on("sqs:SendMessage", "arn:aws:sqs:us-east-1:123456789012:q") == Authorization(
        "sqs:SendMessage", "arn:aws:sqs:us-east-1:123456789012:q"
    )


def test_publishing_with_update_state_machine_also_needs_publish_state_machine_version() -> None:
    assert [a.action for a in of("states", "UpdateStateMachine", stateMachineArn=MACHINE, publish=True)] == [
        "states:UpdateStateMachine",
        "states:PublishStateMachineVersion",
    ]
    assert [a.action for a in of("states", "UpdateStateMachine", stateMachineArn=MACHINE)] == [
        "states:UpdateStateMachine"
    ]


def test_a_task_response_is_authorized_on_the_state_machine_that_issued_the_token() -> None:
    assert of("states", "SendTaskSuccess", taskToken="known", output="{}") == [
        Authorization("states:SendTaskSuccess", MACHINE)
    ]


def test_put_events_is_one_request_per_entry_with_its_bus_source_and_detail_type() -> None:
    entries = [
        {"EventBusName": "orders", "Source": "shop", "DetailType": "OrderPlaced", "Detail": "{}"},
        {"Source": "shop", "DetailType": "OrderCancelled", "Detail": "{}"},
    ]
    assert of("events", "PutEvents", Entries=entries) == [
        Authorization(
            "events:PutEvents",
            "arn:aws:events:us-east-1:123456789012:event-bus/orders",
            {"events:source": "shop", "events:detail-type": "OrderPlaced"},
        ),
        Authorization(
            "events:PutEvents",
            "arn:aws:events:us-east-1:123456789012:event-bus/default",
            {"events:source": "shop", "events:detail-type": "OrderCancelled"},
        ),
    ]


def test_item_calls_name_their_leading_key_typed_or_plain() -> None:
    table = "arn:aws:dynamodb:us-east-1:123456789012:table/control"
    typed = of("dynamodb", "GetItem", TableName="control", Key={"pk": {"S": "pause#x"}, "sk": {"S": "pause"}})
    plain = of("dynamodb", "PutItem", TableName="control", Item={"pk": "pause#y", "sk": "pause", "state": "PAUSED"})
    assert typed == [Authorization("dynamodb:GetItem", table, {"dynamodb:LeadingKeys": ["pause#x"]})]
    assert plain == [Authorization("dynamodb:PutItem", table, {"dynamodb:LeadingKeys": ["pause#y"]})]


def test_a_query_names_the_partition_key_of_its_key_condition_written_or_built() -> None:
    written = of(
        "dynamodb",
        "Query",
        TableName="claims",
        KeyConditionExpression="#k = :v",
        ExpressionAttributeNames={"#k": "id"},
        ExpressionAttributeValues={":v": {"S": "saga#1"}},
    )
    built = of("dynamodb", "Query", TableName="claims", KeyConditionExpression=Key("id").eq("saga#2"))
    assert written[0].context == {"dynamodb:LeadingKeys": ["saga#1"]}
    assert built[0].context == {"dynamodb:LeadingKeys": ["saga#2"]}


def test_each_item_of_a_transaction_is_authorized_as_its_own_action() -> None:
    items = [
        {"ConditionCheck": {"TableName": "control", "Key": {"pk": {"S": "pause#x"}}, "ConditionExpression": "x"}},
        {"Put": {"TableName": "claims", "Item": {"id": {"S": "saga#1"}}}},
    ]
    assert [(a.action, a.context) for a in of("dynamodb", "TransactWriteItems", TransactItems=items)] == [
        ("dynamodb:ConditionCheckItem", {"dynamodb:LeadingKeys": ["pause#x"]}),
        ("dynamodb:PutItem", {"dynamodb:LeadingKeys": ["saga#1"]}),
    ]


def test_a_call_that_needs_no_permission_is_not_evaluated_and_an_unknown_one_fails_naming_it() -> None:
    assert of("sts", "GetCallerIdentity") == []
    with pytest.raises(UnknownOperationError, match="s3:PutObject: the local runtime does not know how AWS authorizes"):
        of("s3", "PutObject", Bucket="b", Key="k")
