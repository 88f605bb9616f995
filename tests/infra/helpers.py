"""Small readers over synthesized CloudFormation templates."""

from __future__ import annotations

from typing import Any


def resources(template: dict[str, Any], resource_type: str) -> dict[str, dict[str, Any]]:
    """Logical id -> resource, for every resource of `resource_type`."""
    return {k: v for k, v in template["Resources"].items() if v["Type"] == resource_type}


def only(template: dict[str, Any], resource_type: str) -> dict[str, Any]:
    """The one resource of `resource_type`'s properties; fails when there is not exactly one."""
    found = resources(template, resource_type)
    assert len(found) == 1, f"expected one {resource_type}, found {sorted(found)}"
    properties: dict[str, Any] = next(iter(found.values()))["Properties"]
    return properties


def logical_id(ref: Any) -> str:
    """The logical id behind a `Ref` or `Fn::GetAtt`."""
    if "Ref" in ref:
        return str(ref["Ref"])
    return str(ref["Fn::GetAtt"][0])


def role_statements(template: dict[str, Any], role_id: str) -> list[dict[str, Any]]:
    """Every statement of the template's `AWS::IAM::Policy` resources attached to the role `role_id` (logical id)."""
    return [
        statement
        for policy in resources(template, "AWS::IAM::Policy").values()
        if logical_id(policy["Properties"]["Roles"][0]) == role_id
        for statement in policy["Properties"]["PolicyDocument"]["Statement"]
    ]


def started_through_live(template: dict[str, Any], target: dict[str, Any]) -> str:
    """The state machine (logical id) a rule target starts, asserting that it starts it through its `live` alias: an
    alias named live, routing all to a version of that state machine."""
    alias = template["Resources"][logical_id(target["Arn"])]
    assert alias["Type"] == "AWS::StepFunctions::StateMachineAlias", f"{target['Arn']} is not an alias"
    assert alias["Properties"]["Name"] == "live"
    (route,) = alias["Properties"]["RoutingConfiguration"]
    assert route["Weight"] == 100
    version = template["Resources"][logical_id(route["StateMachineVersionArn"])]
    assert version["Type"] == "AWS::StepFunctions::StateMachineVersion"
    return logical_id(version["Properties"]["StateMachineArn"])


def live_alias_of(template: dict[str, Any], machine_id: str) -> str:
    """The logical id of the `live` alias of the state machine `machine_id`."""
    (found,) = [
        alias_id
        for alias_id, alias in resources(template, "AWS::StepFunctions::StateMachineAlias").items()
        if started_through_live(template, {"Arn": {"Ref": alias_id}}) == machine_id
    ]
    return found


# What EventBridge's role for a workflow's alias may do: start it through `live` only (infra/constructs/live_alias.py).
def start_live_statement(machine_id: str) -> dict[str, Any]:
    return {
        "Action": "states:StartExecution",
        "Condition": {"StringEquals": {"states:StateMachineQualifier": "live"}},
        "Effect": "Allow",
        "Resource": {"Ref": machine_id},
    }
