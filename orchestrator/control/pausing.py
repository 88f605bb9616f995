"""Pause records: what `orch pause` / `orch resume` write and what a workflow's pause points read.

One item per execution in the State stack's WorkflowControl table, `pk = pause#<execution ARN>`, `sk = pause`
(asl/pause_points.py reads it before each pause point):

    state      PAUSED | RESUMED       only PAUSED holds the execution
    pause_id   a fresh id per pause   the Hold waits for ExecutionResumed naming it, so an old resume cannot
                                      release a later pause
    paused_by, reason, paused_at      who and why
    resumed_by, resumed_at            kept, so that resuming again re-sends the same ExecutionResumed (one message
                                      id, the same data: the correlator takes it as a duplicate, not a conflict)
    expires_at                        DynamoDB TTL: a year after the pause, the longest an execution lives

Every write is conditional, so two operators racing end with one pause or one resume, never a lost one.
"""

from __future__ import annotations

import datetime
import uuid
from dataclasses import dataclass
from typing import Any, Final, Literal

from botocore.exceptions import ClientError

from schemas.tables import PAUSE_PARTITION_PREFIX, PAUSE_SORT_KEY

# The layout and state names asl/pause_points.py generates (the control plane imports no CDK code;
# tests/control/test_pause_resume.py ties the two).
PARTITION_PREFIX: Final = PAUSE_PARTITION_PREFIX
SORT_KEY: Final = PAUSE_SORT_KEY
CHECK_SUFFIX: Final = "PauseCheck"  # <state>PauseCheck reads the record before <state>
HOLD_SUFFIX: Final = "Hold"  # <state>Hold is where a paused execution waits
RECORD_TTL: Final = datetime.timedelta(days=365)

PauseState = Literal["PAUSED", "RESUMED"]


@dataclass(frozen=True)
class PauseRecord:
    execution_arn: str
    state: PauseState
    pause_id: str
    paused_by: str
    reason: str
    paused_at: datetime.datetime
    resumed_by: str = ""
    resumed_at: datetime.datetime | None = None


class PauseRecords:
    """The pause records in one WorkflowControl table (a boto3 Table resource)."""

    def __init__(self, table: Any) -> None:
        self._table = table

    def read(self, execution_arn: str) -> PauseRecord | None:
        item = self._table.get_item(Key=_key(execution_arn), ConsistentRead=True).get("Item")
        return _record(item) if item else None

    def pause(self, execution_arn: str, paused_by: str, reason: str, now: datetime.datetime) -> PauseRecord | None:
        """A new PAUSED record with a fresh pause id, unless the execution is paused already (then None)."""
        record = PauseRecord(execution_arn, "PAUSED", uuid.uuid4().hex, paused_by, reason, now)
        item = {
            **_key(execution_arn),
            "state": record.state,
            "pause_id": record.pause_id,
            "paused_by": paused_by,
            "reason": reason,
            "paused_at": now.isoformat(),
            "expires_at": int((now + RECORD_TTL).timestamp()),
        }
        try:
            self._table.put_item(
                Item=item,
                ConditionExpression="attribute_not_exists(pk) OR #state = :resumed",
                ExpressionAttributeNames={"#state": "state"},
                ExpressionAttributeValues={":resumed": "RESUMED"},
            )
        except ClientError as error:
            if _condition_failed(error):
                return None
            raise
        return record

    def resume(self, paused: PauseRecord, resumed_by: str, now: datetime.datetime) -> PauseRecord | None:
        """`paused` marked RESUMED, if it is still the record (same pause id, still PAUSED); else None."""
        try:
            self._table.update_item(
                Key=_key(paused.execution_arn),
                UpdateExpression="SET #state = :resumed, resumed_by = :by, resumed_at = :at",
                ConditionExpression="#state = :paused AND pause_id = :id",
                ExpressionAttributeNames={"#state": "state"},
                ExpressionAttributeValues={
                    ":resumed": "RESUMED",
                    ":paused": "PAUSED",
                    ":id": paused.pause_id,
                    ":by": resumed_by,
                    ":at": now.isoformat(),
                },
            )
        except ClientError as error:
            if _condition_failed(error):
                return None
            raise
        return PauseRecord(
            paused.execution_arn,
            "RESUMED",
            paused.pause_id,
            paused.paused_by,
            paused.reason,
            paused.paused_at,
            resumed_by,
            now,
        )


def pause_points(definition: dict[str, Any]) -> list[str]:
    """The states of a definition before which an execution can be held (none: the workflow cannot be paused), at
    the top level or inside Parallel branches (a DAG's tasks)."""
    found = []
    for name, state in definition.get("States", {}).items():
        if name.endswith(CHECK_SUFFIX):
            found.append(name.removesuffix(CHECK_SUFFIX))
        for branch in state.get("Branches", []):
            found += pause_points(branch)
    return found


def held_before(current_states: list[str], points: list[str]) -> str | None:
    """The pause point an execution is held before, if it is in one of their Hold states now."""
    return next((point for point in points if f"{point}{HOLD_SUFFIX}" in current_states), None)


def _key(execution_arn: str) -> dict[str, str]:
    return {"pk": f"{PARTITION_PREFIX}{execution_arn}", "sk": SORT_KEY}


def _record(item: dict[str, Any]) -> PauseRecord:
    resumed_at = item.get("resumed_at")
    return PauseRecord(
        execution_arn=str(item["pk"]).removeprefix(PARTITION_PREFIX),
        state="RESUMED" if item["state"] == "RESUMED" else "PAUSED",
        pause_id=str(item["pause_id"]),
        paused_by=str(item.get("paused_by", "")),
        reason=str(item.get("reason", "")),
        paused_at=datetime.datetime.fromisoformat(str(item["paused_at"])),
        resumed_by=str(item.get("resumed_by", "")),
        resumed_at=datetime.datetime.fromisoformat(str(resumed_at)) if resumed_at else None,
    )


def _condition_failed(error: ClientError) -> bool:
    return bool(error.response.get("Error", {}).get("Code") == "ConditionalCheckFailedException")
