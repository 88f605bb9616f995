"""The fuzzers' Hypothesis profile and the moto world their handlers run in.

Profile `fuzz` (the default, what CI runs): derandomized, so every run tries the same examples and a failure in CI
is the same failure on a laptop; few examples per fuzzer, so that all of them together stay well under 40 s; no
deadline (a handler's first call imports and wires its dependencies) and no example database to write.
`HYPOTHESIS_PROFILE=fuzz-deep` runs many more random examples, to hunt for new bugs by hand; what it finds is
pinned with `@example` in the fuzzer.

The world is one moto account per test module (a fresh one per Hypothesis example would cost more than the example):
so each fuzzer asserts on what an example changed, never on totals.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import boto3
import pytest
from hypothesis import HealthCheck, settings
from moto import mock_aws

from orchestrator.local.runtime import MOTO_CONFIG
from tests.integration.conftest import BusTap, create_idempotency_table

_SLOW_EXAMPLES_ARE_FINE = [HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.large_base_example]
settings.register_profile(
    "fuzz",
    derandomize=True,
    database=None,
    max_examples=25,
    deadline=None,
    suppress_health_check=_SLOW_EXAMPLES_ARE_FINE,
    print_blob=True,
)
settings.register_profile(
    "fuzz-deep", database=None, max_examples=1_000, deadline=None, suppress_health_check=_SLOW_EXAMPLES_ARE_FINE
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "fuzz"))

BUS_NAME = "fuzz-bus"
IDEMPOTENCY_TABLE = "fuzz-idempotency"
SERVICES_TABLE = "fuzz-saga-services"  # the inventory, payments and shipping records (each under its own prefix)
CONTROL_TABLE = "fuzz-workflow-control"

ENVIRONMENT = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SESSION_TOKEN": "testing",
    "AWS_DEFAULT_REGION": "us-east-1",
    "AWS_REGION": "us-east-1",
    "EVENT_BUS_NAME": BUS_NAME,
    "IDEMPOTENCY_TABLE": IDEMPOTENCY_TABLE,
    "TABLE_NAME": SERVICES_TABLE,
    "WORKFLOW_CONTROL_TABLE": CONTROL_TABLE,
    "MESSAGE_TTL_SECONDS": "3600",
    "REASONER": "offline",
    "MAX_EVENTS_PER_REQUEST": "5",
}


@dataclass
class World:
    """The moto resources every handler of the app writes to, and a read of each."""

    tap: BusTap  # every event put on the bus
    quarantine_url: str

    def tables(self) -> dict[str, int]:
        """Item count per table (a scan: the tables stay small)."""
        dynamodb = boto3.client("dynamodb")
        return {
            name: dynamodb.scan(TableName=name, Select="COUNT")["Count"]
            for name in (IDEMPOTENCY_TABLE, SERVICES_TABLE, CONTROL_TABLE)
        }

    def quarantined(self) -> list[tuple[dict[str, Any], dict[str, str]]]:
        """Every message the schema guard put in the quarantine so far, body and attributes (drains the queue)."""
        found: list[tuple[dict[str, Any], dict[str, str]]] = []
        while batch := self.tap.sqs.receive_message(
            QueueUrl=self.quarantine_url, MaxNumberOfMessages=10, MessageAttributeNames=["All"]
        ).get("Messages", []):
            for message in batch:
                attributes = {k: v["StringValue"] for k, v in message.get("MessageAttributes", {}).items()}
                found.append((json.loads(message["Body"]), attributes))
                self.tap.sqs.delete_message(QueueUrl=self.quarantine_url, ReceiptHandle=message["ReceiptHandle"])
        return found


@contextmanager
def unprintable_input_tolerated() -> Iterator[None]:
    """pydantic-core, validating an object nested thousands deep, fails to repr it, writes `<unprintable ...>` in its
    error and reports the RecursionError as "unraisable" (checked: `TypeAdapter.validate_python` of 3,000 nested
    objects). Its outcome, the ValidationError, is what a fuzzer checks; pytest would fail the test on the report
    itself (and on its own repr of the object). Any other unraisable exception still fails."""
    reported: list[type[BaseException]] = []
    previous = sys.unraisablehook
    sys.unraisablehook = lambda unraisable: reported.append(unraisable.exc_type)
    try:
        yield
    finally:
        sys.unraisablehook = previous
        others = [kind for kind in reported if not issubclass(kind, RecursionError)]
        assert not others, others


def fresh(*factories: Any) -> Iterator[None]:
    """Empties the handlers' cached dependencies before and after a module: each module's world is another one."""
    for factory in factories:
        factory.cache_clear()
    yield
    for factory in factories:
        factory.cache_clear()


@pytest.fixture(scope="module")
def world() -> Iterator[World]:
    with pytest.MonkeyPatch.context() as patch:
        for name, value in ENVIRONMENT.items():
            patch.setenv(name, value)
        patch.delenv("AWS_PROFILE", raising=False)
        with mock_aws(config=MOTO_CONFIG):
            yield _build_world(patch)


def _build_world(patch: pytest.MonkeyPatch) -> World:
    create_idempotency_table(IDEMPOTENCY_TABLE)
    dynamodb = boto3.client("dynamodb")
    dynamodb.create_table(
        TableName=SERVICES_TABLE,
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )
    dynamodb.create_table(
        TableName=CONTROL_TABLE,
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
        AttributeDefinitions=[
            {"AttributeName": "pk", "AttributeType": "S"},
            {"AttributeName": "sk", "AttributeType": "S"},
        ],
        BillingMode="PAY_PER_REQUEST",
    )
    events, sqs = boto3.client("events"), boto3.client("sqs")
    events.create_event_bus(Name=BUS_NAME)
    tap_url = sqs.create_queue(QueueName="tap")["QueueUrl"]
    tap_arn = sqs.get_queue_attributes(QueueUrl=tap_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    events.put_rule(Name="tap", EventBusName=BUS_NAME, EventPattern='{"source": [{"prefix": ""}]}')
    events.put_targets(Rule="tap", EventBusName=BUS_NAME, Targets=[{"Id": "tap", "Arn": tap_arn}])
    quarantine_url = sqs.create_queue(QueueName="quarantine")["QueueUrl"]
    patch.setenv("QUARANTINE_QUEUE_URL", quarantine_url)
    return World(BusTap(BUS_NAME, tap_url, sqs), quarantine_url)
