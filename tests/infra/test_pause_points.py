"""Pause points as synthesized (asl/pause_points.py): every workflow's state machine may check and read the pause
records and nothing else of the WorkflowControl table; every Lambda task at a pause point checks for a pause itself,
its handler is wrapped by functions/pause_check.py, and its function may read those records only, from the table
named in its environment. A function called at a pause point without the check would take the execution's ARN as
part of its request: these tests name it."""

from __future__ import annotations

import importlib
import json
from typing import Any

import pytest

from asl.pause_points import CHECK_SUFFIX, HOLD_SUFFIX, functions_checking, pause_points_of
from schemas.tables import PAUSE_PARTITION_PREFIX, PAUSE_TABLE_VARIABLE
from tests.infra.helpers import logical_id, resources, role_statements

PAUSE_RECORDS = {"ForAllValues:StringLike": {"dynamodb:LeadingKeys": [f"{PAUSE_PARTITION_PREFIX}*"]}}
# The Lambda tasks at pause points, by workflow: the saga's three steps, and the pipeline's two Lambda steps.
CHECKING_HANDLERS = {
    "OrderSaga": {
        "functions.inventory.handler.handler",
        "functions.payments.handler.handler",
        "functions.shipping.handler.handler",
    },
    "AgentPipeline": {"functions.triage.handler.handler", "functions.synthesis.handler.handler"},
    "Dag": set(),  # a DAG's tasks are agents' events: each has its one-state check
}


@pytest.fixture(scope="module")
def workflows(templates: dict[str, Any]) -> dict[str, Any]:
    template: dict[str, Any] = templates["Workflows"]
    return template


def _machines(template: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {k: r["Properties"] for k, r in resources(template, "AWS::StepFunctions::StateMachine").items()}


def _on_pause_records(statements: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [s for s in statements if s.get("Condition") == PAUSE_RECORDS]


def _is_pause_checked(handler: Any) -> bool:
    """Whether functions/pause_check.py's wrapper is somewhere in the handler's chain of decorators (by its code:
    functools.wraps gives every wrapper the handler's own names)."""
    while handler is not None:
        if handler.__code__.co_qualname == "pause_checked.<locals>.checked":
            return True
        handler = getattr(handler, "__wrapped__", None)
    return False


@pytest.mark.parametrize("workflow", sorted(CHECKING_HANDLERS))
def test_each_workflows_pause_points_check_in_their_task_or_in_one_state(
    workflows: dict[str, Any], workflow: str
) -> None:
    (machine_id,) = [k for k in _machines(workflows) if k.startswith(workflow)]
    machine = _machines(workflows)[machine_id]
    definition = json.loads(machine["DefinitionString"])
    points = pause_points_of(definition)
    placeholders = functions_checking(definition)
    substitutions = machine["DefinitionSubstitutions"]
    functions = resources(workflows, "AWS::Lambda::Function")

    checking = {functions[logical_id(substitutions[p[2:-1]])]["Properties"]["Handler"] for p in placeholders}
    assert checking == CHECKING_HANDLERS[workflow]
    assert points, "the workflow can be paused"
    states = json.dumps(definition)
    for point in points:
        assert f'"{point}{HOLD_SUFFIX}"' in states
    # The points whose task does not check have their one-state check (a DAG: all of them).
    with_check_state = [p for p in points if f'"{p}{CHECK_SUFFIX}"' in states]
    assert len(with_check_state) == len(points) - len(placeholders)
    # The state machine may check and read the records, nothing else of the table, nor write them.
    (granted,) = _on_pause_records(role_statements(workflows, logical_id(machine["RoleArn"])))
    assert granted["Action"] == ["dynamodb:ConditionCheckItem", "dynamodb:GetItem"]
    assert "WorkflowControl" in granted["Resource"]["Fn::ImportValue"]


@pytest.mark.parametrize("handler", sorted(set().union(*CHECKING_HANDLERS.values())))
def test_a_function_at_a_pause_point_checks_and_may_only_read_the_pause_records(
    workflows: dict[str, Any], handler: str
) -> None:
    (function,) = [
        f["Properties"]
        for f in resources(workflows, "AWS::Lambda::Function").values()
        if f["Properties"]["Handler"] == handler
    ]
    module, attribute = handler.rsplit(".", 1)

    assert _is_pause_checked(getattr(importlib.import_module(module), attribute))
    assert PAUSE_TABLE_VARIABLE in function["Environment"]["Variables"]
    (granted,) = _on_pause_records(role_statements(workflows, logical_id(function["Role"])))
    assert granted["Action"] == "dynamodb:GetItem"
    assert "WorkflowControl" in granted["Resource"]["Fn::ImportValue"]


def test_a_function_not_at_a_pause_point_is_not_granted_the_pause_records(workflows: dict[str, Any]) -> None:
    checking = set().union(*CHECKING_HANDLERS.values())
    for function in resources(workflows, "AWS::Lambda::Function").values():
        properties = function["Properties"]
        if properties.get("Handler") in checking or "Role" not in properties:
            continue
        assert not _on_pause_records(role_statements(workflows, logical_id(properties["Role"]))), properties["Handler"]
