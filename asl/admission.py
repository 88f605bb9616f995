"""The first state of every event-started workflow, `Begin`: its start event admitted by the workflow's admission
function (functions/admission: validated against its contract, then claimed once per business id), and `Rejected`,
where an invalid start event (or an idempotency key reused for another business id) ends the execution at once.

Admission is one Lambda task where the claim used to be one DynamoDB task: no state transition added on the happy
path. The hand-written definitions (state_machines/*.asl.json) carry these states as written here (a test compares
them); the DAG compiler writes them.
"""

from __future__ import annotations

from typing import Any, Final

from asl.fields import LAMBDA_TRANSIENT, retry

PLACEHOLDER: Final = "AdmissionFunctionArn"  # the definition substitution naming the workflow's admission function
BEGIN: Final = "Begin"
DUPLICATE: Final = "Duplicate"
REJECTED: Final = "Rejected"
# functions/admission errors (the exception class names, as Lambda reports them).
INVALID: Final = "InvalidStartEvent"
KEY_CONFLICT: Final = "IdempotencyKeyConflict"
DUPLICATE_START: Final = "DuplicateStart"
UNAVAILABLE: Final = "ClaimsUnavailable"
RETRIED: Final = (*LAMBDA_TRANSIENT, UNAVAILABLE)  # admission is idempotent for its execution


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
