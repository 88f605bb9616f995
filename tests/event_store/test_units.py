"""The event store's pure parts: what the appender stores for an event or a status change, and how a process's
events fold into a state and a causal chain (no AWS)."""

from __future__ import annotations

import datetime
import json
from typing import Any

import pytest

from functions.event_store.logic import (
    STATUS_CHANGE_SOURCE,
    STATUS_CHANGE_TYPE,
    EventRecord,
    UnreadableEvent,
    append,
    expiry,
    record_of,
    timestamp,
)
from orchestrator.control.event_store import StoredEvent, causal_chain, fold
from schemas.redaction import marker

EXECUTION = "arn:aws:states:us-east-1:123456789012:execution:OrderSaga:run-1"
MACHINE = "arn:aws:states:us-east-1:123456789012:stateMachine:OrderSaga"


def bus_event(detail_type: str, event_id: str, causation_id: str | None = None, **data: Any) -> dict[str, Any]:
    metadata = {
        "event_id": event_id,
        "correlation_id": "order-1",
        "causation_id": causation_id,
        "idempotency_key": f"key-{event_id}",
        "schema_version": 1,
        "occurred_at": "2026-11-25T10:00:00+01:00",
        "producer": "tests",
    }
    return {"id": f"eb-{event_id}", "source": "shop.orders", "detail-type": detail_type, "time": "2026-11-25T09:00:05Z",
            "detail": {"metadata": metadata, "data": data}}  # fmt: skip


def status_change(status: str, redrive: int = 0) -> dict[str, Any]:
    started = bus_event("OrderPlaced", "placed-1", order_id="order-1")
    detail = {"executionArn": EXECUTION, "stateMachineArn": MACHINE, "status": status, "startDate": 1_795_600_000_000,
              "stopDate": None if status == "RUNNING" else 1_795_600_003_500, "input": json.dumps(started),
              "redriveCount": redrive}  # fmt: skip
    return {"id": f"eb-{status}", "source": STATUS_CHANGE_SOURCE, "detail-type": STATUS_CHANGE_TYPE,
            "time": "2026-11-25T09:00:09Z", "detail": detail}  # fmt: skip


def test_a_bus_event_is_keyed_and_indexed_by_its_envelope() -> None:
    record = record_of(bus_event("OrderCancelled", "c-1", causation_id="placed-1", reason="no stock"))
    item = record.item()
    assert item["event_id"] == "c-1" and item["eventbridge_id"] == "eb-c-1"
    assert (item["correlation_id"], item["causation_id"], item["idempotency_key"]) == ("order-1", "placed-1", "key-c-1")
    assert item["time"] == "2026-11-25T09:00:00.000000Z", "occurred_at, in UTC, fixed width"
    assert json.loads(item["detail"])["data"] == {"reason": "no stock"}


def test_a_status_change_belongs_to_the_process_of_the_event_that_started_it() -> None:
    running, ended = record_of(status_change("RUNNING")), record_of(status_change("SUCCEEDED"))
    assert (running.correlation_id, running.causation_id) == ("order-1", "placed-1")
    assert running.event_id == f"{EXECUTION}#RUNNING#0" and ended.event_id == f"{EXECUTION}#SUCCEEDED#0"
    assert running.time == "2026-11-25T09:46:40.000000Z" and ended.time == "2026-11-25T09:46:43.500000Z"
    assert record_of(status_change("RUNNING", redrive=1)).event_id == f"{EXECUTION}#RUNNING#1"
    assert "causation_id" not in record_of({**status_change("RUNNING"), "detail": {
        **status_change("RUNNING")["detail"], "input": "{}"}}).item()  # fmt: skip


def test_an_event_without_id_is_unreadable_and_one_without_envelope_is_kept_under_eventbridges_id() -> None:
    with pytest.raises(UnreadableEvent):
        record_of({"detail": {}})
    bare = record_of({"id": "eb-9", "source": "x", "detail-type": "Y", "time": "2026-11-25T09:00:05Z", "detail": {}})
    assert bare.event_id == "eb-9" and "correlation_id" not in bare.item()


class Store:
    def __init__(self) -> None:
        self.items: dict[str, dict[str, Any]] = {}

    def append(self, record: EventRecord) -> bool:
        if record.event_id in self.items:
            return False
        self.items[record.event_id] = record.item()
        return True


class Stage:
    def of_this_stage(self, state_machine_arn: str) -> bool:
        return state_machine_arn == MACHINE


TOKEN = "AQCEAAAAKgAAAAMAAAAAAAAAAtoken-of-a-dispatch=="


def test_an_agent_task_request_is_stored_without_its_token_and_with_its_expiry() -> None:
    store = Store()
    requested = bus_event("AgentTaskRequested", "req-1", task_id="t-1/billing", agent="billing", task_token=TOKEN)
    expires_at = expiry(datetime.datetime(2026, 11, 25, tzinfo=datetime.UTC), 30)

    append(requested, store, Stage(), expires_at=expires_at)

    item = store.items["req-1"]
    assert TOKEN not in json.dumps(item)
    assert json.loads(item["detail"])["data"]["task_token"] == marker(TOKEN), "the marker, to correlate by"
    assert item["expires_at"] == expires_at == int(datetime.datetime(2026, 12, 25, tzinfo=datetime.UTC).timestamp())


def test_a_status_change_is_stored_without_the_tokens_and_personal_data_in_its_input_and_output() -> None:
    change = status_change("SUCCEEDED")
    signed_up = bus_event("CustomerSignedUp", "s-1", customer_id="c-1", name="Ada", email="ada@example.com")
    change["detail"]["input"] = json.dumps(signed_up)
    change["detail"]["output"] = json.dumps({"waited": [{"taskToken": TOKEN}]})

    stored = json.dumps(record_of(change).item())

    assert TOKEN not in stored and "ada@example.com" not in stored
    assert marker(TOKEN) in stored and marker("ada@example.com") in stored and marker("Ada") in stored
    assert record_of(change).correlation_id == "order-1", "still the process of the event that started it"


def test_append_ignores_duplicates_and_other_stages_status_changes() -> None:
    store = Store()
    event = bus_event("OrderPlaced", "placed-1")
    assert append(event, store, Stage())[0] == "appended"
    assert append({**event, "id": "eb-redelivered"}, store, Stage())[0] == "duplicate"
    assert store.items["placed-1"]["eventbridge_id"] == "eb-placed-1"
    other = status_change("RUNNING")
    other["detail"]["stateMachineArn"] = MACHINE + "-prod"
    assert append(other, store, Stage())[0] == "not-this-stage"
    assert list(store.items) == ["placed-1"]


def stored(event_type: str, event_id: str, minute: int, cause: str | None = None, **data: Any) -> StoredEvent:
    return StoredEvent(
        event_id=event_id,
        time=datetime.datetime(2026, 11, 25, 9, minute, tzinfo=datetime.UTC),
        kind="event",
        type=event_type,
        source="shop.orders",
        correlation_id="order-1",
        causation_id=cause,
        idempotency_key=None,
        detail={"metadata": {}, "data": data},
    )


ORDER = [
    stored("OrderPlaced", "p", 0, order_id="order-1", total_cents=4200),
    stored("InventoryReserved", "r", 1, "p", reservation_id="res-1"),
    stored("PaymentCharged", "c", 2, "r", payment_id="pay-1", amount_cents=4200),
    stored("OrderCancelled", "x", 3, "c", reason="no carrier", compensated_steps=["payment", "inventory"]),
]


def test_an_order_folds_placed_reserved_charged_cancelled() -> None:
    statuses = [fold(ORDER[:n]).status for n in range(len(ORDER) + 1)]
    assert statuses == ["unknown", "placed", "reserved", "charged", "cancelled"]
    state = fold(ORDER)
    assert state.kind == "order"
    assert state.facts == {
        "order_id": "order-1",
        "total_cents": 4200,
        "reservation_id": "res-1",
        "payment_id": "pay-1",
        "amount_cents": 4200,
        "reason": "no carrier",
        "compensated_steps": ["payment", "inventory"],
    }


def test_the_causal_chain_nests_effects_under_causes_and_marks_missing_causes() -> None:
    events = [*ORDER, stored("OrderCompensationEscalated", "e", 4, "elsewhere")]
    chain = [(link.depth, link.event.event_id, link.cause_missing) for link in causal_chain(events)]
    assert chain == [(0, "p", False), (1, "r", False), (2, "c", False), (3, "x", False), (0, "e", True)]


def test_a_loop_of_causes_is_shown_not_lost() -> None:
    looped = [stored("A", "a", 0, "b"), stored("B", "b", 1, "a")]
    assert [(link.depth, link.event.event_id) for link in causal_chain(looped)] == [(0, "a"), (1, "b")]


def test_timestamps_are_fixed_width_utc() -> None:
    assert timestamp("2026-11-25T10:00:00+01:00") == "2026-11-25T09:00:00.000000Z"
    assert timestamp(0) == "1970-01-01T00:00:00.000000Z"
    with pytest.raises(UnreadableEvent):
        timestamp("yesterday")
