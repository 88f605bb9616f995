"""A business process rebuilt from the event store alone (functions/event_store: layout and index): its events up
to an instant, the state they fold into, and the causal chain their causation ids draw.

The state is a left fold of the process's events in time order, with one rule per event type (`STEPS`): the status
the process is in after it and the data fields it establishes. The process kind (an order, a ticket) is the kind of
the first event that has one. Agent task events and execution status changes are folded into per-agent and
per-execution outcomes, whatever the kind. Nothing but the stored events is read, so the answer "as of" an instant
is what was known then: only events whose time is at or before it are queried (the index's sort key).
"""

from __future__ import annotations

import datetime
import json
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Final

from boto3.dynamodb.conditions import Key

from functions.event_store import BY_CORRELATION_INDEX, INDEX_PARTITION_KEY, INDEX_SORT_KEY
from functions.event_store.logic import timestamp


@dataclass(frozen=True)
class Step:
    """What one event type does to its process: the status after it (None: unchanged), the data fields it sets."""

    kind: str
    status: str | None
    facts: tuple[str, ...] = ()


def _steps(kind: str, *steps: tuple[str, str | None, tuple[str, ...]]) -> dict[str, Step]:
    return {detail_type: Step(kind, status, facts) for detail_type, status, facts in steps}


STEPS: Final[Mapping[str, Step]] = {
    **_steps(
        "order",
        ("OrderPlaced", "placed", ("order_id", "customer_id", "currency", "total_cents", "payment_method")),
        ("InventoryReserved", "reserved", ("reservation_id",)),
        ("PaymentCharged", "charged", ("payment_id", "amount_cents")),
        ("OrderShipped", "shipped", ("shipment_id", "carrier")),
        ("OrderCompleted", "completed", ("reservation_id", "payment_id", "shipment_id")),
        ("OrderCompensationEscalated", "compensation escalated", ("step", "error")),
        ("OrderCancelled", "cancelled", ("reason", "failed_step", "compensated_steps", "escalated_steps")),
    ),
    **_steps(
        "ticket",
        ("TicketSubmitted", "submitted", ("ticket_id", "customer_id", "subject", "priority")),
        ("AgentTaskRequested", "with agents", ()),
        ("ApprovalRequested", "awaiting approval", ("summary",)),
        ("ApprovalDecided", "decided", ("decision", "decided_by", "comment")),
        ("TicketResolved", "resolved", ("resolution", "agents_consulted", "agents_failed")),
        ("TicketReplyRejected", "reply rejected", ("rejected_by",)),
        ("TicketEscalated", "escalated", ("reason",)),
    ),
}
AGENT_OUTCOMES: Final = {
    "AgentTaskRequested": "requested",
    "AgentTaskCompleted": "completed",
    "AgentTaskFailed": "failed",
}
# The fields that name an event in a chain, first found first.
_NAMING_FIELDS: Final = ("order_id", "ticket_id", "approval_id", "agent", "decision", "failed_step", "resolution")


@dataclass(frozen=True)
class StoredEvent:
    event_id: str
    time: datetime.datetime
    kind: str  # `event` or `execution` (a Step Functions status change)
    type: str
    source: str
    correlation_id: str
    causation_id: str | None
    idempotency_key: str | None
    detail: Mapping[str, Any]
    execution: str | None = None  # a status change's `<workflow>/<execution name>`

    @property
    def data(self) -> Mapping[str, Any]:
        data = self.detail.get("data")
        return data if isinstance(data, Mapping) else {}

    @property
    def label(self) -> str:
        """The event's name in a chain: its type, or "execution status" for a status change (whose detail-type says
        nothing its summary does not)."""
        return "execution status" if self.kind == "execution" else self.type

    @property
    def summary(self) -> str:
        """A few words naming what happened (`order_id=O-1`, `order-saga/abc SUCCEEDED`)."""
        if self.kind == "execution":
            return f"{self.execution} {self.detail.get('status', '')}"
        return " ".join(f"{name}={self.data[name]}" for name in _NAMING_FIELDS if name in self.data)


@dataclass
class ProcessState:
    kind: str = "unknown"
    status: str = "unknown"  # before its first event a process is unknown
    facts: dict[str, Any] = field(default_factory=dict)
    agents: dict[str, str] = field(default_factory=dict)  # agent -> requested / completed / failed (the latest)
    executions: dict[str, str] = field(default_factory=dict)  # execution label -> its latest status
    last_event: str | None = None  # the type of the last event folded in


@dataclass(frozen=True)
class ChainLink:
    depth: int  # 0 for an event caused by none of the process's events
    event: StoredEvent
    cause_missing: bool  # it names a causation id the store has no event of (in this process, up to as-of)


@dataclass(frozen=True)
class ProcessHistory:
    correlation_id: str
    as_of: datetime.datetime | None  # None: everything stored
    state: ProcessState
    events: list[StoredEvent]  # in time order
    chain: list[ChainLink]  # depth-first, causes before their effects, siblings in time order


def process_history(
    table: Any,
    correlation_id: str,
    as_of: datetime.datetime | None = None,
    workflow_of: Callable[[str], str] = lambda arn: arn.rsplit(":", 1)[-1],
) -> ProcessHistory:
    """The process `correlation_id` as the store knew it at `as_of` (default: now), read from the boto3 `table`;
    `workflow_of` names a state machine (by ARN) in execution labels."""
    events = read_events(table, correlation_id, as_of, workflow_of)
    return ProcessHistory(correlation_id, as_of, fold(events), events, causal_chain(events))


def read_events(
    table: Any,
    correlation_id: str,
    as_of: datetime.datetime | None = None,
    workflow_of: Callable[[str], str] = lambda arn: arn.rsplit(":", 1)[-1],
) -> list[StoredEvent]:
    """The process's stored events at or before `as_of`, in time order (the index's query, every page)."""
    condition = Key(INDEX_PARTITION_KEY).eq(correlation_id)
    if as_of is not None:
        condition = condition & Key(INDEX_SORT_KEY).lte(timestamp(as_of))
    arguments: dict[str, Any] = {"IndexName": BY_CORRELATION_INDEX, "KeyConditionExpression": condition}
    items: list[dict[str, Any]] = []
    while True:
        page = table.query(**arguments)
        items += page["Items"]
        if "LastEvaluatedKey" not in page:
            break
        arguments["ExclusiveStartKey"] = page["LastEvaluatedKey"]
    events = [_stored(item, workflow_of) for item in items]
    return sorted(events, key=lambda e: (e.time, e.event_id))


def fold(events: Iterable[StoredEvent]) -> ProcessState:
    """The state the events (in time order) leave the process in."""
    state = ProcessState()
    for event in events:
        state.last_event = event.type
        if event.kind == "execution":
            state.executions[str(event.execution)] = str(event.detail.get("status", ""))
            continue
        if event.type in AGENT_OUTCOMES and "agent" in event.data:
            state.agents[str(event.data["agent"])] = AGENT_OUTCOMES[event.type]
        step = STEPS.get(event.type)
        if step is None:
            continue
        if state.kind == "unknown":
            state.kind = step.kind
        if step.status is not None:
            state.status = step.status
        state.facts.update({name: event.data[name] for name in step.facts if name in event.data})
    return state


def causal_chain(events: Sequence[StoredEvent]) -> list[ChainLink]:
    """The events as a forest of causes: each under the event its causation id names."""
    ids = {event.event_id for event in events}
    effects: dict[str | None, list[StoredEvent]] = defaultdict(list)
    for event in events:  # already in time order, so each list is too
        effects[event.causation_id if event.causation_id in ids else None].append(event)

    seen: set[str] = set()

    def walk(cause: str | None, depth: int) -> Iterator[ChainLink]:
        for event in effects.get(cause, []):
            if event.event_id in seen:
                continue
            seen.add(event.event_id)
            missing = event.causation_id is not None and event.causation_id not in ids
            yield ChainLink(depth, event, missing)
            yield from walk(event.event_id, depth + 1)

    links = list(walk(None, 0))
    # Events caught in a loop of causes (only bad data makes one) hang under no root: shown as roots, not dropped.
    for event in events:
        if event.event_id not in seen:
            seen.add(event.event_id)
            links += [ChainLink(0, event, False), *walk(event.event_id, 1)]
    return links


def _stored(item: Mapping[str, Any], workflow_of: Callable[[str], str]) -> StoredEvent:
    detail = json.loads(str(item.get("detail") or "{}"))
    execution = None
    if item.get("kind") == "execution":
        name = str(detail.get("executionArn", "")).rsplit(":", 1)[-1]
        execution = f"{workflow_of(str(detail.get('stateMachineArn', '')))}/{name}"
    return StoredEvent(
        event_id=str(item["event_id"]),
        time=datetime.datetime.fromisoformat(str(item["time"])),
        kind=str(item.get("kind", "event")),
        type=str(item.get("type", "")),
        source=str(item.get("source", "")),
        correlation_id=str(item.get("correlation_id", "")),
        causation_id=str(item["causation_id"]) if item.get("causation_id") else None,
        idempotency_key=str(item["idempotency_key"]) if item.get("idempotency_key") else None,
        detail=detail,
        execution=execution,
    )
