"""Waiting in tests for work that runs on other threads (moto's executions, the local runtime's pollers)."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any


def eventually(condition: Callable[[], Any], what: str, cap_seconds: float = 10.0, step: float = 0.01) -> Any:
    """Polls `condition` in short real-time steps until it is truthy and returns that value; fails after the cap."""
    deadline = time.monotonic() + cap_seconds
    while time.monotonic() < deadline:
        result = condition()
        if result:
            return result
        time.sleep(step)
    raise AssertionError(f"timed out waiting for {what}")


def ended(sfn: Any, execution_arn: str, cap_seconds: float = 10.0) -> dict[str, Any]:
    """The execution described once it is no longer RUNNING (`sfn`: a Step Functions client)."""

    def stopped() -> dict[str, Any] | None:
        execution: dict[str, Any] = sfn.describe_execution(executionArn=execution_arn)
        return None if execution["status"] == "RUNNING" else execution

    found: dict[str, Any] = eventually(stopped, f"{execution_arn} to end", cap_seconds, step=0.05)
    return found
