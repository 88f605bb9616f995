"""What the appender stores for one EventBridge event: an `EventRecord`, built without AWS, and appended through the
`EventStore` port (a conditional put: a duplicate is a no-op).

Two kinds of event reach it. Events of the stage's bus carry the project's envelope (`detail.metadata`): their id,
correlation, causation and idempotency key come from there. Step Functions execution status changes (`aws.states`,
from the default bus) carry none: the execution's input does, when an event started the execution, since the rule
that starts a workflow passes the whole event as input. So a status change belongs to the starting event's business
process and is caused by that event. A status change of another stage's (or another app's) state machine is left
out: the `Workflows` port says which state machines are this stage's.

Nothing that must not leave the workflow side is stored (schemas/redaction.py): a bus event's detail is kept with the
fields its model declares sensitive and every task token replaced by markers; a status change's detail (its input and
output are JSON text) with every task token and every event in it redacted the same way. Each record expires: its
`expires_at` (epoch seconds, the table's TTL attribute) is when it was appended plus the stage's retention.
"""

from __future__ import annotations

import dataclasses
import datetime
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final, Literal, Protocol

from schemas.redaction import redact, redact_event
from schemas.tables import EVENT_STORE_TTL

STATUS_CHANGE_SOURCE: Final = "aws.states"
STATUS_CHANGE_TYPE: Final = "Step Functions Execution Status Change"

Kind = Literal["event", "execution"]
Outcome = Literal["appended", "duplicate", "not-this-stage"]


class UnreadableEvent(ValueError):
    """The message is not an EventBridge event the store can key (no id to key it on)."""


class EventStore(Protocol):
    """Where records go. `append` is conditional on the event id: False when that id is stored already."""

    def append(self, record: EventRecord) -> bool: ...


class Workflows(Protocol):
    """Which state machines belong to this stage."""

    def of_this_stage(self, state_machine_arn: str) -> bool: ...


@dataclass(frozen=True)
class EventRecord:
    event_id: str
    kind: Kind
    type: str
    source: str
    time: str  # `timestamp()`'s format
    detail: Mapping[str, Any]
    eventbridge_id: str
    correlation_id: str | None = None
    causation_id: str | None = None
    idempotency_key: str | None = None
    expires_at: int | None = None  # epoch seconds: DynamoDB's TTL deletes the item after it

    def item(self) -> dict[str, Any]:
        """The DynamoDB item (functions/event_store/__init__.py), without the attributes that have no value."""
        item: dict[str, Any] = {
            "event_id": self.event_id,
            "kind": self.kind,
            "type": self.type,
            "source": self.source,
            "time": self.time,
            "detail": json.dumps(self.detail, separators=(",", ":"), ensure_ascii=False),
            "eventbridge_id": self.eventbridge_id,
        }
        optional = {
            "correlation_id": self.correlation_id,
            "causation_id": self.causation_id,
            "idempotency_key": self.idempotency_key,
            EVENT_STORE_TTL: self.expires_at,
        }
        return item | {name: value for name, value in optional.items() if value}


def append(
    event: Mapping[str, Any], store: EventStore, workflows: Workflows, *, expires_at: int | None = None
) -> tuple[Outcome, EventRecord]:
    """Stores `event`, redacted and expiring at `expires_at`, unless it is stored already or is a status change of a
    state machine of another stage."""
    record = dataclasses.replace(record_of(event), expires_at=expires_at)
    if record.kind == "execution" and not workflows.of_this_stage(str(record.detail.get("stateMachineArn", ""))):
        return "not-this-stage", record
    return ("appended" if store.append(record) else "duplicate"), record


def expiry(now: datetime.datetime, retention_days: int) -> int:
    """When a record appended at `now` expires (epoch seconds, as DynamoDB's TTL reads it)."""
    return int((now + datetime.timedelta(days=retention_days)).timestamp())


def record_of(event: Mapping[str, Any]) -> EventRecord:
    """The record of an EventBridge event (a bus event with the envelope, or an execution status change), its detail
    redacted."""
    detail = event.get("detail")
    if not isinstance(detail, Mapping) or not event.get("id"):
        raise UnreadableEvent("not an EventBridge event: no id or no detail")
    if event.get("source") == STATUS_CHANGE_SOURCE and event.get("detail-type") == STATUS_CHANGE_TYPE:
        return _status_change(event, detail)
    metadata = detail.get("metadata")
    metadata = metadata if isinstance(metadata, Mapping) else {}
    # An event without the envelope (the schema guard quarantines it) is still kept, under EventBridge's id.
    return EventRecord(
        event_id=_text(metadata.get("event_id")) or str(event["id"]),
        kind="event",
        type=str(event.get("detail-type", "")),
        source=str(event.get("source", "")),
        time=timestamp(_text(metadata.get("occurred_at")) or str(event.get("time", ""))),
        detail=redact_event(str(event.get("detail-type", "")), detail),
        eventbridge_id=str(event["id"]),
        correlation_id=_text(metadata.get("correlation_id")),
        causation_id=_text(metadata.get("causation_id")),
        idempotency_key=_text(metadata.get("idempotency_key")),
    )


def _status_change(event: Mapping[str, Any], detail: Mapping[str, Any]) -> EventRecord:
    status = str(detail.get("status", ""))
    execution = str(detail.get("executionArn", ""))
    if not execution or not status:
        raise UnreadableEvent("a status change without executionArn or status")
    # The moment of the change itself, as the execution records it (both are epoch milliseconds).
    moment = detail.get("startDate") if status == "RUNNING" else detail.get("stopDate") or detail.get("startDate")
    envelope = starting_metadata(detail.get("input"))
    return EventRecord(
        event_id=f"{execution}#{status}#{detail.get('redriveCount') or 0}",
        kind="execution",
        type=STATUS_CHANGE_TYPE,
        source=STATUS_CHANGE_SOURCE,
        time=timestamp(moment if isinstance(moment, int) else str(event.get("time", ""))),
        detail=redact(detail),
        eventbridge_id=str(event["id"]),
        correlation_id=_text(envelope.get("correlation_id")),
        causation_id=_text(envelope.get("event_id")),
    )


def starting_metadata(execution_input: Any) -> Mapping[str, Any]:
    """The envelope metadata of the event that started an execution (`detail.metadata` of its input, JSON text or
    already parsed); empty when no event of the project started it."""
    loaded = execution_input
    if isinstance(execution_input, str):
        try:
            loaded = json.loads(execution_input)
        except json.JSONDecodeError:
            return {}
    detail = loaded.get("detail") if isinstance(loaded, Mapping) else None
    metadata = detail.get("metadata") if isinstance(detail, Mapping) else None
    return metadata if isinstance(metadata, Mapping) else {}


def correlation_of(execution_input: Any) -> str:
    """The correlation id in an execution's input, when an event started it; "" otherwise."""
    return _text(starting_metadata(execution_input).get("correlation_id")) or ""


def timestamp(moment: str | int | datetime.datetime) -> str:
    """`moment` (ISO 8601 text, epoch milliseconds or a datetime) as the store's fixed-width UTC text; a time
    without a zone is UTC. Raises UnreadableEvent on text that is no time."""
    if isinstance(moment, int):
        moment = datetime.datetime.fromtimestamp(moment / 1000, datetime.UTC)
    elif isinstance(moment, str):
        try:
            moment = datetime.datetime.fromisoformat(moment)
        except ValueError:
            raise UnreadableEvent(f"not a time: {moment!r}") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=datetime.UTC)
    return moment.astimezone(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _text(value: Any) -> str | None:
    return str(value) if value not in (None, "") else None
