"""Admission in the synthesized app: every event-started workflow begins with its own admission function
(asl/admission.py, functions/admission), which may write that workflow's start claims only."""

from __future__ import annotations

import json
from typing import Any

from asl.admission import PLACEHOLDER, begin_state, rejected_state
from schemas.tables import claim_prefix
from tests.infra.helpers import logical_id, resources, role_statements

WORKFLOW_TAG = "workflow"


def machines(template: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """The state machines by their workflow tag."""
    found = {}
    for machine in resources(template, "AWS::StepFunctions::StateMachine").values():
        properties = machine["Properties"]
        (workflow,) = [t["Value"] for t in properties["Tags"] if t["Key"] == WORKFLOW_TAG]
        found[workflow] = properties
    return found


def test_every_workflow_begins_with_admission_and_can_end_rejected(templates: dict[str, Any]) -> None:
    found = machines(templates["Workflows"])
    assert set(found) == {"order-saga", "agent-pipeline", "customer-onboarding"}
    for workflow, machine in found.items():
        definition = json.loads(machine["DefinitionString"])
        begin = definition["States"][definition["StartAt"]]
        expected = begin_state(
            workflow, following=begin["Next"], assign=begin.get("Assign"), output=begin.get("Output")
        )
        assert begin == expected, workflow
        assert definition["States"]["Rejected"] == rejected_state()
        assert definition["States"]["Duplicate"]["Type"] == "Succeed"


def test_each_admission_function_may_claim_its_own_workflows_keys_only(templates: dict[str, Any]) -> None:
    workflows = templates["Workflows"]
    functions = resources(workflows, "AWS::Lambda::Function")
    for workflow, machine in machines(workflows).items():
        admission = logical_id(machine["DefinitionSubstitutions"][PLACEHOLDER])
        properties = functions[admission]["Properties"]
        assert properties["Handler"] == "functions.admission.handler.handler"
        writes = [
            s
            for s in role_statements(workflows, logical_id(properties["Role"]))
            if "dynamodb:" in json.dumps(s["Action"])
        ]
        (claims,) = writes
        assert claims["Action"] == "dynamodb:PutItem"
        assert "Idempotency" in json.dumps(claims["Resource"])
        assert claims["Condition"] == {
            "ForAllValues:StringLike": {"dynamodb:LeadingKeys": [f"{claim_prefix(workflow)}*"]}
        }
        # The state machine invokes it, and writes no claim itself.
        machine_statements = role_statements(workflows, logical_id(machine["RoleArn"]))
        invoked = [s for s in machine_statements if s["Action"] == "lambda:InvokeFunction"]
        assert admission in {logical_id(r) for s in invoked for r in s["Resource"]}
        assert not [
            s for s in machine_statements if s["Action"] == "dynamodb:PutItem" and "Idempotency" in json.dumps(s)
        ]
