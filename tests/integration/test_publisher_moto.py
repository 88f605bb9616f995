"""The producer library over the real EventBridge adapter on moto: events reach an SQS target of a rule on the bus."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import boto3
import pytest
from moto import mock_aws

from functions.producer import EventBridgeBus, EventBus, EventPublisher, OutgoingEvent
from schemas.agents import AgentTaskCompleted
from schemas.envelope import EventData
from schemas.orders import OrderItem, OrderPlaced
from schemas.validation import validate_detail

BUS = "orchestrator-test"
NOW = datetime(2025, 3, 14, 9, 26, 53, tzinfo=UTC)


class CountingBus:
    """Decorates a port implementation and records the size of every PutEvents call it forwards."""

    def __init__(self, inner: EventBus) -> None:
        self.inner = inner
        self.calls: list[int] = []

    def put_events(self, entries: list[dict[str, Any]]) -> dict[str, Any]:
        self.calls.append(len(entries))
        return self.inner.put_events(entries)


@pytest.fixture
def aws(aws_credentials: None) -> Iterator[None]:
    with mock_aws():
        yield


@pytest.fixture
def queue_url(aws: None) -> str:
    """A custom bus with a rule sending every orders and agents event to an SQS queue."""
    events, sqs = boto3.client("events"), boto3.client("sqs")
    events.create_event_bus(Name=BUS)
    url: str = sqs.create_queue(QueueName="publisher-target")["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    pattern = {"source": [OrderPlaced.SOURCE, AgentTaskCompleted.SOURCE]}
    events.put_rule(Name="to-queue", EventBusName=BUS, EventPattern=json.dumps(pattern), State="ENABLED")
    events.put_targets(Rule="to-queue", EventBusName=BUS, Targets=[{"Id": "queue", "Arn": arn}])
    return url


def receive_all(queue_url: str, expected: int) -> list[dict[str, Any]]:
    sqs = boto3.client("sqs")
    bodies: list[dict[str, Any]] = []
    for _ in range(expected + 2):
        messages = sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10).get("Messages", [])
        if not messages and len(bodies) >= expected:
            break
        for message in messages:
            bodies.append(json.loads(message["Body"]))
            sqs.delete_message(QueueUrl=queue_url, ReceiptHandle=message["ReceiptHandle"])
    return bodies


def order(i: int) -> OrderPlaced:
    return OrderPlaced(
        order_id=f"o-{i}",
        customer_id="c-1",
        items=[OrderItem(sku="sku-1", quantity=i + 1, unit_price_cents=250)],
        currency="EUR",
        total_cents=250 * (i + 1),
    )


def test_eleven_events_arrive_through_two_put_events_calls(queue_url: str) -> None:
    bus = CountingBus(EventBridgeBus(boto3.client("events")))
    sent: list[EventData] = [order(i) for i in range(10)]
    sent.append(AgentTaskCompleted(task_id="t-1", agent="pricer", task_token="token-1", output={"price": 12}))
    publisher = EventPublisher(bus, BUS, "tests.producer", sleep=lambda _: None, clock=lambda: NOW)

    results = publisher.publish(sent)

    assert bus.calls == [10, 1]
    assert all(r.sent and r.eventbridge_id for r in results)
    delivered = receive_all(queue_url, len(sent))
    assert len(delivered) == len(sent)
    by_event_id = {}
    for body in delivered:
        # The consumer side: the delivered detail parses back through the contract.
        parsed = validate_detail(body["detail-type"], body["detail"], body["source"])
        by_event_id[parsed.metadata.event_id] = (body, parsed)
    assert set(by_event_id) == {r.event_id for r in results}
    for result, model in zip(results, sent, strict=True):
        body, parsed = by_event_id[result.event_id]
        assert body["id"] == result.eventbridge_id
        assert (body["source"], body["detail-type"]) == (model.SOURCE, model.DETAIL_TYPE)
        assert parsed.data == model
        assert parsed.metadata.producer == "tests.producer"
        assert parsed.metadata.occurred_at == NOW
        assert parsed.metadata.idempotency_key == result.event_id
        assert parsed.metadata.correlation_id == result.correlation_id


def test_caused_events_carry_the_cause_through_the_bus(queue_url: str) -> None:
    publisher = EventPublisher(EventBridgeBus(boto3.client("events")), BUS, "tests.producer")
    [placed] = publisher.publish([OutgoingEvent.from_model(order(1), correlation_id="checkout-9")])
    [cause_body] = receive_all(queue_url, 1)
    cause = validate_detail(cause_body["detail-type"], cause_body["detail"])

    publisher.publish(
        [OutgoingEvent("AgentTaskCompleted", {"task_id": "t-9", "agent": "pricer", "task_token": "k"})], cause
    )

    [body] = receive_all(queue_url, 1)
    effect = validate_detail(body["detail-type"], body["detail"], body["source"])
    assert effect.metadata.correlation_id == "checkout-9"
    assert effect.metadata.causation_id == placed.event_id == cause.metadata.event_id


def test_a_missing_bus_fails_every_event_without_retrying(aws: None) -> None:
    delays: list[float] = []
    publisher = EventPublisher(
        EventBridgeBus(boto3.client("events")), "no-such-bus", "tests.producer", sleep=delays.append
    )

    results = publisher.publish([order(1), order(2)])

    assert delays == []
    assert {(r.sent, r.error_code, r.attempts) for r in results} == {(False, "ResourceNotFoundException", 1)}


def test_a_batch_over_256_kib_is_split_and_every_event_arrives(queue_url: str) -> None:
    bus = CountingBus(EventBridgeBus(boto3.client("events")))
    publisher = EventPublisher(bus, BUS, "tests.producer", sleep=lambda _: None)
    big = [
        AgentTaskCompleted(task_id=f"t-{i}", agent="writer", task_token=f"k-{i}", output={"draft": "x" * 100_000})
        for i in range(3)
    ]

    results = publisher.publish(big)

    assert bus.calls == [2, 1], "two ~100 KB events fit in one 256 KiB call, the third needs another"
    assert all(r.sent for r in results)
    delivered = receive_all(queue_url, 3)
    assert sorted(b["detail"]["data"]["task_id"] for b in delivered) == ["t-0", "t-1", "t-2"]
