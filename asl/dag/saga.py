"""The compensations of a saga DAG (compile.py's docstring, "Saga"): each compensable task records its completion,
and a failure anywhere undoes, in reverse topological order, each recorded task with its compensation agent."""

from __future__ import annotations

from typing import Any, Final

from asl.dag.graph import Graph
from asl.dag.spec import DagSpec, Task
from asl.dag.states import (
    DYNAMODB_RETRY,
    MARKER_PREFIX,
    PUT_RETRY,
    TABLE,
    agent_request,
    error_name,
    mapped,
    task_retries,
)
from asl.fields import jsonata

MARKER_TTL_SECONDS: Final = 30 * 86_400


def _marker_key(name: str) -> dict[str, Any]:
    """The key of the record that the task `name` of this execution completed (WorkflowControl, `dag#` partitions)."""
    return {
        "pk": {"S": f"{{% '{MARKER_PREFIX}' & $states.context.Execution.Id %}}"},
        "sk": {"S": f"done#{name}"},
    }


def record(name: str) -> dict[str, Any]:
    """The state that records the task `name` completed, with its output (what its compensation reads)."""
    return {
        "Type": "Task",
        "Comment": f"{name} completed: recorded with its output, so that a later failure compensates it.",
        "Resource": "arn:aws:states:::dynamodb:putItem",
        "Arguments": {
            "TableName": TABLE,
            "Item": {
                **_marker_key(name),
                "result": {"S": f"{{% $string($states.input.{name}) %}}"},
                "expires_at": {"N": f"{{% $string($floor($millis() / 1000) + {MARKER_TTL_SECONDS}) %}}"},
            },
        },
        "Retry": [DYNAMODB_RETRY],
        "Output": "{% $states.input %}",
    }


def saga(spec: DagSpec, graph: Graph, run: dict[str, Any]) -> dict[str, Any]:
    """`Run` (the DAG's body, the branch `run`, inside one Parallel whose Catch starts the compensations), the
    compensations, and `Failed`."""
    undo = [spec.task(name) for name in reversed(graph.order) if spec.task(name).compensation]
    states: dict[str, Any] = {
        "Run": {
            "Type": "Parallel",
            "Comment": "The DAG, inside one branch so that any failure reaches the compensations.",
            "Branches": [run],
            "Output": "{% $states.result[0] %}",
            "Catch": [
                {
                    "ErrorEquals": ["States.ALL"],
                    "Assign": {
                        "failure": "{% $states.errorOutput %}",
                        "compensated": "{% [] %}",
                        "not_compensated": "{% [] %}",
                    },
                    "Next": f"Undo {undo[0].name}?",
                }
            ],
            "Next": "Done",
        }
    }
    for index, task in enumerate(undo):
        following = f"Undo {undo[index + 1].name}?" if index + 1 < len(undo) else "Failed"
        states.update(_undo(spec, task, following))
    states["Failed"] = {
        "Type": "Fail",
        "Comment": "The DAG failed; what completed was compensated, in reverse dependency order.",
        "Error": jsonata(error_name("$failure.Error")),
        "Cause": "{% $string({'cause': $type($failure.Cause) = 'string' ? $failure.Cause : '', "
        "'compensated': $compensated, 'not_compensated': $not_compensated}) %}",
    }
    return states


def _undo(spec: DagSpec, task: Task, following: str) -> dict[str, Any]:
    compensation = task.compensation
    assert compensation is not None
    check, undo, gave_up = f"Undo {task.name}?", f"Undo {task.name}", f"Undo {task.name}: failed"
    arguments = mapped(compensation.input, "$result", "$parse($states.input.Item.result.S)")
    return {
        check: {
            "Type": "Task",
            "Comment": f"Did {task.name} complete? Only a completed task is compensated.",
            "Resource": "arn:aws:states:::dynamodb:getItem",
            "Arguments": {
                "TableName": TABLE,
                "Key": _marker_key(task.name),
                "ConsistentRead": True,
            },
            "Retry": [DYNAMODB_RETRY],
            "Output": "{% $states.result %}",
            "Next": f"Undo {task.name}: completed?",
        },
        f"Undo {task.name}: completed?": {
            "Type": "Choice",
            "Choices": [{"Condition": "{% $exists($states.input.Item) %}", "Next": undo}],
            "Default": following,
        },
        undo: {
            "Type": "Task",
            "Comment": f"Compensation of {task.name}: agent {compensation.agent}, with $result its output.",
            "Resource": "arn:aws:states:::events:putEvents.waitForTaskToken",
            "Arguments": {
                "Entries": [
                    agent_request(spec, undo, compensation.agent, task, arguments, compensation.timeout_seconds)
                ]
            },
            "TimeoutSeconds": compensation.timeout_seconds,
            "Retry": [PUT_RETRY, *task_retries(compensation.retry)],
            "Catch": [
                {
                    "ErrorEquals": ["States.ALL"],
                    "Assign": {"not_compensated": f"{{% $append($not_compensated, ['{task.name}']) %}}"},
                    "Next": gave_up,
                }
            ],
            "Assign": {"compensated": f"{{% $append($compensated, ['{task.name}']) %}}"},
            "Next": following,
        },
        gave_up: {
            "Type": "Pass",
            "Comment": f"{task.name} could not be compensated; the other compensations still run.",
            "Next": following,
        },
    }
