"""The completion signals of a Join (compile.py's docstring, point 2): a branch waits, through the correlator, for
one DagTaskFinished per edge from a dependency in another branch, and a finished task puts one per edge to its
dependents there."""

from __future__ import annotations

from typing import Any, Final

from asl.dag.spec import DagSpec
from asl.dag.states import BUS, LAMBDA_RETRY, PUT_RETRY, REGISTER, WORKFLOWS_SOURCE, event_metadata
from asl.fields import jsonata, retry

SIGNAL: Final = "DagTaskFinished"  # schemas/dags.py
MAX_ENTRIES: Final = 10  # PutEvents takes at most ten entries

_REGISTER_RETRY: Final = retry(["States.TaskFailed"], max_attempts=4, max_delay_seconds=20)


def signal_key(task: str, dependent: str) -> str:
    """JSONata: the correlation key of the completion signal on the edge `task -> dependent` of this execution."""
    return f"$substring($hash($states.context.Execution.Id & '#{task}->{dependent}', 'SHA-256'), 0, 48)"


def wait_for(spec: DagSpec, dep: str, name: str, next_state: str) -> dict[str, Any]:
    """The state where `name`'s branch waits for the signal that `dep` finished, then goes on to `next_state`."""
    timeout = spec.timeout_seconds
    return {
        "Type": "Task",
        "Comment": f"Waits, through the correlator, for the signal that {dep} finished (or was skipped); a "
        "signal that came first is buffered and delivered at once.",
        "Resource": "arn:aws:states:::lambda:invoke.waitForTaskToken",
        "Arguments": {
            "FunctionName": REGISTER,
            "Payload": {
                "message_name": SIGNAL,
                "correlation_key": jsonata(signal_key(dep, name)),
                "waiter_id": "{% $states.context.Execution.Id & '/' & $states.context.State.Name & '/' & "
                "$states.context.State.EnteredTime %}",
                "task_token": "{% $states.context.Task.Token %}",
                "timeout_seconds": timeout,
            },
        },
        "TimeoutSeconds": timeout,
        # The Register function failing (a throttled table, a crash between its match and the answer) is
        # retried: the waiter id is the same on every attempt, so a match made before is handed to the retry.
        "Retry": [LAMBDA_RETRY, _REGISTER_RETRY],
        "Output": jsonata(f"$merge([$states.input, {{'{dep}': $states.result.data.result}}])"),
        "Next": next_state,
    }


def signal_dependents(spec: DagSpec, name: str, dependents: list[str]) -> dict[str, Any]:
    """The state that tells `dependents` (at most MAX_ENTRIES) that `name` is done: one DagTaskFinished per edge."""
    entries = []
    for dependent in dependents:
        key = signal_key(name, dependent)
        entries.append(
            {
                "EventBusName": BUS,
                "Source": WORKFLOWS_SOURCE,
                "DetailType": SIGNAL,
                "Detail": {
                    # The message id (the idempotency key) is this run of the signal state's: a rerun of the
                    # Join (a redrive) signals anew, and the new signal reaches the new wait instead of being
                    # taken for a redelivery of the one the old wait got. Redeliveries of one put keep it.
                    "metadata": event_metadata(spec, f"{key} & '@' & $states.context.State.EnteredTime"),
                    "data": {
                        "dag": spec.name,
                        "task": name,
                        "dependent": dependent,
                        "signal_id": jsonata(key),
                        "status": f"{{% $type($states.input.{name}) = 'null' ? 'skipped' : 'succeeded' %}}",
                        "result": f"{{% $states.input.{name} %}}",
                    },
                },
            }
        )
    return {
        "Type": "Task",
        "Comment": f"Tells {', '.join(dependents)} that {name} is done (one DagTaskFinished per edge).",
        "Resource": "arn:aws:states:::events:putEvents",
        "Arguments": {"Entries": entries},
        "Retry": [PUT_RETRY],
        "Output": "{% $states.input %}",
    }
