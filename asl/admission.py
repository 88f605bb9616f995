"""The first state of every event-started workflow, `Begin`: its start event admitted by the workflow's admission
function (functions/admission: validated against its contract, then claimed once per business id), and `Rejected`,
where an invalid start event (or an idempotency key reused for another business id) ends the execution at once.

Admission is one Lambda task where the claim used to be one DynamoDB task: no state transition added on the happy
path. The hand-written definitions (state_machines/*.asl.json) carry these states as written here (a test compares
them); the DAG compiler writes them.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

from asl.fields import LAMBDA_TIMED_OUT, LAMBDA_TRANSIENT, retry

PLACEHOLDER: Final = "AdmissionFunctionArn"  # the definition substitution naming the workflow's admission function
BEGIN: Final = "Begin"
DUPLICATE: Final = "Duplicate"
REJECTED: Final = "Rejected"
# functions/admission errors (the exception class names, as Lambda reports them).
INVALID: Final = "InvalidStartEvent"
KEY_CONFLICT: Final = "IdempotencyKeyConflict"
DUPLICATE_START: Final = "DuplicateStart"
UNAVAILABLE: Final = "ClaimsUnavailable"
# Admission is idempotent for its execution (its own claim passes), so an attempt that timed out (it may have claimed)
# is tried again like one whose answer was lost.
RETRIED: Final = (*LAMBDA_TRANSIENT, LAMBDA_TIMED_OUT, UNAVAILABLE)
# What a Catch may name that takes InvalidStartEvent too (a Lambda function's error is a task failure).
_CATCHING_INVALID: Final = (INVALID, "States.ALL", "States.TaskFailed")


def begin_state(
    workflow: str, *, following: str, assign: dict[str, Any] | None = None, output: Any = None
) -> dict[str, Any]:
    """`Begin` of `workflow`: admits the start event (the execution's input), assigns `assign` and goes on to
    `following`; a duplicate goes to `Duplicate`, an invalid event or a key conflict to `Rejected`."""
    state: dict[str, Any] = {
        "Type": "Task",
        "Comment": "The execution input is the start event as EventBridge delivers it. Admission "
        "(functions/admission) validates it against its contract and claims its business id for this execution "
        "(no expiry): an invalid event, or an idempotency key used for another business id, is Rejected; another "
        "delivery of the event, or a retry of it under another key, finds the claim and ends in Duplicate.",
        "Resource": "arn:aws:states:::lambda:invoke",
        "Arguments": {
            "FunctionName": "${" + PLACEHOLDER + "}",
            "Payload": {
                "event": "{% $states.input %}",
                "workflow": workflow,
                "execution": "{% $states.context.Execution.Id %}",
            },
        },
        "Retry": [retry(list(RETRIED), max_attempts=3, max_delay_seconds=10)],
        "Catch": [
            {
                "ErrorEquals": [DUPLICATE_START],
                "Output": {"duplicate": "{% $parse($states.errorOutput.Cause).errorMessage %}"},
                "Next": DUPLICATE,
            },
            {"ErrorEquals": [INVALID, KEY_CONFLICT], "Output": "{% $states.errorOutput %}", "Next": REJECTED},
        ],
        "Next": following,
    }
    if assign:
        state["Assign"] = assign
    if output is not None:
        state["Output"] = output
    return state


def rejected_state() -> dict[str, Any]:
    """`Rejected`: the execution fails with admission's error and its cause (each field and reason)."""
    return {
        "Type": "Fail",
        "Comment": "The start event broke its contract (the schema guard quarantined it too), or its idempotency key "
        "was used for another business id: nothing was done.",
        "Error": "{% $states.input.Error %}",
        "Cause": "{% $states.input.Cause %}",
    }


def duplicate_state(start_event: str, what: str) -> dict[str, Any]:
    """`Duplicate`: another execution was admitted for this business id; this one does nothing."""
    return {
        "Type": "Succeed",
        "Comment": f"Another delivery of this {start_event} (or a retry of it) claimed it first: its execution "
        f"{what}, this one nothing.",
    }


def admission_problem(definition: Mapping[str, Any], workflow: str) -> str | None:
    """Why the event-started `definition` of `workflow` would not admit its start event before anything else, or None.

    Its first state must invoke the admission as `begin_state` does (the function, the start event, the workflow's
    name, which keys its claims); a Catch taking `InvalidStartEvent` must end in a Fail state (an uncaught one fails
    the execution with it too). Another first state, a putItem of the event's fields say, would run an invalid event:
    a field of the wrong type then fails it with that service's error (DynamoDB.SerializationException), not the
    field and its reason, or worse, does not fail it."""
    found = definition.get("States")
    states: Mapping[str, Any] = found if isinstance(found, Mapping) else {}
    first_name = definition.get("StartAt")
    first = states.get(first_name) if isinstance(first_name, str) else None
    if not isinstance(first, Mapping):
        return f"StartAt ({first_name!r}) names no state of the definition"
    expected = begin_state(workflow, following=str(first.get("Next", "")))
    if any(first.get(key) != expected[key] for key in ("Type", "Resource", "Arguments")):
        return (
            f"its first state, {first_name}, is not the admission of its start event (a Task invoking "
            f"${{{PLACEHOLDER}}} with the event and the workflow's name, {workflow!r})"
        )
    catchers = first.get("Catch", [])
    for catcher in catchers if isinstance(catchers, list) else []:
        if isinstance(catcher, Mapping) and set(catcher.get("ErrorEquals", [])) & set(_CATCHING_INVALID):
            target = states.get(str(catcher.get("Next")))
            if isinstance(target, Mapping) and target.get("Type") == "Fail":
                return None
            return f"{first_name} sends {INVALID} on to {catcher.get('Next')!r}, not to a Fail state ({REJECTED})"
    return None
