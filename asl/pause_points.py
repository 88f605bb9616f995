"""Pause and resume for Step Functions, which has neither: workflows check a control record at their pause points.

An operator pauses an execution by writing `pause#<execution ARN>` in the WorkflowControl table (state PAUSED and a
fresh `pause_id`; orchestrator/control/pausing.py). `PausePoints.wrap` rewrites a definition at synth time so that
each named state (a pause point) is reached only once that record does not say PAUSED. The check costs no state
transition, or one, while nothing is paused:

- A point that is a Lambda task (`lambda:invoke` with an object payload) checks itself: the rewrite adds the
  execution's ARN to its payload (`PAUSE_CHECK_FIELD`), and the function (functions/pause_check.py) reads the record
  first and fails with `PauseInForce` while it says PAUSED. The rewrite puts a Catch of that error first (and a
  Retry of it with no attempts, so no retrier of the task repeats it) into the hold below. No state is added to the
  path: the saga's happy path is its business states only.
- Any other point gets one state before it, `<state>PauseCheck`: a DynamoDB ConditionCheck (TransactWriteItems) that
  the record is absent or not PAUSED. It fails with `DynamoDb.TransactionCanceledException` otherwise, caught into
  the hold. A Choice cannot read a table and a Task cannot branch: failing the condition is the one-state check.

The hold (entered only when paused, so its transitions cost nothing on the way through):

    <state>PauseRead    GetItem (consistent) of the record -> $pause_<state> ({paused, id}: a variable of its own
                        per point, as a Parallel branch may not assign a variable an enclosing scope has)
    <state>Paused       PAUSED -> <state>Hold; otherwise (resumed meanwhile, or a transaction conflict rather than
                        the condition) on to <state>, its input unchanged
    <state>Hold         waits without polling: invokes the correlator's Register with waitForTaskToken for the
                        message `ExecutionResumed` keyed by the pause id; then back to the check (the task itself,
                        or <state>PauseCheck)

Resuming marks the record RESUMED and puts `ExecutionResumed` (that pause id) on the bus; the correlator hands it to
the waiting Hold, or keeps it for a Hold that has not registered yet (a resume racing the check). The check after
the Hold makes "pause, resume, pause again" hold again, on the new pause id; an old resume cannot release it.

Semantics (docs, "Pause and resume"): a pause takes effect at the next pause point; the state running at that
moment finishes, and so do Map / Parallel branches already started. Pause points are the forward steps a workflow
names, never its compensations: a paused saga that fails still undoes what it did. A held execution stays RUNNING
(Step Functions knows no paused status); the execution's own timeout, if any, keeps running.

The step creates no resources: `grant` (infra/constructs/workflow.py `grant_pause_checks`) lets the state machine,
and the functions that check themselves (`functions_checking`), read the control records and nothing else of the
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
from schemas.tables import (
    PAUSE_CHECK_FIELD,
    PAUSE_IN_FORCE_ERROR,
    PAUSE_PARTITION_PREFIX,
    PAUSE_SORT_KEY,
    PAUSED_STATE,
)

TABLE_PLACEHOLDER: Final = "WorkflowControlTableName"
REGISTER_PLACEHOLDER: Final = "CorrelatorRegisterFunctionArn"
# The control records' partition key: `pause#<execution ARN>` (orchestrator/control/pausing.py writes them).
# The states a pause point adds (see the module docstring).
CHECK_SUFFIX: Final = "PauseCheck"  # the one-state check before a point that cannot check itself
READ_SUFFIX: Final = "PauseRead"  # reads the record of a paused execution (its pause id)
PAUSED_SUFFIX: Final = "Paused"  # the Choice on what it read
HOLD_SUFFIX: Final = "Hold"  # where a paused execution waits
LAMBDA_INVOKE: Final = "arn:aws:states:::lambda:invoke"
# What a failed ConditionCheck raises through the AWS SDK integration: `<Service>.<Exception>`, the service in
# the SDK's PascalCase ("DynamoDb", not the optimized integration's "DynamoDB").
CHECK_FAILED: Final = "DynamoDb.TransactionCanceledException"
DYNAMODB_SDK_TRANSIENT: Final = (
    "DynamoDb.ProvisionedThroughputExceededException",
    "DynamoDb.ThrottlingException",
    "DynamoDb.RequestLimitExceededException",
    "DynamoDb.InternalServerErrorException",
)
PASSTHROUGH: Final = "{% $states.input %}"
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
        """A copy of `definition` with a pause check at each of the pause points."""
        if definition.get("QueryLanguage") != "JSONata":
            raise ValueError("pause points are written in JSONata: the definition's QueryLanguage must be JSONata")
        wrapped = copy.deepcopy(definition)
        for point in self.states:
            branch = branch_holding(wrapped, point)
            if branch is None:
                raise ValueError(f"the definition has no state {point!r} to pause before")
            if _in_map(wrapped, point):
                # A Hold's waiter id is the execution's and the state's: every iteration would share it.
                raise ValueError(f"{point!r} is inside a Map: pause before the Map instead")
            states: dict[str, Any] = branch["States"]
            if states[point].get("QueryLanguage", "JSONata") != "JSONata":
                raise ValueError(f"{point!r} is a JSONPath state: pause points are written in JSONata")
            if checks_itself(states[point]):
                _check_in_task(states[point], point)
                added = _hold(point, back_to=point)
            else:
                redirect(branch, point, f"{point}{CHECK_SUFFIX}")
                added = {**_check_state(point), **_hold(point, back_to=f"{point}{CHECK_SUFFIX}")}
            clashes = sorted(set(added) & set(states))
            if clashes:
                raise ValueError(f"the pause check's states would replace states of the definition: {clashes}")
            states.update(added)
        return wrapped


def checks_itself(state: dict[str, Any]) -> bool:
    """Whether a pause point's state can check for a pause itself: a Lambda task (request-response) whose payload is
    an object, to which the execution's ARN can be added for functions/pause_check.py."""
    arguments = state.get("Arguments")
    return (
        state.get("Type") == "Task"
        and state.get("Resource") == LAMBDA_INVOKE
        and isinstance(arguments, dict)
        and isinstance(arguments.get("Payload"), dict)
    )


def _check_in_task(state: dict[str, Any], point: str) -> None:
    """The Lambda task `state` made to check for a pause first (see the module docstring)."""
    payload = state["Arguments"]["Payload"]
    if PAUSE_CHECK_FIELD in payload:
        raise ValueError(f"{point!r}: its payload has a {PAUSE_CHECK_FIELD!r} field already")
    payload[PAUSE_CHECK_FIELD] = "{% $states.context.Execution.Id %}"
    # First in both lists: a retrier or catcher of States.ALL / States.TaskFailed further down would match it too.
    state["Retry"] = [{"ErrorEquals": [PAUSE_IN_FORCE_ERROR], "MaxAttempts": 0}, *state.get("Retry", [])]
    state["Catch"] = [
        {"ErrorEquals": [PAUSE_IN_FORCE_ERROR], "Output": PASSTHROUGH, "Next": f"{point}{READ_SUFFIX}"},
        *state.get("Catch", []),
    ]


def _record_key() -> dict[str, Any]:
    return {
        "pk": {"S": "{% '" + PARTITION_PREFIX + "' & $states.context.Execution.Id %}"},
        "sk": {"S": SORT_KEY},
    }


def _check_state(point: str) -> dict[str, Any]:
    """`<point>PauseCheck`: on to `point` unless the record says PAUSED, into the hold if it does."""
    return {
        f"{point}{CHECK_SUFFIX}": {
            "Type": "Task",
            "Comment": f"Pause point before {point}: on unless this execution is paused (its control record says so)",
            "Resource": "arn:aws:states:::aws-sdk:dynamodb:transactWriteItems",
            "Arguments": {
                "TransactItems": [
                    {
                        "ConditionCheck": {
                            "TableName": "${" + TABLE_PLACEHOLDER + "}",
                            "Key": _record_key(),
                            "ConditionExpression": "attribute_not_exists(pk) OR #state <> :paused",
                            "ExpressionAttributeNames": {"#state": "state"},
                            "ExpressionAttributeValues": {":paused": {"S": PAUSED_STATE}},
                        }
                    }
                ]
            },
            "Retry": [retry(DYNAMODB_SDK_TRANSIENT, max_attempts=4, max_delay_seconds=20)],
            "Catch": [{"ErrorEquals": [CHECK_FAILED], "Output": PASSTHROUGH, "Next": f"{point}{READ_SUFFIX}"}],
            "Output": PASSTHROUGH,
            "Next": point,
        }
    }


def _hold(point: str, *, back_to: str) -> dict[str, Any]:
    """The states a paused execution goes through at `point`, coming back to `back_to` (the check) once resumed."""
    read, paused, hold = f"{point}{READ_SUFFIX}", f"{point}{PAUSED_SUFFIX}", f"{point}{HOLD_SUFFIX}"
    variable = "pause_" + re.sub(r"[^A-Za-z0-9_]", "_", point)
    return {
        read: {
            "Type": "Task",
            "Comment": f"Paused before {point}? Reads the control record (consistent) for its pause id.",
            "Resource": "arn:aws:states:::dynamodb:getItem",
            "Arguments": {"TableName": "${" + TABLE_PLACEHOLDER + "}", "Key": _record_key(), "ConsistentRead": True},
            "Retry": [retry(DYNAMODB_TRANSIENT, max_attempts=4, max_delay_seconds=20)],
            # Assigned here, not in the Choice: a Choice's Assign would read the same values anyway.
            "Assign": {
                variable: "{% {'paused': $exists($states.result.Item) and $states.result.Item.state.S = '"
                + PAUSED_STATE
                + "', 'id': $exists($states.result.Item) ? $states.result.Item.pause_id.S : ''} %}",
            },
            "Output": PASSTHROUGH,
            "Next": paused,
        },
        paused: {
            "Type": "Choice",
            "Comment": f"Paused: hold before {point} until resumed. Otherwise (resumed meanwhile) go on.",
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
            "Output": PASSTHROUGH,
            "Next": back_to,
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
    """A state a pause point adds that only looks at the control record (`<state>PauseCheck`, `<state>PauseRead`,
    `<state>Paused`); a `<state>Hold` is not one: an execution that enters it was held. Lets a path be read without
    the checks."""
    return state_name.endswith((CHECK_SUFFIX, READ_SUFFIX, PAUSED_SUFFIX))


def _is_hold(state_name: str, state: dict[str, Any]) -> bool:
    payload = state.get("Arguments", {}).get("Payload")
    return (
        state_name.endswith(HOLD_SUFFIX) and isinstance(payload, dict) and payload.get("message_name") == RESUME_MESSAGE
    )


def pause_points_of(definition: dict[str, Any]) -> list[str]:
    """The states of a wrapped definition before which an execution can be held (none: the workflow cannot be
    paused), at the top level or inside Parallel branches (a DAG's tasks): each has a Hold."""
    found = []
    for name, state in definition.get("States", {}).items():
        if _is_hold(name, state):
            found.append(name.removesuffix(HOLD_SUFFIX))
        for branch in state.get("Branches", []):
            found += pause_points_of(branch)
    return found


def functions_checking(definition: dict[str, Any]) -> list[str]:
    """The `FunctionName`s (as written: a `${...}` placeholder) of a wrapped definition's Lambda tasks that check for
    a pause themselves: each needs functions/pause_check.py on its handler, and its grant to read the records."""
    found = []
    for state in definition.get("States", {}).values():
        arguments = state.get("Arguments")
        if checks_itself(state) and PAUSE_CHECK_FIELD in arguments["Payload"]:
            found.append(arguments["FunctionName"])
        for branch in state.get("Branches", []):
            found += functions_checking(branch)
    return found


def held_before(current_states: list[str], points: list[str]) -> str | None:
    """The pause point an execution is held before, if it is in one of their Hold states now."""
    return next((point for point in points if f"{point}{HOLD_SUFFIX}" in current_states), None)
