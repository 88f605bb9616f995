"""Task tokens: how agents and the callback handler speak to a workflow waiting in a `.waitForTaskToken` task.

`TaskTokens` is the port; `StepFunctionsTaskTokens` the adapter over a boto3 `stepfunctions` client. Every call
answers whether the workflow still waits: Step Functions answers `TaskTimedOut`, `TaskDoesNotExist` or
`InvalidToken` when it has given up on the task (its timeout or heartbeat timeout fired, the execution ended, was
stopped, or never issued the token). That is a normal outcome for a late agent, not an error: the caller logs it and
drops the message instead of retrying it into a dead-letter queue.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Final, Protocol

from botocore.exceptions import ClientError

# The answers that mean the workflow no longer waits for this token.
GONE_ERROR_CODES: Final[frozenset[str]] = frozenset({"TaskTimedOut", "TaskDoesNotExist", "InvalidToken"})


class TaskTokens(Protocol):
    """Port: report on a task a workflow waits for. Each method returns False when the workflow no longer waits."""

    def heartbeat(self, task_token: str) -> bool: ...

    def succeed(self, task_token: str, output: str) -> bool: ...

    def fail(self, task_token: str, error: str, cause: str) -> bool: ...


class StepFunctionsTaskTokens:
    """`TaskTokens` over SendTaskHeartbeat / SendTaskSuccess / SendTaskFailure. Other errors propagate."""

    def __init__(self, client: Any) -> None:
        self._client = client

    def heartbeat(self, task_token: str) -> bool:
        return _answered(self._client.send_task_heartbeat, taskToken=task_token)

    def succeed(self, task_token: str, output: str) -> bool:
        return _answered(self._client.send_task_success, taskToken=task_token, output=output)

    def fail(self, task_token: str, error: str, cause: str) -> bool:
        return _answered(self._client.send_task_failure, taskToken=task_token, error=error, cause=cause)


def _answered(operation: Callable[..., Any], **arguments: str) -> bool:
    try:
        operation(**arguments)
    except ClientError as error:
        if error.response.get("Error", {}).get("Code") in GONE_ERROR_CODES:
            return False
        raise
    return True
