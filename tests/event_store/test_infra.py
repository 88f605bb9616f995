"""The event store as synthesized: the table and its index (State), the appender's two rules into one queue with
their dead-letter queues and its least privilege (EventPlane), the control API's read access (Control). cdk-nag and
cfn-lint run on every stack in tests/infra/test_quality_gates.py; Control's cfn-lint is run here."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from cfnlint.api import lint

import functions.event_store as layout
from functions.event_store import logic
from infra.constructs import event_store as construct
from schemas.stages import load_stage
from schemas.tables import EVENT_STORE_TTL
from tests.infra.helpers import logical_id, resources
from tests.infra.test_workflows_stack import _statements

ACCOUNT_STATE_MACHINES = {
    "Fn::Join": ["", ["arn:", {"Ref": "AWS::Partition"}, ":states:", {"Ref": "AWS::Region"}, ":",
                      {"Ref": "AWS::AccountId"}, ":stateMachine:*"]]
}  # fmt: skip


@pytest.fixture(scope="module")
def control(assembly_dir: Path) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads((assembly_dir / "Orchestrator-dev-Control.template.json").read_text("utf-8"))
    return loaded


def test_infra_names_what_the_functions_define() -> None:
    assert (construct.STATUS_CHANGE_SOURCE, construct.STATUS_CHANGE_TYPE) == (
        logic.STATUS_CHANGE_SOURCE,
        logic.STATUS_CHANGE_TYPE,
    )


def test_the_table_is_keyed_on_the_event_id_and_indexed_by_correlation_and_time(templates: dict[str, Any]) -> None:
    (table,) = [t["Properties"] for k, t in resources(templates["State"], "AWS::DynamoDB::Table").items()
                if k.startswith(layout.TABLE_LOGICAL_ID)]  # fmt: skip
    assert table["KeySchema"] == [{"AttributeName": layout.PARTITION_KEY, "KeyType": "HASH"}]
    (index,) = table["GlobalSecondaryIndexes"]
    assert index["IndexName"] == layout.BY_CORRELATION_INDEX
    assert index["KeySchema"] == [
        {"AttributeName": layout.INDEX_PARTITION_KEY, "KeyType": "HASH"},
        {"AttributeName": layout.INDEX_SORT_KEY, "KeyType": "RANGE"},
    ]
    assert index["Projection"] == {"ProjectionType": "ALL"}
    assert table["SSESpecification"] == {"SSEEnabled": True}
    assert table["TimeToLiveSpecification"] == {"AttributeName": EVENT_STORE_TTL, "Enabled": True}


def test_the_appender_is_told_the_stages_retention(templates: dict[str, Any]) -> None:
    (appender,) = [f["Properties"] for k, f in resources(templates["EventPlane"], "AWS::Lambda::Function").items()
                   if k.startswith("EventStoreAppender")]  # fmt: skip
    variables = appender["Environment"]["Variables"]
    assert variables["EVENT_STORE_RETENTION_DAYS"] == str(load_stage("dev").event_store_retention_days) == "30"
    assert load_stage("prod").event_store_retention_days == 365


def test_every_event_of_the_bus_and_every_status_change_go_to_one_queue(templates: dict[str, Any]) -> None:
    rules = {k: r["Properties"] for k, r in resources(templates["EventPlane"], "AWS::Events::Rule").items()
             if k.startswith("EventStore")}  # fmt: skip
    (bus_rule,) = [r for r in rules.values() if "EventBusName" in r]
    (status_rule,) = [r for r in rules.values() if "EventBusName" not in r]  # the default bus
    assert bus_rule["EventPattern"] == {"source": [{"prefix": ""}]}
    assert status_rule["EventPattern"] == {
        "source": ["aws.states"],
        "detail-type": ["Step Functions Execution Status Change"],
    }
    (bus_target,), (status_target,) = bus_rule["Targets"], status_rule["Targets"]
    assert bus_target["Arn"] == status_target["Arn"]
    assert logical_id(bus_target["Arn"]).startswith("EventStoreAppenderQueue")
    assert bus_target["DeadLetterConfig"] != status_target["DeadLetterConfig"], "each target its own DLQ"
    queue = resources(templates["EventPlane"], "AWS::SQS::Queue")[logical_id(bus_target["Arn"])]["Properties"]
    assert "deadLetterTargetArn" in queue["RedrivePolicy"] and queue["SqsManagedSseEnabled"]


def test_the_appender_may_only_put_items_and_read_state_machine_tags(templates: dict[str, Any]) -> None:
    statements = _statements(templates["EventPlane"], "EventStoreAppenderConsumerFunctionServiceRole")
    granted = {
        action
        for s in statements
        for action in ([s["Action"]] if isinstance(s["Action"], str) else s["Action"])
        if not action.startswith(("xray:", "sqs:"))
    }
    assert granted == {"dynamodb:PutItem", "states:ListTagsForResource"}
    (put,) = [s for s in statements if s["Action"] == "dynamodb:PutItem"]
    assert "EventStore" in json.dumps(put["Resource"]) and "index" not in json.dumps(put["Resource"])
    (tags,) = [s for s in statements if s["Action"] == "states:ListTagsForResource"]
    assert tags["Resource"] == ACCOUNT_STATE_MACHINES


def test_the_control_api_may_query_the_index_and_nothing_else_of_the_table(control: dict[str, Any]) -> None:
    on_store = [s for s in _statements(control, "ControlApiFunctionServiceRole") if "EventStore" in json.dumps(s)]
    (query,) = on_store
    assert query["Action"] == "dynamodb:Query"
    assert json.dumps(query["Resource"]).endswith(f'/index/{layout.BY_CORRELATION_INDEX}"]]}}')


def test_cfn_lint_finds_no_error_in_the_control_stack(assembly_dir: Path) -> None:
    text = (assembly_dir / "Orchestrator-dev-Control.template.json").read_text(encoding="utf-8")
    assert [m.rule.id for m in lint(text) if m.rule.id.startswith("E")] == []
