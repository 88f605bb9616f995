"""Callback logic: an agent's completion event resumes the workflow task waiting on its token.

AgentTaskCompleted becomes SendTaskSuccess with the agent's `output` as the task's result; AgentTaskFailed becomes
SendTaskFailure with the agent's `error` and `cause`, which the workflow's Catch sees as the error name. When the
workflow has given up on the task (timed out, ended, stopped), the event is dropped: nobody waits for it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Literal

from functions.agents.task_tokens import TaskTokens
from schemas.agents import AgentTaskCompleted, AgentTaskFailed
from schemas.envelope import EventDetail

Resumed = Literal["succeeded", "failed", "gone"]


@dataclass(frozen=True)
class Resumption:
    """What the callback did for one event. `gone`: the workflow no longer waited, the event was dropped."""

    task_id: str
    agent: str
    result: Resumed


def resume(event: EventDetail[Any], tokens: TaskTokens) -> Resumption:
    """Hands the outcome in `event` (AgentTaskCompleted or AgentTaskFailed) to the task waiting on its token."""
    data = event.data
    if isinstance(data, AgentTaskCompleted):
        output = json.dumps(data.output, separators=(",", ":"), ensure_ascii=False)
        delivered = tokens.succeed(data.task_token, output)
        return Resumption(data.task_id, data.agent, "succeeded" if delivered else "gone")
    if isinstance(data, AgentTaskFailed):
        delivered = tokens.fail(data.task_token, data.error, data.cause)
        return Resumption(data.task_id, data.agent, "failed" if delivered else "gone")
    raise TypeError(f"the callback resumes tasks from agent outcomes, not {type(data).__name__}")
