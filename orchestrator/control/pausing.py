"""Pausing: the pause records `orch pause` / `orch resume` write and a workflow's pause points read, and the
control plane's `pause` and `resume` operations (`PauseOperations`) over them.

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
import json
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final, Literal

from botocore.exceptions import ClientError

from asl.pause_points import pause_points_of
from functions.event_store.logic import correlation_of
from orchestrator.control.errors import Conflict
from orchestrator.control.events import EventOperations
from schemas.control import ExecutionPaused, ExecutionResumed
from schemas.tables import PAUSE_PARTITION_PREFIX, PAUSE_SORT_KEY, WORKFLOW_CONTROL_TABLE

# The layout and state names asl/pause_points.py generates (the control plane imports no CDK code;
# tests/control/test_pause_resume.py ties the two).
PARTITION_PREFIX: Final = PAUSE_PARTITION_PREFIX
SORT_KEY: Final = PAUSE_SORT_KEY
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


@dataclass(frozen=True)
class PauseChange:
    """What `pause` or `resume` did: `changed` is False when the execution was paused, or resumed, already."""

    record: PauseRecord
    changed: bool


class PauseOperations(EventOperations):
    """Pause and resume an execution: its pause record written, then ExecutionPaused or ExecutionResumed put."""

    def pause(self, execution_arn: str, *, paused_by: str, reason: str = "") -> PauseChange:
        """Pauses a running execution: it holds at its next pause point (asl/pause_points.py) until
        resumed. The state running now finishes. Pausing a paused execution changes nothing."""
        with self._calls():
            description = self._describe(execution_arn)
            # A state machine without pause points (one not of this app) can never hold, whatever its execution's
            # status: that is the answer to give first.
            if not self._pause_points(execution_arn):
                workflow = self.discovery.workflow_of(str(description["stateMachineArn"]))
                raise Conflict(f"workflow {workflow} has no pause points", "it cannot be paused; terminate it instead")
            if description["status"] != "RUNNING":
                raise Conflict(f"the execution is {description['status']}, not RUNNING", "nothing to pause")
            records = self._pause_records()
            record = records.pause(execution_arn, paused_by, reason, self._utcnow())
            if record is None:  # paused already: that pause stands
                current = records.read(execution_arn)
                if current is None or current.state != "PAUSED":
                    raise Conflict("the execution's pause changed while it was being paused", "run the command again")
                return PauseChange(current, changed=False)
        data = {
            "execution_arn": execution_arn,
            "pause_id": record.pause_id,
            "paused_by": paused_by,
            "reason": reason,
            "paused_at": record.paused_at.isoformat(),
        }
        self._put_control_event(ExecutionPaused.DETAIL_TYPE, data, description, f"pause:{record.pause_id}")
        return PauseChange(record, changed=True)

    def resume(self, execution_arn: str, *, resumed_by: str) -> PauseChange:
        """Resumes a paused execution: the pause record says RESUMED and ExecutionResumed goes on the bus, which the
        correlator hands to the execution's Hold (or keeps for it, if it is not there yet). Resuming a resumed
        execution puts the same ExecutionResumed again (a duplicate to the correlator): a resume whose event was
        lost is finished that way."""
        with self._calls():
            description = self._describe(execution_arn)
            records = self._pause_records()
            record = records.read(execution_arn)
            if record is None:
                raise Conflict("the execution is not paused", "`orch pause` holds it; nothing to resume")
            changed = record.state == "PAUSED"
            if changed:
                resumed = records.resume(record, resumed_by, self._utcnow())
                if resumed is None:
                    raise Conflict("the execution's pause changed while it was being resumed", "run the command again")
                record = resumed
        assert record.resumed_at is not None  # a RESUMED record says when
        data = {
            "execution_arn": execution_arn,
            "pause_id": record.pause_id,
            "resumed_by": record.resumed_by,
            "resumed_at": record.resumed_at.isoformat(),
        }
        self._put_control_event(ExecutionResumed.DETAIL_TYPE, data, description, f"resume:{record.pause_id}")
        return PauseChange(record, changed)

    def _put_control_event(
        self, detail_type: str, data: Mapping[str, Any], description: Mapping[str, Any], idempotency_key: str
    ) -> None:
        # The execution's business process, when an event started it; else the execution itself.
        correlation_id = correlation_of(description.get("input")) or str(description["name"])
        self.put_event(detail_type, data, correlation_id=correlation_id, idempotency_key=idempotency_key)

    def _pause_records(self) -> PauseRecords:
        return PauseRecords(self._table(WORKFLOW_CONTROL_TABLE))

    def _pause_in_force(self, execution_arn: str) -> PauseRecord | None:
        record = self._pause_records().read(execution_arn)
        return record if record is not None and record.state == "PAUSED" else None

    def _pause_points(self, execution_arn: str) -> list[str]:
        machine = self._client("stepfunctions").describe_state_machine_for_execution(executionArn=execution_arn)
        return pause_points_of(json.loads(machine["definition"]))


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
