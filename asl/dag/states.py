"""The ASL pieces every stage of the DAG compiler (compile.py, signals.py, saga.py) builds with: the placeholders
the CDK app fills, the retry policies, JSONata helpers, and the AgentTaskRequested event that dispatches a task or a
compensation to its agent."""

from __future__ import annotations

from typing import Any, Final

from asl.dag.spec import DagSpec, Retry, Task
from asl.fields import DYNAMODB_TRANSIENT, LAMBDA_TRANSIENT, jsonata, retry

WORKFLOWS_SOURCE: Final = "orchestrator.workflows"
MARKER_PREFIX: Final = "dag#"  # the WorkflowControl partitions of the completion records
TABLE: Final = "${WorkflowControlTableName}"
REGISTER: Final = "${CorrelatorRegisterFunctionArn}"
BUS: Final = "${EventBusName}"

LAMBDA_RETRY: Final = retry(LAMBDA_TRANSIENT, max_attempts=3, max_delay_seconds=20)
PUT_RETRY: Final = retry(["EventBridge.FailedEntry"], max_attempts=3, max_delay_seconds=20)
DYNAMODB_RETRY: Final = retry(DYNAMODB_TRANSIENT, max_attempts=3, max_delay_seconds=10)


def error_name(error: str) -> str:
    """JSONata: the error a Fail state may raise for `error`. Step Functions reserves the `States.` prefix (moto
    refuses it in a Fail state), so a task's `States.Timeout` fails the DAG as `DAG.Timeout`."""
    return f"$substring({error}, 0, 7) = 'States.' ? 'DAG.' & $substringAfter({error}, 'States.') : {error}"


def task_retries(retry: Retry) -> list[dict[str, Any]]:
    """The Retry of a task's (or compensation's) dispatch: none, or every error with backoff and full jitter."""
    if retry.max_attempts == 0:
        return []
    return [
        {
            "ErrorEquals": ["States.ALL"],
            "IntervalSeconds": retry.interval_seconds,
            "MaxAttempts": retry.max_attempts,
            "BackoffRate": retry.backoff_rate,
            "MaxDelaySeconds": retry.max_delay_seconds,
            "JitterStrategy": "FULL",
        }
    ]


def mapped(value: Any, variable: str, binding: str = "$states.input") -> Any:
    """An input mapping as ASL Arguments: each `{% expr %}` evaluated with `variable` bound to `binding`."""
    if isinstance(value, dict):
        return {key: mapped(item, variable, binding) for key, item in value.items()}
    if isinstance(value, list):
        return [mapped(item, variable, binding) for item in value]
    if isinstance(value, str) and value.startswith("{%") and value.endswith("%}"):
        return jsonata(f"({variable} := {binding}; {value[2:-2].strip()})")
    return value


def agent_request(
    spec: DagSpec, label: str, agent: str, task: Task, arguments: Any, timeout: int | None = None
) -> dict[str, Any]:
    """The PutEvents entry of AgentTaskRequested asking `agent` to do `task` (or, with `timeout`, its
    compensation) with this state's task token."""
    data: dict[str, Any] = {
        "task_id": "{% $uuid() %}",
        "agent": agent,
        "task_token": "{% $states.context.Task.Token %}",
        "input": arguments,
        "timeout_seconds": timeout or task.timeout_seconds,
    }
    if task.heartbeat_seconds and timeout is None:
        data["heartbeat_seconds"] = task.heartbeat_seconds
    return {
        "EventBusName": BUS,
        "Source": WORKFLOWS_SOURCE,
        "DetailType": "AgentTaskRequested",
        "Detail": {
            # A Retry of the state is a new token, so a new task; a redelivery of the event is the same one.
            "metadata": event_metadata(
                spec,
                f"$states.context.Execution.Id & '/{label}/' & "
                "$substring($hash($states.context.Task.Token, 'SHA-256'), 0, 16)",
            ),
            "data": data,
        },
    }


def event_metadata(spec: DagSpec, idempotency_key: str) -> dict[str, Any]:
    """The envelope metadata of an event the DAG puts: caused by its start event, keyed by `idempotency_key`."""
    return {
        "event_id": "{% $uuid() %}",
        "correlation_id": "{% $metadata.correlation_id %}",
        "causation_id": "{% $metadata.event_id %}",
        "idempotency_key": jsonata(idempotency_key),
        "schema_version": 1,
        "occurred_at": "{% $now() %}",
        "producer": f"dag-{spec.name}",
    }
