"""A Lambda task at a workflow's pause point checks for a pause itself, so that the workflow spends no state
transition on the check while nothing is paused (asl/pause_points.py explains pause points).

The definition passes the execution's ARN in the payload field `PAUSE_CHECK_FIELD`; `pause_checked` takes it out
before the handler sees the payload, reads the execution's pause record (consistent: a pause written a moment ago
counts) and, while it says PAUSED, raises `PauseInForce` before the handler does anything. The workflow catches that
error into its hold for this point, and comes back to the same task once resumed, which checks again. A payload
without the field (the task is not at a pause point, or a test calls the handler directly) is passed on untouched.

The function may read the pause records and nothing else of the WorkflowControl table (its grant,
infra/constructs/workflow.py `grant_pause_checks`), whose name it gets in `PAUSE_TABLE_VARIABLE`. Each decorated
handler keeps its own table resource, made on its first check, as the handlers keep their other dependencies:
the local runtime runs many functions in one process, each with its own environment.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Callable
from typing import Any, TypeVar

import boto3

from schemas.tables import (
    PAUSE_CHECK_FIELD,
    PAUSE_PARTITION_PREFIX,
    PAUSE_SORT_KEY,
    PAUSE_TABLE_VARIABLE,
    PAUSED_STATE,
)

ResultT = TypeVar("ResultT")
Handler = Callable[[Any, Any], ResultT]


class PauseInForce(Exception):  # noqa: N818 - its name is the error the workflows catch (PAUSE_IN_FORCE_ERROR)
    """The execution is paused: this task did nothing, and the workflow holds before it. Lambda reports the class
    name as the task's error, so the name is the contract (schemas/tables.py PAUSE_IN_FORCE_ERROR; a test ties them)."""


def pause_checked(handler: Handler[ResultT]) -> Handler[ResultT]:
    """`handler`, raising `PauseInForce` instead of running while the calling execution is paused."""

    @functools.cache
    def table() -> Any:
        name = os.environ.get(PAUSE_TABLE_VARIABLE)
        if not name:
            raise RuntimeError(f"{PAUSE_TABLE_VARIABLE} is not set: the function was not granted its pause checks")
        return boto3.resource("dynamodb").Table(name)

    @functools.wraps(handler)
    def checked(event: Any, context: Any) -> ResultT:
        if isinstance(event, dict) and PAUSE_CHECK_FIELD in event:
            event = dict(event)
            execution_arn = event.pop(PAUSE_CHECK_FIELD)
            if not isinstance(execution_arn, str) or not execution_arn:
                raise ValueError(f"{PAUSE_CHECK_FIELD}: must be the calling execution's ARN, got {execution_arn!r}")
            record = (
                table()
                .get_item(
                    Key={"pk": f"{PAUSE_PARTITION_PREFIX}{execution_arn}", "sk": PAUSE_SORT_KEY}, ConsistentRead=True
                )
                .get("Item")
            )
            if record is not None and record.get("state") == PAUSED_STATE:
                raise PauseInForce(f"{execution_arn} is paused (pause {record.get('pause_id', '?')}): held here")
        return handler(event, context)

    return checked
