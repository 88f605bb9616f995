"""moto-backed fixtures: a bus whose every event is copied to an SQS queue we can read."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import boto3
import pytest
from moto import mock_aws

from functions.agents import handler as agents_handler
from functions.callback import handler as callback_handler
from functions.schema_guard import handler as guard_handler
from orchestrator.local.runtime import MOTO_CONFIG

BUS_NAME = "orchestrator-test"
IDEMPOTENCY_TABLE = "orchestrator-test-idempotency"


def create_idempotency_table(name: str) -> None:
    """The State stack's Idempotency table as CDK declares it: partition key `id`, TTL on `expiration`."""
    client = boto3.client("dynamodb")
    client.create_table(
        TableName=name,
        KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )
    client.update_time_to_live(TableName=name, TimeToLiveSpecification={"Enabled": True, "AttributeName": "expiration"})


@dataclass
class BusTap:
    """A custom bus with a catch-all rule to an SQS queue: what reached the bus can be read back."""

    bus_name: str
    queue_url: str
    sqs: Any

    def received(self, expected: int | None = None) -> list[dict[str, Any]]:
        """Every event delivered so far (drains the queue)."""
        events: list[dict[str, Any]] = []
        while True:
            batch = self.sqs.receive_message(QueueUrl=self.queue_url, MaxNumberOfMessages=10).get("Messages", [])
            if not batch:
                break
            for message in batch:
                events.append(json.loads(message["Body"]))
                self.sqs.delete_message(QueueUrl=self.queue_url, ReceiptHandle=message["ReceiptHandle"])
        if expected is not None:
            assert len(events) == expected, f"expected {expected} events on the bus, got {len(events)}"
        return events


@pytest.fixture
def bus_tap(aws_credentials: None) -> Iterator[BusTap]:
    with mock_aws():
        events = boto3.client("events")
        sqs = boto3.client("sqs")
        events.create_event_bus(Name=BUS_NAME)
        queue_url = sqs.create_queue(QueueName="tap")["QueueUrl"]
        queue_arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        events.put_rule(Name="tap", EventBusName=BUS_NAME, EventPattern=json.dumps({"source": [{"prefix": ""}]}))
        events.put_targets(Rule="tap", EventBusName=BUS_NAME, Targets=[{"Id": "tap", "Arn": queue_arn}])
        yield BusTap(BUS_NAME, queue_url, sqs)


@pytest.fixture
def tap(aws_credentials: None, monkeypatch: pytest.MonkeyPatch) -> Iterator[BusTap]:
    """The agents' and callbacks' handlers configured for a moto bus whose every event a test can read."""
    monkeypatch.setenv("EVENT_BUS_NAME", BUS_NAME)
    monkeypatch.setenv("REASONER", "offline")
    monkeypatch.setenv("IDEMPOTENCY_TABLE", IDEMPOTENCY_TABLE)
    agents_handler.dependencies.cache_clear()
    callback_handler.dependencies.cache_clear()
    with mock_aws(config=MOTO_CONFIG):
        create_idempotency_table(IDEMPOTENCY_TABLE)
        events, sqs = boto3.client("events"), boto3.client("sqs")
        events.create_event_bus(Name=BUS_NAME)
        queue_url = sqs.create_queue(QueueName="tap")["QueueUrl"]
        queue_arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        events.put_rule(Name="tap", EventBusName=BUS_NAME, EventPattern=json.dumps({"source": [{"prefix": ""}]}))
        events.put_targets(Rule="tap", EventBusName=BUS_NAME, Targets=[{"Id": "tap", "Arn": queue_arn}])
        yield BusTap(BUS_NAME, queue_url, sqs)
    agents_handler.dependencies.cache_clear()
    callback_handler.dependencies.cache_clear()


@pytest.fixture
def quarantine_url(aws_credentials: None, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """The schema guard configured for a moto quarantine queue; its URL."""
    with mock_aws():
        url = boto3.client("sqs").create_queue(QueueName="quarantine")["QueueUrl"]
        monkeypatch.setenv("QUARANTINE_QUEUE_URL", url)
        guard_handler.quarantine.cache_clear()
        yield url
        guard_handler.quarantine.cache_clear()
