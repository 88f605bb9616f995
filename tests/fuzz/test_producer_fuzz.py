"""Fuzzing the producer library: `EventPublisher.publish` over moto's bus, with events of every type built wrong.

Whatever a caller hands it, `publish` sends every event (each result says so, and each is on the bus) or raises
EventValidationError naming every field at fault and sends none of them: a batch is never half sent because one of
its events was bad, and no other exception escapes for bad input.
"""

from __future__ import annotations

from typing import Any

import boto3
import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from functions.producer import EventBridgeBus, EventPublisher, OutgoingEvent
from schemas.catalog import event_types
from schemas.validation import EventValidationError
from tests.builders import sample_data
from tests.fuzz import strategies as fuzz
from tests.fuzz.conftest import BUS_NAME, World

TYPES = {t.DETAIL_TYPE: t for t in event_types()}


@st.composite
def outgoing_events(draw: st.DrawFn) -> OutgoingEvent:
    """An event of a real type whose parts are each, independently, right or broken."""
    detail_type = draw(st.sampled_from(sorted(TYPES)))
    sample = sample_data(detail_type)
    data = draw(st.one_of(st.just(sample), fuzz.mutated(sample), fuzz.json_values(6)))
    return OutgoingEvent(
        detail_type=draw(st.one_of(st.just(detail_type), fuzz.text())),
        data=data,
        source=draw(st.one_of(st.none(), st.just(TYPES[detail_type].SOURCE), fuzz.text())),
        correlation_id=draw(st.one_of(st.none(), st.just("order-1001"), fuzz.text())),
        idempotency_key=draw(st.one_of(st.none(), st.just("key-1"), fuzz.text())),
    )


@pytest.fixture(scope="module")
def publisher(world: World) -> EventPublisher:
    return EventPublisher(EventBridgeBus(boto3.client("events")), BUS_NAME, producer="fuzz", sleep=lambda _: None)


def publish(publisher: EventPublisher, world: World, events: list[OutgoingEvent]) -> None:
    """The property: all sent and on the bus, or refused by field with nothing on the bus."""
    world.tap.received()
    try:
        results = publisher.publish(events)
    except EventValidationError as error:
        assert error.errors, "a refusal that names nothing"
        assert all(e.field and e.reason for e in error.errors), error.errors
        assert world.tap.received() == [], "a refused batch was partly sent"
        return
    assert len(results) == len(events)
    sent = {r.event_id for r in results if r.sent}
    assert {e["detail"]["metadata"]["event_id"] for e in world.tap.received()} == sent
    assert all(r.sent or r.error_code == "EntryTooLarge" for r in results), results


ORDER = sample_data("OrderPlaced")
APPROVAL = sample_data("ApprovalRequested")


@given(events=st.lists(outgoing_events(), min_size=1, max_size=3))
# Found by the ingestion fuzzer, in this library: a lone surrogate in data or metadata (UnicodeEncodeError when the
# entry is sized) and a free-form field nested past pydantic's serialization depth (ValueError).
@example(events=[OutgoingEvent("OrderPlaced", ORDER), OutgoingEvent("OrderPlaced", {**ORDER, "customer_id": "\udc80"})])
@example(events=[OutgoingEvent("OrderPlaced", ORDER, idempotency_key="k\ud800")])
@example(events=[OutgoingEvent("ApprovalRequested", {**APPROVAL, "details": {"x": fuzz.nest(300, True)}})])
def test_a_batch_is_sent_whole_or_refused_by_field(publisher: EventPublisher, world: World, events: Any) -> None:
    publish(publisher, world, events)


def test_one_bad_event_keeps_the_whole_batch_off_the_bus(publisher: EventPublisher, world: World) -> None:
    good = OutgoingEvent("OrderPlaced", ORDER)
    bad = OutgoingEvent("OrderPlaced", {**ORDER, "total_cents": "lots"})
    world.tap.received()
    with pytest.raises(EventValidationError) as refused:
        publisher.publish([good, good, bad])
    assert [e.field for e in refused.value.errors] == ["data.total_cents"]
    assert world.tap.received() == []
