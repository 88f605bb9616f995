"""The producer library against a fake bus: metadata, batching within PutEvents limits, retries, validation."""

from __future__ import annotations

import json
import random
import re
from collections import deque
from datetime import UTC, datetime
from typing import Any

import pytest

from functions.producer import (
    ENTRY_TOO_LARGE,
    MAX_CALL_BYTES,
    EventBusError,
    EventPublisher,
    OutgoingEvent,
    entry_size,
)
from schemas.agents import AgentTaskCompleted
from schemas.envelope import Metadata
from schemas.orders import OrderItem, OrderPlaced
from schemas.validation import EventValidationError, validate_detail

NOW = datetime(2025, 3, 14, 9, 26, 53, tzinfo=UTC)
BUS = "orders-test"


class FakeBus:
    """Records every PutEvents call; fails chosen entries (by order_id or task_id) with chosen codes, in turn."""

    def __init__(self) -> None:
        self.calls: list[list[dict[str, Any]]] = []
        self._entry_failures: dict[str, deque[str]] = {}
        self._call_failures: deque[EventBusError] = deque()
        self._next_id = 0

    def fail_entry(self, key: str, *codes: str) -> None:
        """The entry whose data has order_id/task_id `key` fails with `codes[0]`, then `codes[1]`, ... then succeeds."""
        self._entry_failures[key] = deque(codes)

    def fail_call(self, *errors: EventBusError) -> None:
        """The next calls raise `errors`, one each."""
        self._call_failures.extend(errors)

    def put_events(self, entries: list[dict[str, Any]]) -> dict[str, Any]:
        self.calls.append(list(entries))
        if self._call_failures:
            raise self._call_failures.popleft()
        answers: list[dict[str, Any]] = []
        for entry in entries:
            codes = self._entry_failures.get(_key(entry))
            if codes:
                code = codes.popleft()
                answers.append({"ErrorCode": code, "ErrorMessage": f"scripted {code}"})
            else:
                self._next_id += 1
                answers.append({"EventId": f"eb-{self._next_id}"})
        return {"FailedEntryCount": sum("ErrorCode" in a for a in answers), "Entries": answers}

    def keys(self, call: int) -> list[str]:
        return [_key(e) for e in self.calls[call]]


class FakeSleep:
    def __init__(self) -> None:
        self.delays: list[float] = []

    def __call__(self, seconds: float) -> None:
        self.delays.append(seconds)


class RecordingRandom(random.Random):
    """A seeded Random that records the bounds of each jitter draw."""

    def __init__(self, seed: int = 7) -> None:
        super().__init__(seed)
        self.bounds: list[tuple[float, float]] = []
        self.draws: list[float] = []

    def uniform(self, a: float, b: float) -> float:
        value = super().uniform(a, b)
        self.bounds.append((a, b))
        self.draws.append(value)
        return value


def _key(entry: dict[str, Any]) -> str:
    data = json.loads(entry["Detail"])["data"]
    return str(data.get("order_id") or data.get("task_id"))


def order(order_id: str = "o-1", quantity: int = 2) -> OrderPlaced:
    return OrderPlaced(
        order_id=order_id,
        customer_id="c-1",
        items=[OrderItem(sku="sku-1", quantity=quantity, unit_price_cents=500)],
        currency="EUR",
        total_cents=500 * quantity,
    )


def completed(task_id: str, payload_bytes: int) -> AgentTaskCompleted:
    return AgentTaskCompleted(task_id=task_id, agent="pricer", task_token="tok", output={"blob": "x" * payload_bytes})


def publisher(bus: FakeBus, sleep: FakeSleep | None = None, rng: random.Random | None = None, **kwargs: Any):
    return EventPublisher(
        bus,
        BUS,
        "tests.producer",
        sleep=sleep or FakeSleep(),
        rng=rng or RecordingRandom(),
        clock=lambda: NOW,
        **kwargs,
    )


def detail(entry: dict[str, Any]) -> dict[str, Any]:
    parsed: dict[str, Any] = json.loads(entry["Detail"])
    return parsed


# Batching


def test_eleven_events_go_in_two_calls_of_ten_and_one() -> None:
    bus = FakeBus()

    results = publisher(bus).publish([order(f"o-{i}") for i in range(11)])

    assert [len(call) for call in bus.calls] == [10, 1]
    assert bus.keys(0) + bus.keys(1) == [f"o-{i}" for i in range(11)]
    assert all(r.sent and r.attempts == 1 for r in results)
    assert [r.eventbridge_id for r in results] == [f"eb-{i}" for i in range(1, 12)]


def test_a_batch_over_256_kib_is_split_by_size() -> None:
    bus = FakeBus()
    events = [completed(f"t-{i}", 100_000) for i in range(5)]

    results = publisher(bus).publish(events)

    assert all(r.sent for r in results)
    assert [len(call) for call in bus.calls] == [2, 2, 1]
    for call in bus.calls:
        assert sum(entry_size(e) for e in call) <= MAX_CALL_BYTES
    assert [k for i in range(len(bus.calls)) for k in bus.keys(i)] == [f"t-{i}" for i in range(5)]


def test_entry_size_follows_the_documented_formula() -> None:
    entry = {"Source": "shop.orders", "DetailType": "OrderPlaced", "Detail": '{"a":"é"}', "Time": NOW}

    assert entry_size(entry) == 14 + len("shop.orders") + len("OrderPlaced") + len('{"a":"é"}'.encode())
    assert entry_size({**entry, "Resources": ["arn:1", "arn:22"]}) == entry_size(entry) + 5 + 6
    assert entry_size({k: v for k, v in entry.items() if k != "Time"}) == entry_size(entry) - 14


def test_an_oversize_event_fails_with_entry_too_large_and_the_others_still_go() -> None:
    bus = FakeBus()
    events = [order("o-1"), completed("t-huge", 300_000), order("o-2")]

    results = publisher(bus).publish(events)

    assert [r.sent for r in results] == [True, False, True]
    huge = results[1]
    assert huge.error_code == ENTRY_TOO_LARGE
    assert huge.attempts == 0
    assert huge.eventbridge_id is None
    size = re.fullmatch(
        rf"entry is (\d+) bytes; the PutEvents limit is {MAX_CALL_BYTES} bytes", huge.error_message or ""
    )
    assert size is not None
    assert int(size.group(1)) > MAX_CALL_BYTES
    assert bus.keys(0) == ["o-1", "o-2"]
    assert len(bus.calls) == 1


# Retries


def test_only_failed_entries_are_retried_with_growing_jittered_backoff() -> None:
    bus = FakeBus()
    bus.fail_entry("o-1", "ThrottlingException", "InternalFailure", "ThrottlingException")
    bus.fail_entry("o-3", "InternalFailure")
    sleep, rng = FakeSleep(), RecordingRandom()

    results = publisher(bus, sleep, rng, base_delay=0.05, max_delay=0.15).publish([order(f"o-{i}") for i in range(5)])

    assert all(r.sent for r in results)
    assert [bus.keys(i) for i in range(len(bus.calls))] == [
        ["o-0", "o-1", "o-2", "o-3", "o-4"],
        ["o-1", "o-3"],
        ["o-1"],
        ["o-1"],
    ]
    assert [r.attempts for r in results] == [1, 4, 1, 2, 1]
    # Caps double from base_delay and stop at max_delay; each delay is a draw under its cap.
    assert rng.bounds == [(0, 0.05), (0, 0.1), (0, 0.15)]
    assert sleep.delays == rng.draws
    assert all(0 <= d <= cap for d, (_, cap) in zip(sleep.delays, rng.bounds, strict=True))
    assert sleep.delays != [cap for _, cap in rng.bounds]


def test_retried_entries_are_resent_unchanged() -> None:
    bus = FakeBus()
    bus.fail_entry("o-1", "ThrottlingException")

    publisher(bus).publish([order("o-0"), order("o-1")])

    assert bus.calls[1] == [bus.calls[0][1]]


def test_non_retryable_codes_fail_at_once() -> None:
    bus = FakeBus()
    bus.fail_entry("o-1", "AccessDeniedException")
    bus.fail_entry("o-2", "MalformedDetail")
    sleep = FakeSleep()

    results = publisher(bus, sleep).publish([order("o-0"), order("o-1"), order("o-2")])

    assert len(bus.calls) == 1
    assert sleep.delays == []
    assert results[0].sent
    assert (results[1].sent, results[1].error_code, results[1].attempts) == (False, "AccessDeniedException", 1)
    assert results[1].error_message == "scripted AccessDeniedException"
    assert (results[2].sent, results[2].error_code) == (False, "MalformedDetail")


def test_exhausted_attempts_fail_with_the_last_code() -> None:
    bus = FakeBus()
    bus.fail_entry("o-1", "ThrottlingException", "ThrottlingException", "InternalFailure", "ThrottlingException")
    sleep = FakeSleep()

    results = publisher(bus, sleep, max_attempts=3).publish([order("o-0"), order("o-1")])

    assert len(bus.calls) == 3
    assert len(sleep.delays) == 2
    assert results[0].sent
    assert (results[1].sent, results[1].error_code, results[1].attempts) == (False, "InternalFailure", 3)


def test_a_whole_call_failing_transiently_retries_the_whole_batch() -> None:
    bus = FakeBus()
    bus.fail_call(EventBusError("ThrottlingException", "Rate exceeded", retryable=True))
    sleep = FakeSleep()

    results = publisher(bus, sleep).publish([order("o-0"), order("o-1")])

    assert len(bus.calls) == 2
    assert bus.calls[0] == bus.calls[1]
    assert len(sleep.delays) == 1
    assert all(r.sent and r.attempts == 2 for r in results)


def test_a_whole_call_failing_for_good_fails_its_batch_and_later_batches_still_go() -> None:
    bus = FakeBus()
    bus.fail_call(EventBusError("AccessDeniedException", "not allowed", retryable=False))
    sleep = FakeSleep()

    results = publisher(bus, sleep).publish([order(f"o-{i}") for i in range(11)])

    assert [len(call) for call in bus.calls] == [10, 1]
    assert sleep.delays == []
    assert {(r.sent, r.error_code, r.error_message) for r in results[:10]} == {
        (False, "AccessDeniedException", "not allowed")
    }
    assert results[10].sent


# Validation


def test_validation_errors_name_detail_type_field_and_reason_and_nothing_is_sent() -> None:
    bus = FakeBus()
    bad_order = {
        "order_id": "o-1",
        "customer_id": "c-1",
        "items": [{"sku": "sku-1", "quantity": 0, "unit_price_cents": 500}],
        "currency": "eur",
        "total_cents": 0,
    }
    events = [
        order("o-0"),
        OutgoingEvent("OrderPlaced", bad_order),
        OutgoingEvent("AgentTaskCompleted", {"task_id": "t-1", "agent": "pricer"}),
        OutgoingEvent("NoSuchEvent", {}),
        OutgoingEvent("OrderPlaced", order("o-2").model_dump(mode="json"), source="shop.payments"),
    ]

    with pytest.raises(EventValidationError) as raised:
        publisher(bus).publish(events)

    assert bus.calls == []
    found = {(e.detail_type, e.field) for e in raised.value.errors}
    assert found == {
        ("OrderPlaced", "data.items[0].quantity"),
        ("OrderPlaced", "data.currency"),
        ("AgentTaskCompleted", "data.task_token"),
        ("NoSuchEvent", "detail-type"),
        ("OrderPlaced", "source"),
    }
    quantity = next(e for e in raised.value.errors if e.field == "data.items[0].quantity")
    assert "greater than or equal to 1" in quantity.reason
    assert "OrderPlaced: data.items[0].quantity: " in str(raised.value)


def test_an_invalid_correlation_id_is_a_field_error() -> None:
    bus = FakeBus()

    with pytest.raises(EventValidationError) as raised:
        publisher(bus).publish([OutgoingEvent.from_model(order(), correlation_id="has spaces")])

    assert bus.calls == []
    assert [(e.detail_type, e.field) for e in raised.value.errors] == [("OrderPlaced", "metadata.correlation_id")]


# Metadata


def test_metadata_and_entry_are_filled() -> None:
    bus = FakeBus()

    [result] = publisher(bus).publish([order("o-1")])

    [entry] = bus.calls[0]
    assert {k: v for k, v in entry.items() if k != "Detail"} == {
        "Source": "shop.orders",
        "DetailType": "OrderPlaced",
        "EventBusName": BUS,
        "Time": NOW,
    }
    parsed = validate_detail("OrderPlaced", detail(entry), "shop.orders")
    assert parsed.data == order("o-1")
    meta = parsed.metadata
    assert meta.event_id == result.event_id
    assert meta.correlation_id == result.correlation_id != meta.event_id
    assert meta.causation_id is None
    assert meta.idempotency_key == meta.event_id
    assert meta.schema_version == OrderPlaced.SCHEMA_VERSION
    assert meta.occurred_at == NOW
    assert meta.producer == "tests.producer"


def test_every_event_gets_its_own_ids() -> None:
    bus = FakeBus()

    results = publisher(bus).publish([order("o-1"), order("o-2")])

    assert results[0].event_id != results[1].event_id
    assert results[0].correlation_id != results[1].correlation_id


def test_given_correlation_id_and_idempotency_key_are_kept() -> None:
    bus = FakeBus()
    raw = OutgoingEvent(
        "OrderPlaced", order().model_dump(mode="json"), correlation_id="checkout-42", idempotency_key="cart-42"
    )

    publisher(bus).publish([raw])

    meta = detail(bus.calls[0][0])["metadata"]
    assert (meta["correlation_id"], meta["idempotency_key"]) == ("checkout-42", "cart-42")


@pytest.mark.parametrize("as_metadata", [False, True])
def test_metadata_propagates_from_the_causing_event(as_metadata: bool) -> None:
    bus = FakeBus()
    pub = publisher(bus)
    pub.publish([OutgoingEvent.from_model(order("o-1"), correlation_id="checkout-7")])
    cause = validate_detail("OrderPlaced", detail(bus.calls[0][0]))

    caused = pub.publish([completed("t-1", 10)], caused_by=cause.metadata if as_metadata else cause)

    meta = Metadata.model_validate(detail(bus.calls[1][0])["metadata"])
    assert meta.correlation_id == "checkout-7" == caused[0].correlation_id
    assert meta.causation_id == cause.metadata.event_id
    assert meta.event_id not in {cause.metadata.event_id, meta.correlation_id}
    assert meta.idempotency_key == meta.event_id


def test_a_correlation_id_contradicting_the_cause_is_refused() -> None:
    bus = FakeBus()
    pub = publisher(bus)
    pub.publish([order("o-1")])
    cause = validate_detail("OrderPlaced", detail(bus.calls[0][0]))

    with pytest.raises(EventValidationError) as raised:
        pub.publish([OutgoingEvent.from_model(order("o-2"), correlation_id="other")], caused_by=cause)

    assert len(bus.calls) == 1
    assert [e.field for e in raised.value.errors] == ["metadata.correlation_id"]


def test_nothing_to_publish_makes_no_call() -> None:
    bus = FakeBus()

    assert publisher(bus).publish([]) == []
    assert bus.calls == []


def test_max_attempts_must_allow_one_attempt() -> None:
    with pytest.raises(ValueError, match="max_attempts"):
        publisher(FakeBus(), max_attempts=0)
