"""EventBridge event patterns on the local runtime (orchestrator/local/patterns.py and delivery/rules.py): every vector
of orchestrator/local/conformance/pattern_vectors.py (each citing the AWS page it comes from) gives the documented
answer through the engine, through TestEventPattern (boto3 against moto), and through real delivery (a rule with a
queue target); a malformed pattern is refused at PutRule with InvalidEventPatternException, and the bus keeps
delivering."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import pytest
from botocore.exceptions import ClientError
from moto import mock_aws

from orchestrator.local.conformance.pattern_vectors import INVALID, VECTORS, Vector
from orchestrator.local.delivery import Delivery, RulePatterns
from orchestrator.local.lambdas import LambdaRuntime
from orchestrator.local.patterns import InvalidEventPattern, compile_pattern
from orchestrator.local.runtime import MOTO_CONFIG, Runtime
from tests.conftest import fake_aws_environment

BUS = "vectors"
# Every event the bus receives has version "0": this rule proves each vector's event was published as written.
PUBLISHED_PATTERN = {"version": ["0"]}


@dataclass
class Bus:
    events: Any
    sqs: Any
    matched_url: str
    matched_arn: str
    published_url: str

    def receive(self, url: str) -> list[dict[str, Any]]:
        """The events waiting on a queue (removed from it)."""
        received = self.sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=0)
        messages = received.get("Messages", [])
        for message in messages:
            self.sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
        return [json.loads(message["Body"]) for message in messages]

    def put(self, event: dict[str, Any]) -> None:
        entry = {
            "EventBusName": BUS,
            "Source": event["source"],
            "DetailType": event["detail-type"],
            "Detail": json.dumps(event["detail"]),
            "Resources": event["resources"],
            "Time": datetime.fromisoformat(event["time"].replace("Z", "+00:00")),
        }
        assert self.events.put_events(Entries=[entry])["FailedEntryCount"] == 0


def queue(sqs: Any, name: str) -> tuple[str, str]:
    url = sqs.create_queue(QueueName=name)["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    return url, arn


@pytest.fixture(scope="module")
def bus() -> Iterator[Bus]:
    """One moto with the local runtime's delivery and rule-pattern seams, one bus, shared by every vector."""
    with pytest.MonkeyPatch.context() as patch, mock_aws(config=MOTO_CONFIG):
        fake_aws_environment(patch)
        runtime = Runtime()
        adapters = [Delivery(runtime, LambdaRuntime(runtime)), RulePatterns()]
        for adapter in adapters:
            adapter.install()
        try:
            events, sqs = runtime.client("events"), runtime.client("sqs")
            events.create_event_bus(Name=BUS)
            matched_url, matched_arn = queue(sqs, "matched")
            published_url, published_arn = queue(sqs, "published")
            events.put_rule(Name="published", EventBusName=BUS, EventPattern=json.dumps(PUBLISHED_PATTERN))
            events.put_targets(Rule="published", EventBusName=BUS, Targets=[{"Id": "q", "Arn": published_arn}])
            yield Bus(events, sqs, matched_url, matched_arn, published_url)
        finally:
            for adapter in reversed(adapters):
                adapter.uninstall()


def delivered(bus: Bus, pattern: dict[str, Any], event: dict[str, Any]) -> bool:
    """Whether a rule with `pattern` delivers `event` to its queue, once the event is seen published as written."""
    bus.events.put_rule(Name="vector", EventBusName=BUS, EventPattern=json.dumps(pattern))
    bus.events.put_targets(Rule="vector", EventBusName=BUS, Targets=[{"Id": "q", "Arn": bus.matched_arn}])
    bus.put(event)
    (published,) = bus.receive(bus.published_url)
    assert {**published, "id": event["id"]} == event, "the event delivered is the vector's event"
    matched = bus.receive(bus.matched_url)
    assert len(matched) <= 1
    return bool(matched)


def test_there_are_at_least_150_vectors_and_each_names_its_source() -> None:
    assert len(VECTORS) >= 150
    assert len({vector.name for vector in VECTORS}) == len(VECTORS)
    assert {vector.source for vector in VECTORS} >= {"EP", "CF", "OPS", "ARR", "NUL", "RULER"}
    assert {True, False} == {vector.expected for vector in VECTORS}


@pytest.mark.parametrize("vector", VECTORS, ids=lambda vector: vector.name)
def test_the_engine_test_event_pattern_and_delivery_give_the_documented_answer(bus: Bus, vector: Vector) -> None:
    engine = compile_pattern(vector.pattern).matches(vector.event)
    tested = bus.events.test_event_pattern(EventPattern=json.dumps(vector.pattern), Event=json.dumps(vector.event))

    assert (engine, tested["Result"], delivered(bus, vector.pattern, vector.event)) == (vector.expected,) * 3


@pytest.mark.parametrize(("source", "pattern", "reason"), INVALID, ids=[text for _, text, _ in INVALID])
def test_a_malformed_pattern_is_refused_naming_the_problem_and_the_bus_keeps_delivering(
    bus: Bus, source: str, pattern: str, reason: str
) -> None:
    with pytest.raises(InvalidEventPattern, match="^Event pattern is not valid. Reason: ") as raised:
        compile_pattern(pattern)
    assert reason in raised.value.reason

    event = VECTORS[0].event
    for operation, arguments in (
        ("test_event_pattern", {"EventPattern": pattern, "Event": json.dumps(event)}),
        ("put_rule", {"Name": "malformed", "EventBusName": BUS, "EventPattern": pattern}),
    ):
        with pytest.raises(ClientError) as refused:
            getattr(bus.events, operation)(**arguments)
        error = refused.value.response
        assert error["Error"]["Code"] == "InvalidEventPatternException"
        assert error["ResponseMetadata"]["HTTPStatusCode"] == 400
        assert error["Error"]["Message"].startswith("Event pattern is not valid. Reason: ")
        assert reason in error["Error"]["Message"]

    assert "malformed" not in [rule["Name"] for rule in bus.events.list_rules(EventBusName=BUS)["Rules"]]
    assert delivered(bus, {"source": [event["source"]]}, event), "the bus still delivers"


def test_test_event_pattern_refuses_an_event_missing_a_mandatory_field(bus: Bus) -> None:
    event = {key: value for key, value in VECTORS[0].event.items() if key != "account"}

    with pytest.raises(ClientError) as refused:
        bus.events.test_event_pattern(EventPattern=json.dumps({"source": ["aws.ec2"]}), Event=json.dumps(event))

    assert refused.value.response["Error"]["Code"] == "ValidationException"
    assert "account" in refused.value.response["Error"]["Message"]


def padded_pattern(length: int, source: str) -> str:
    """A valid pattern on `source` and a second source value filling it out to exactly `length` characters."""
    shell = json.dumps({"source": [source, ""]})
    return json.dumps({"source": [source, "x" * (length - len(shell))]})


def test_a_pattern_over_the_apis_4096_characters_is_refused_and_one_at_it_is_taken(bus: Bus) -> None:
    """PutRule's and TestEventPattern's API references: EventPattern "Length Constraints: Maximum length of 4096"."""
    event = VECTORS[0].event
    at_limit, over = padded_pattern(4096, event["source"]), padded_pattern(4097, event["source"])
    assert (len(at_limit), len(over)) == (4096, 4097)

    for operation, arguments in (
        ("test_event_pattern", {"EventPattern": over, "Event": json.dumps(event)}),
        ("put_rule", {"Name": "too-long", "EventBusName": BUS, "EventPattern": over}),
    ):
        with pytest.raises(ClientError) as refused:
            getattr(bus.events, operation)(**arguments)
        error = refused.value.response["Error"]
        assert error["Code"] == "ValidationException"
        assert "'eventPattern'" in error["Message"] and "less than or equal to 4096" in error["Message"]
    assert "too-long" not in [rule["Name"] for rule in bus.events.list_rules(EventBusName=BUS)["Rules"]]

    assert bus.events.test_event_pattern(EventPattern=at_limit, Event=json.dumps(event))["Result"] is True
    assert delivered(bus, json.loads(at_limit), event)
