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
