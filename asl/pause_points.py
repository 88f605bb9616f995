"""Pause and resume for Step Functions, which has neither: workflows check a control record at their pause points.

An operator pauses an execution by writing `pause#<execution ARN>` in the WorkflowControl table (state PAUSED and a
fresh `pause_id`; orchestrator/control/pausing.py). `PausePoints.wrap` rewrites a definition at synth time so that
before each named top-level state (a pause point) the execution looks at that record:

    <state>PauseCheck   GetItem (consistent) of the record -> $pause_<state> ({paused, id}: a variable of its own
                        per point, as a Parallel branch may not assign a variable an enclosing scope has)
    <state>Paused       PAUSED -> <state>Hold; otherwise on to <state>, its input unchanged
    <state>Hold         waits without polling: invokes the correlator's Register with waitForTaskToken for the
                        message `ExecutionResumed` keyed by the pause id; then back to <state>PauseCheck

Resuming marks the record RESUMED and puts `ExecutionResumed` (that pause id) on the bus; the correlator hands it to
the waiting Hold, or keeps it for a Hold that has not registered yet (a resume racing the check). The check after
the Hold makes "pause, resume, pause again" hold again, on the new pause id; an old resume cannot release it.

Semantics (README "Pause and resume"): a pause takes effect at the next pause point; the state running at that
moment finishes, and so do Map / Parallel branches already started. Pause points are the forward steps a workflow
names, never its compensations: a paused saga that fails still undoes what it did. A held execution stays RUNNING
(Step Functions knows no paused status); the execution's own timeout, if any, keeps running. Each pause point costs
two state transitions and a DynamoDB read per pass.

The step creates no resources: `grant` lets the state machine read the control records and nothing else of the
table; the definition gets the table's name as `${WorkflowControlTableName}` and the Register function's ARN as
`${CorrelatorRegisterFunctionArn}` (infra/constructs/workflow.py substitutions).
"""

from __future__ import annotations

import copy
import re
from dataclasses import dataclass
from typing import Any, Final

from asl.fields import DYNAMODB_TRANSIENT, LAMBDA_TRANSIENT, retry
from asl.rewrite import branch_holding, redirect
from schemas.tables import PAUSE_PARTITION_PREFIX, PAUSE_SORT_KEY

TABLE_PLACEHOLDER: Final = "WorkflowControlTableName"
REGISTER_PLACEHOLDER: Final = "CorrelatorRegisterFunctionArn"
# The control records' partition key: `pause#<execution ARN>` (orchestrator/control/pausing.py writes them).
# The states a pause point adds before <state>: <state>PauseCheck, <state>Paused, <state>Hold.
CHECK_SUFFIX: Final = "PauseCheck"  # reads the record before <state>
PAUSED_SUFFIX: Final = "Paused"  # the Choice on what it read
HOLD_SUFFIX: Final = "Hold"  # where a paused execution waits
PARTITION_PREFIX: Final = PAUSE_PARTITION_PREFIX
SORT_KEY: Final = PAUSE_SORT_KEY
# The message a held execution waits for (schemas/control.py ExecutionResumed, correlated by pause id).
RESUME_MESSAGE: Final = "ExecutionResumed"
# The longest a Standard execution lives (one year): a held execution waits at most that long.
LONGEST_HOLD_SECONDS: Final = 31_536_000


@dataclass(frozen=True)
class PausePoints:
    """The states of a definition before which an execution may be held (`states`, in any order): top-level ones,
    or states inside Parallel branches (a DAG's tasks), where each branch holds on its own and one resume releases
    them all (the correlator broadcasts `ExecutionResumed`)."""

    states: tuple[str, ...]

    def wrap(self, definition: dict[str, Any]) -> dict[str, Any]:
        """A copy of `definition` with a pause check before each of the pause points."""
        wrapped = copy.deepcopy(definition)
        for point in self.states:
            branch = branch_holding(wrapped, point)
            if branch is None:
                raise ValueError(f"the definition has no state {point!r} to pause before")
            if _in_map(wrapped, point):
                # A Hold's waiter id is the execution's and the state's: every iteration would share it.
                raise ValueError(f"{point!r} is inside a Map: pause before the Map instead")
            states: dict[str, Any] = branch["States"]
            added = self._states(point)
            clashes = sorted(set(added) & set(states))
            if clashes:
                raise ValueError(f"the pause check's states would replace states of the definition: {clashes}")
            redirect(branch, point, f"{point}{CHECK_SUFFIX}")
            states.update(added)
        return wrapped

    @staticmethod
    def _states(point: str) -> dict[str, Any]:
        check, paused, hold = f"{point}{CHECK_SUFFIX}", f"{point}{PAUSED_SUFFIX}", f"{point}{HOLD_SUFFIX}"
        variable = "pause_" + re.sub(r"[^A-Za-z0-9_]", "_", point)
        passthrough = "{% $states.input %}"
        return {
            check: {
                "Type": "Task",
                "Comment": f"Pause point before {point}: is this execution paused? (its control record, consistent)",
                "Resource": "arn:aws:states:::dynamodb:getItem",
                "Arguments": {
                    "TableName": "${" + TABLE_PLACEHOLDER + "}",
                    "Key": {
                        "pk": {"S": "{% '" + PARTITION_PREFIX + "' & $states.context.Execution.Id %}"},
                        "sk": {"S": SORT_KEY},
                    },
                    "ConsistentRead": True,
                },
                "Retry": [retry(DYNAMODB_TRANSIENT, max_attempts=4, max_delay_seconds=20)],
                # Assigned here, not in the Choice: a Choice's Assign would read the same values anyway.
                "Assign": {
                    variable: "{% {'paused': $exists($states.result.Item) and $states.result.Item.state.S = 'PAUSED',"
                    " 'id': $exists($states.result.Item) ? $states.result.Item.pause_id.S : ''} %}",
                },
                "Output": passthrough,
                "Next": paused,
            },
            paused: {
                "Type": "Choice",
                "Comment": f"Paused: hold before {point} until resumed. Otherwise go on.",
                "Choices": [{"Condition": "{% $" + variable + ".paused %}", "Next": hold}],
                "Default": point,
            },
            hold: {
                "Type": "Task",
                "Comment": f"Held before {point}: waits (no polling) for ExecutionResumed with this pause id, which "
                "the correlator hands over when it arrives, or at once if it came first; then checks again.",
                "Resource": "arn:aws:states:::lambda:invoke.waitForTaskToken",
                "Arguments": {
                    "FunctionName": "${" + REGISTER_PLACEHOLDER + "}",
                    "Payload": {
                        "message_name": RESUME_MESSAGE,
                        "correlation_key": "{% $" + variable + ".id %}",
                        # The same on every retry and redrive of this task: a match made for an earlier attempt is
                        # handed to the new one (functions/correlator `register`).
                        "waiter_id": "{% $states.context.Execution.Id & '/' & $states.context.State.Name %}",
                        "task_token": "{% $states.context.Task.Token %}",
                        "timeout_seconds": LONGEST_HOLD_SECONDS,
                    },
                },
                "Retry": [retry([*LAMBDA_TRANSIENT, "States.TaskFailed"], max_attempts=4, max_delay_seconds=20)],
                "Output": passthrough,
                "Next": check,
            },
        }


def _in_map(definition: dict[str, Any], state_name: str, *, inside: bool = False) -> bool:
    """Whether `state_name` is in a Map's iterations (at any depth) rather than at the top or in Parallel branches."""
    for name, state in definition.get("States", {}).items():
        if name == state_name:
            return inside
        processor = state.get("ItemProcessor") or state.get("Iterator")
        if processor and _in_map(processor, state_name, inside=True):
            return True
        if any(_in_map(branch, state_name, inside=inside) for branch in state.get("Branches", [])):
            return True
    return False


def is_pause_check(state_name: str) -> bool:
    """A state a pause point adds that only looks at the control record (`<state>PauseCheck`, `<state>Paused`);
    a `<state>Hold` is not one: an execution that enters it was held. Lets a path be read without the checks."""
    return state_name.endswith((CHECK_SUFFIX, PAUSED_SUFFIX))


def pause_points_of(definition: dict[str, Any]) -> list[str]:
    """The states of a wrapped definition before which an execution can be held (none: the workflow cannot be
    paused), at the top level or inside Parallel branches (a DAG's tasks)."""
    found = []
    for name, state in definition.get("States", {}).items():
        if name.endswith(CHECK_SUFFIX):
            found.append(name.removesuffix(CHECK_SUFFIX))
        for branch in state.get("Branches", []):
            found += pause_points_of(branch)
    return found


def held_before(current_states: list[str], points: list[str]) -> str | None:
    """The pause point an execution is held before, if it is in one of their Hold states now."""
    return next((point for point in points if f"{point}{HOLD_SUFFIX}" in current_states), None)
