"""Intrinsic functions resolved as CloudFormation does, and refused loudly when the local runtime cannot."""

from __future__ import annotations

from typing import Any

import pytest

from orchestrator.local.intrinsics import Scope, UnsupportedIntrinsic, references, resolve


@pytest.fixture
def scope() -> Scope:
    return Scope(
        account="123456789012",
        region="us-east-1",
        stack_name="Orchestrator-dev-EventPlane",
        parameters={"Stage": "dev"},
        refs={"Bus": "orchestrator-dev", "Queue": "https://sqs.local/123456789012/q"},
        attributes={"Bus": {"Arn": "arn:aws:events:us-east-1:123456789012:event-bus/orchestrator-dev"}},
        exports={"Plane:BusArn": "arn:aws:events:us-east-1:123456789012:event-bus/orchestrator-dev"},
        conditions={
            "IsProd": {"Fn::Equals": [{"Ref": "Stage"}, "prod"]},
            "IsDev": {"Fn::Not": [{"Condition": "IsProd"}]},
        },
    )


@pytest.mark.parametrize(
    ("template", "expected"),
    [
        ({"Ref": "Bus"}, "orchestrator-dev"),
        ({"Ref": "Stage"}, "dev"),
        ({"Ref": "AWS::AccountId"}, "123456789012"),
        ({"Ref": "AWS::Partition"}, "aws"),
        ({"Fn::GetAtt": ["Bus", "Arn"]}, "arn:aws:events:us-east-1:123456789012:event-bus/orchestrator-dev"),
        ({"Fn::GetAtt": "Bus.Arn"}, "arn:aws:events:us-east-1:123456789012:event-bus/orchestrator-dev"),
        (
            {"Fn::Join": ["", ["arn:", {"Ref": "AWS::Partition"}, ":iam::", {"Ref": "AWS::AccountId"}, ":root"]]},
            "arn:aws:iam::123456789012:root",
        ),
        ({"Fn::Sub": "cdk-${AWS::AccountId}-${AWS::Region}-${Bus}"}, "cdk-123456789012-us-east-1-orchestrator-dev"),
        ({"Fn::Sub": "${Bus.Arn}/rule"}, "arn:aws:events:us-east-1:123456789012:event-bus/orchestrator-dev/rule"),
        ({"Fn::Sub": ["${Name}-${Stage}", {"Name": {"Ref": "Bus"}}]}, "orchestrator-dev-dev"),
        ({"Fn::Sub": "literal ${!NotAVariable}"}, "literal ${NotAVariable}"),
        ({"Fn::Select": [1, {"Fn::Split": ["/", {"Ref": "Queue"}]}]}, ""),
        ({"Fn::Select": [3, {"Fn::Split": ["/", {"Ref": "Queue"}]}]}, "123456789012"),
        ({"Fn::If": ["IsProd", "retain", "destroy"]}, "destroy"),
        ({"Fn::If": ["IsDev", "yes", "no"]}, "yes"),
        ({"Fn::And": [{"Condition": "IsDev"}, {"Fn::Or": [{"Fn::Equals": ["a", "b"]}, {"Fn::Equals": [1, 1]}]}]}, True),
        ({"Fn::ImportValue": "Plane:BusArn"}, "arn:aws:events:us-east-1:123456789012:event-bus/orchestrator-dev"),
        ({"Fn::GetAZs": ""}, ["us-east-1a", "us-east-1b", "us-east-1c"]),
    ],
)
def test_intrinsic_resolves_as_cloudformation_does(scope: Scope, template: Any, expected: Any) -> None:
    assert resolve(template, scope) == expected


def test_no_value_removes_the_property_and_the_list_item(scope: Scope) -> None:
    template = {
        "Name": {"Fn::If": ["IsProd", "prod-name", {"Ref": "AWS::NoValue"}]},
        "Tags": [{"Ref": "AWS::NoValue"}, "kept"],
        "Nested": {"Keep": 1},
    }
    assert resolve(template, scope) == {"Tags": ["kept"], "Nested": {"Keep": 1}}


def test_a_policy_condition_block_is_data_not_a_condition_reference(scope: Scope) -> None:
    statement = {"Condition": {"Bool": {"aws:SecureTransport": "false"}}}
    assert resolve(statement, scope) == statement


@pytest.mark.parametrize(
    ("template", "message"),
    [
        ({"Ref": "Missing"}, "Ref to Missing"),
        ({"Fn::GetAtt": ["Bus", "Nope"]}, "Fn::GetAtt Bus.Nope"),
        ({"Fn::ImportValue": "Other:Export"}, "Fn::ImportValue Other:Export"),
        ({"Fn::Transform": {"Name": "AWS::Include"}}, "Fn::Transform is not supported"),
        ({"Fn::If": ["Undefined", 1, 2]}, "condition Undefined is not defined"),
    ],
)
def test_what_cannot_be_resolved_is_named(scope: Scope, template: Any, message: str) -> None:
    with pytest.raises(UnsupportedIntrinsic, match=message):
        resolve(template, scope)


def test_references_are_the_dependencies_of_a_resource() -> None:
    properties = {
        "EventBusName": {"Ref": "Bus"},
        "Targets": [{"Arn": {"Fn::GetAtt": ["Function", "Arn"]}, "Dlq": {"Fn::GetAtt": "Queue.Arn"}}],
        "Name": {"Fn::Sub": ["${Prefix}-${Table}-${AWS::Region}", {"Prefix": {"Ref": "Stage"}}]},
        "Account": {"Ref": "AWS::AccountId"},
    }
    assert references(properties) == {"Bus", "Function", "Queue", "Table", "Stage"}
