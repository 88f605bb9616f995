"""Step Functions execution status-change events, put on the default bus as AWS sends them.

"Step Functions Execution Status Change" from `aws.states` when an execution of a STANDARD state machine starts and
when it ends (SUCCEEDED, FAILED, TIMED_OUT, ABORTED), put from a background thread of `runtime.activity` so a rule's
delivery never runs on the interpreter's thread.
"""

from __future__ import annotations

import datetime
import json
import threading
from collections import deque
from typing import Any, Final

from orchestrator.local.runtime import Runtime
from orchestrator.local.stepfunctions.qualified import qualifiers

STATUS_CHANGE_SOURCE: Final[str] = "aws.states"
STATUS_CHANGE_DETAIL_TYPE: Final[str] = "Step Functions Execution Status Change"


class StatusEvents:
    """Puts status-change events on the default bus in the order they happened, from `runtime.activity` threads."""

    def __init__(self, runtime: Runtime) -> None:
        self._runtime = runtime
        self._pending: deque[dict[str, Any]] = deque()
        self._pending_lock = threading.Lock()
        self._sending = threading.Lock()  # one sender at a time keeps RUNNING ahead of the final status

    def publish(self, execution: Any, status: str) -> None:
        if getattr(execution.state_machine, "type", "STANDARD") == "EXPRESS":
            return  # AWS sends status-change events for Standard workflows only
        entry = {
            "Source": STATUS_CHANGE_SOURCE,
            "DetailType": STATUS_CHANGE_DETAIL_TYPE,
            "Resources": [execution.exec_arn],
            "Detail": json.dumps(status_change_detail(execution, status)),
            "Time": self._runtime.clock.utcnow(),
            "EventBusName": "default",
        }
        with self._pending_lock:
            self._pending.append(entry)
        self._runtime.activity.submit("stepfunctions-status-event", self._send_pending)

    def _send_pending(self) -> None:
        with self._sending:
            while True:
                with self._pending_lock:
                    if not self._pending:
                        return
                    entry = self._pending.popleft()
                response = self._runtime.client("events").put_events(Entries=[entry])
                if response.get("FailedEntryCount"):
                    raise RuntimeError(f"the default bus refused a status-change event: {response['Entries']}")


def status_change_detail(execution: Any, status: str) -> dict[str, Any]:
    """The `detail` of a "Step Functions Execution Status Change" event for a moto execution in `status`."""
    ended = status != "RUNNING"
    succeeded = status == "SUCCEEDED"
    return {
        "executionArn": execution.exec_arn,
        "stateMachineArn": execution.state_machine_arn,
        "name": execution.name,
        "status": status,
        "startDate": _epoch_millis(execution.start_date),
        "stopDate": _epoch_millis(execution.stop_date) if ended else None,
        "input": execution.execution_input,
        "inputDetails": {"included": True},
        "output": json.dumps(execution.output, separators=(",", ":")) if succeeded else None,
        "outputDetails": {"included": True} if succeeded else None,
        "error": execution.error if ended else None,
        "cause": execution.cause if ended else None,
        "stateMachineVersionArn": None,
        "stateMachineAliasArn": None,
        **qualifiers(execution),  # an execution started through a version or an alias
        "redriveCount": 0,
        "redriveDate": None,
    }


def _epoch_millis(moment: datetime.datetime | None) -> int | None:
    return None if moment is None else int(moment.timestamp() * 1000)
