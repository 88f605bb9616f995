"""SQS event source mappings as pollers on moto: batches, windows, partial failures, redelivery on the clock, DLQ."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import boto3
import pytest
from moto import mock_aws

from orchestrator.assembly import CloudAssembly
from orchestrator.local.pollers import BatchRecord, Pollers, UnsupportedMapping, batch_failures
from orchestrator.local.provision import Provisioner
from orchestrator.local.runtime import MOTO_CONFIG, Runtime
from tests.builders import create_function
from tests.settling import quiet

VISIBILITY = 30
Handler = Callable[[dict[str, Any]], Any]


@dataclass(frozen=True)
class FakeInvocation:
    status_code: int
    payload: bytes
    function_error: str | None = None


class NoRoles:
    """No function of these fakes has an execution role (IAM is not enforced in these tests)."""

    def role_of(self, function_name_or_arn: str) -> str:
        return ""


@dataclass
class RecordingLambdas(NoRoles):
    """A LambdaPort running a Python callable per function name; a raised exception comes back as Lambda
    answers it (FunctionError "Unhandled"), and a handler returning bytes answers them as the raw payload."""

    handlers: dict[str, Handler] = field(default_factory=dict)
    events: list[tuple[str, dict[str, Any]]] = field(default_factory=list)

    def invoke(
        self, function_name_or_arn: str, payload: bytes, invocation_type: str = "RequestResponse"
    ) -> FakeInvocation:
        name = function_name_or_arn.rsplit(":", 1)[-1]
        event = json.loads(payload)
        self.events.append((name, event))
        try:
            result = self.handlers[name](event)
        except Exception as error:  # noqa: BLE001 - a handler's error is the function's answer
            body = json.dumps({"errorType": type(error).__name__, "errorMessage": str(error)}).encode()
            return FakeInvocation(200, body, "Unhandled")
        return FakeInvocation(200, result if isinstance(result, bytes) else json.dumps(result).encode())


class BrokenLambdas(NoRoles):
    """A LambdaPort that cannot invoke at all: a defect of the local runtime, not a function error."""

    def invoke(
        self, function_name_or_arn: str, payload: bytes, invocation_type: str = "RequestResponse"
    ) -> FakeInvocation:
        raise RuntimeError("no such handler module")


@dataclass
class Local:
    runtime: Runtime
    lambdas: RecordingLambdas
    pollers: Pollers

    @property
    def sqs(self) -> Any:
        return self.runtime.client("sqs")

    def queue(self, name: str, **attributes: str) -> tuple[str, str]:
        url = self.sqs.create_queue(QueueName=name, Attributes={"VisibilityTimeout": str(VISIBILITY), **attributes})
        arn = self.sqs.get_queue_attributes(QueueUrl=url["QueueUrl"], AttributeNames=["QueueArn"])["Attributes"]
        return url["QueueUrl"], arn["QueueArn"]

    def send(self, url: str, *bodies: str) -> list[str]:
        return [self.sqs.send_message(QueueUrl=url, MessageBody=body)["MessageId"] for body in bodies]

    def counts(self, url: str) -> tuple[int, int]:
        """(visible, in flight) messages of a queue."""
        names = ["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"]
        attributes = self.sqs.get_queue_attributes(QueueUrl=url, AttributeNames=names)["Attributes"]
        return int(attributes[names[0]]), int(attributes[names[1]])

    def settled(self) -> None:
        """Returns once the pollers are still: every batch they could run has run (the rest wait on the clock)."""
        quiet(self.runtime, self.pollers)

    def batches(self, count: int) -> list[BatchRecord]:
        """Every batch run so far, once the pollers are still: at least `count` of them."""
        self.settled()
        assert len(self.pollers.records) >= count, f"{len(self.pollers.records)} batches, expected {count}"
        return self.pollers.records


@pytest.fixture
def local(aws_credentials: None) -> Iterator[Local]:
    with mock_aws(config=MOTO_CONFIG):
        create_function("worker")
        runtime = Runtime()
        lambdas = RecordingLambdas(handlers={"worker": lambda event: None})
        pollers = Pollers(runtime, lambdas)
        pollers.install()
        try:
            yield Local(runtime, lambdas, pollers)
        finally:
            pollers.stop()
            pollers.uninstall()


def test_moto_no_longer_invokes_the_mapping_inside_send_message_but_still_lists_it(local: Local) -> None:
    url, arn = local.queue("orders")
    mapping = local.pollers.create_mapping(arn, "worker")

    local.send(url, "hello")  # not started: only moto's own synchronous delivery could consume it

    assert local.counts(url) == (1, 0)
    (listed,) = boto3.client("lambda").list_event_source_mappings(EventSourceArn=arn)["EventSourceMappings"]
    assert listed["UUID"] == mapping.uuid and listed["State"] == "Enabled"


def test_a_mapping_needs_its_function_in_moto(local: Local) -> None:
    _, arn = local.queue("orders")
    with pytest.raises(UnsupportedMapping, match="missing-function"):
        local.pollers.create_mapping(arn, "missing-function")


def test_batch_size_is_respected(local: Local) -> None:
    url, arn = local.queue("orders")
    local.pollers.create_mapping(arn, "worker", batch_size=3)
    sent = local.send(url, *[f"m{i}" for i in range(7)])

    local.pollers.start()
    batches = local.batches(3)

    assert [len(b.message_ids) for b in batches] == [3, 3, 1]
    assert sorted(i for b in batches for i in b.message_ids) == sorted(sent)
    assert local.counts(url) == (0, 0)


def test_the_event_is_built_as_lambda_builds_it(local: Local) -> None:
    url, arn = local.queue("orders")
    local.pollers.create_mapping(arn, "worker")
    message_id = local.sqs.send_message(
        QueueUrl=url,
        MessageBody='{"order": 7}',
        MessageAttributes={
            "kind": {"DataType": "String", "StringValue": "order"},
            "blob": {"DataType": "Binary", "BinaryValue": b"\x00\x01"},
        },
    )["MessageId"]

    local.pollers.start()
    local.batches(1)

    function, event = local.lambdas.events[0]
    (record,) = event["Records"]
    assert function == "worker"
    assert record["messageId"] == message_id and record["receiptHandle"]
    assert record["body"] == '{"order": 7}'
    assert record["md5OfBody"] == hashlib.md5(b'{"order": 7}').hexdigest()
    assert (record["eventSource"], record["eventSourceARN"], record["awsRegion"]) == ("aws:sqs", arn, "us-east-1")
    attributes = record["attributes"]
    assert set(attributes) == {
        "ApproximateReceiveCount",
        "SentTimestamp",
        "SenderId",
        "ApproximateFirstReceiveTimestamp",
    }
    assert attributes["ApproximateReceiveCount"] == "1" and attributes["SentTimestamp"].isdigit()
    assert record["messageAttributes"] == {
        "kind": {"stringValue": "order", "stringListValues": [], "binaryListValues": [], "dataType": "String"},
        "blob": {"binaryValue": "AAE=", "stringListValues": [], "binaryListValues": [], "dataType": "Binary"},
    }


def test_the_batching_window_gathers_messages_until_it_passes_on_the_clock(local: Local) -> None:
    url, arn = local.queue("orders")
    local.pollers.create_mapping(arn, "worker", batch_size=5, batching_window=60)
    local.pollers.start()

    first = local.send(url, "a", "b")
    local.settled()
    assert local.counts(url) == (0, 2), "the poller holds the first two messages"
    later = local.send(url, "c")
    local.settled()
    assert local.counts(url) == (0, 3), "the poller added the third message to its batch"
    assert local.pollers.records == [], "the window has not passed: nothing is invoked yet"

    local.runtime.clock.advance(60)
    (batch,) = local.batches(1)

    assert sorted(batch.message_ids) == sorted(first + later)
    assert local.counts(url) == (0, 0)


def test_a_full_batch_does_not_wait_for_the_window(local: Local) -> None:
    url, arn = local.queue("orders")
    local.pollers.create_mapping(arn, "worker", batch_size=3, batching_window=300)
    local.pollers.start()

    sent = local.send(url, "a", "b", "c")
    (batch,) = local.batches(1)

    assert sorted(batch.message_ids) == sorted(sent)


def test_a_successful_batch_is_deleted(local: Local) -> None:
    url, arn = local.queue("orders")
    local.pollers.create_mapping(arn, "worker")
    sent = local.send(url, "a", "b", "c")

    local.pollers.start()
    (batch,) = local.batches(1)

    assert sorted(batch.message_ids) == sorted(sent) and batch.failed_ids == () and batch.error is None
    assert local.counts(url) == (0, 0)
    assert local.pollers.pending_messages() == 0


def test_a_partial_batch_failure_keeps_only_the_failed_messages(local: Local) -> None:
    url, arn = local.queue("orders")
    local.pollers.create_mapping(arn, "worker", report_batch_item_failures=True)

    def fail_bad_once(event: dict[str, Any]) -> dict[str, Any]:
        return {
            "batchItemFailures": [
                {"itemIdentifier": r["messageId"]}
                for r in event["Records"]
                if r["body"] == "bad" and r["attributes"]["ApproximateReceiveCount"] == "1"
            ]
        }

    local.lambdas.handlers["worker"] = fail_bad_once
    ok1, bad, ok2 = local.send(url, "ok1", "bad", "ok2")

    local.pollers.start()
    (first,) = local.batches(1)
    assert sorted(first.message_ids) == sorted([ok1, bad, ok2]) and first.failed_ids == (bad,)
    assert local.counts(url) == (0, 1), "the two that succeeded are deleted, the failed one is in flight"
    assert local.pollers.pending_messages() == 1

    local.runtime.clock.advance(VISIBILITY)
    _, second = local.batches(2)

    assert second.message_ids == (bad,) and second.failed_ids == ()
    assert local.lambdas.events[-1][1]["Records"][0]["attributes"]["ApproximateReceiveCount"] == "2"
    assert local.counts(url) == (0, 0)


def test_a_function_error_keeps_every_message_of_the_batch(local: Local) -> None:
    url, arn = local.queue("orders")
    local.pollers.create_mapping(arn, "worker", report_batch_item_failures=True)

    def raise_first_time(event: dict[str, Any]) -> None:
        if event["Records"][0]["attributes"]["ApproximateReceiveCount"] == "1":
            raise ValueError("downstream unavailable")

    local.lambdas.handlers["worker"] = raise_first_time
    sent = local.send(url, "a", "b", "c")

    local.pollers.start()
    (first,) = local.batches(1)
    assert sorted(first.failed_ids) == sorted(sent) and first.error == "function error: Unhandled"
    assert local.counts(url) == (0, 3)

    local.runtime.clock.advance(VISIBILITY)
    _, second = local.batches(2)

    assert sorted(second.message_ids) == sorted(sent) and second.failed_ids == ()
    assert local.counts(url) == (0, 0)


def test_a_failed_batch_comes_back_whole_on_one_timer(local: Local, monkeypatch: pytest.MonkeyPatch) -> None:
    """The messages of a batch become visible again together (one clock timer, under the receives' lock), so the
    next receive gets the whole batch, never part of it while the rest is still hidden."""
    url, arn = local.queue("orders")
    local.pollers.create_mapping(arn, "worker", report_batch_item_failures=True)

    def failing(event: dict[str, Any]) -> None:
        raise ValueError("downstream unavailable")

    local.lambdas.handlers["worker"] = failing
    timers: list[float] = []
    call_later = local.runtime.clock.call_later

    def counted(delay: float, action: Any) -> Any:
        timers.append(delay)
        return call_later(delay, action)

    monkeypatch.setattr(local.runtime.clock, "call_later", counted)
    local.send(url, "a", "b", "c")

    local.pollers.start()
    local.batches(1)

    assert len(timers) == 1, f"one timer for the batch of three, not {len(timers)}"


def test_an_invoke_that_raises_keeps_the_messages_and_is_reported(local: Local) -> None:
    url, arn = local.queue("orders")
    pollers = Pollers(local.runtime, BrokenLambdas())
    pollers.create_mapping(arn, "worker")
    sent = local.send(url, "a", "b")

    pollers.start()
    try:
        quiet(local.runtime, pollers, failures_raise=False)
    finally:
        pollers.stop()

    (batch,) = pollers.records
    assert sorted(batch.failed_ids) == sorted(sent) and "no such handler module" in (batch.error or "")
    assert local.counts(url) == (0, 2)
    (failure,) = local.runtime.activity.failures
    assert str(failure.error) == "no such handler module"


def test_after_max_receive_count_failures_the_message_is_in_the_dlq(local: Local) -> None:
    dlq_url, dlq_arn = local.queue("orders-dlq")
    redrive = json.dumps({"deadLetterTargetArn": dlq_arn, "maxReceiveCount": 2})
    url, arn = local.queue("orders", RedrivePolicy=redrive)
    local.pollers.create_mapping(arn, "worker")

    def always_fail(event: dict[str, Any]) -> None:
        raise ValueError("poison")

    local.lambdas.handlers["worker"] = always_fail
    (sent,) = local.send(url, "poison")

    local.pollers.start()
    local.batches(1)
    local.runtime.clock.advance(VISIBILITY)
    local.batches(2)
    local.runtime.clock.advance(VISIBILITY)
    local.settled()

    assert local.counts(url) == (0, 0)
    assert len(local.pollers.records) == 2, "invoked maxReceiveCount times, then moved"
    (parked,) = local.sqs.receive_message(QueueUrl=dlq_url)["Messages"]
    assert (parked["MessageId"], parked["Body"]) == (sent, "poison")
    assert local.pollers.pending_messages() == 0


def test_an_invalid_batch_item_failures_response_fails_the_whole_batch(local: Local) -> None:
    url, arn = local.queue("orders")
    local.pollers.create_mapping(arn, "worker", report_batch_item_failures=True)
    local.lambdas.handlers["worker"] = lambda event: {"batchItemFailures": [{"itemIdentifier": "not-in-batch"}]}
    sent = local.send(url, "a", "b")

    local.pollers.start()
    (batch,) = local.batches(1)

    assert sorted(batch.failed_ids) == sorted(sent)
    assert batch.error is not None and "not-in-batch" in batch.error
    assert local.counts(url) == (0, 2)


def test_a_disabled_mapping_does_not_poll(local: Local) -> None:
    idle_url, idle_arn = local.queue("idle")
    busy_url, busy_arn = local.queue("busy")
    disabled = local.pollers.create_mapping(idle_arn, "worker", enabled=False)
    enabled = local.pollers.create_mapping(busy_arn, "worker")
    local.send(idle_url, "waits")
    local.send(busy_url, "runs")

    local.pollers.start()
    (batch,) = local.batches(1)  # the enabled mapping on the same pollers ran: the disabled one had its chance

    assert batch.mapping == enabled.uuid
    assert local.counts(idle_url) == (1, 0)
    assert local.pollers.pending_messages() == 0, "a disabled mapping's queue is not work the runtime waits for"
    (listed,) = boto3.client("lambda").list_event_source_mappings(EventSourceArn=idle_arn)["EventSourceMappings"]
    assert listed["UUID"] == disabled.uuid and listed["State"] == "Disabled"


# The response rules, one by one (AWS Lambda developer guide, SQS "Success and failure conditions").
BATCH = ["m1", "m2"]


@pytest.mark.parametrize(
    "payload",
    [
        b"not json",
        b'"a string"',
        b'{"batchItemFailures": "m1"}',
        b'{"batchItemFailures": [{"itemIdentifier": ""}]}',
        b'{"batchItemFailures": [{"itemIdentifier": null}]}',
        b'{"batchItemFailures": [{"messageId": "m1"}]}',
        b'{"batchItemFailures": [{"itemIdentifier": "m3"}]}',
    ],
    ids=["invalid-json", "not-an-object", "not-a-list", "empty-id", "null-id", "bad-key", "unknown-id"],
)
def test_an_invalid_response_is_a_complete_failure(payload: bytes) -> None:
    failed, error = batch_failures(BATCH, FakeInvocation(200, payload), report_batch_item_failures=True)
    assert failed == set(BATCH) and error is not None


@pytest.mark.parametrize("payload", [b"", b"null", b"{}", b'{"batchItemFailures": []}', b'{"batchItemFailures": null}'])
def test_an_empty_or_null_response_is_a_complete_success(payload: bytes) -> None:
    assert batch_failures(BATCH, FakeInvocation(200, payload), report_batch_item_failures=True) == (set(), None)


def test_reported_failures_are_ignored_unless_the_mapping_reports_batch_item_failures() -> None:
    payload = b'{"batchItemFailures": [{"itemIdentifier": "m1"}]}'
    assert batch_failures(BATCH, FakeInvocation(200, payload), report_batch_item_failures=False) == (set(), None)
    assert batch_failures(BATCH, FakeInvocation(200, payload), report_batch_item_failures=True) == ({"m1"}, None)


def test_a_function_error_fails_the_batch_whatever_it_returned() -> None:
    invocation = FakeInvocation(200, b'{"batchItemFailures": []}', "Unhandled")
    assert batch_failures(BATCH, invocation, report_batch_item_failures=True)[0] == set(BATCH)


# Provisioned from a template, as the local runtime provisions the app.


def _assembly(directory: Path, resources: dict[str, Any]) -> CloudAssembly:
    (directory / "Mini.template.json").write_text(json.dumps({"Resources": resources}), encoding="utf-8")
    manifest = {
        "artifacts": {
            "Mini": {"type": "aws:cloudformation:stack", "properties": {"templateFile": "Mini.template.json"}}
        }
    }
    (directory / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    return CloudAssembly(directory)


def test_a_mapping_provisioned_from_a_template_polls_its_queue(local: Local, tmp_path: Path) -> None:
    assembly = _assembly(
        tmp_path,
        {
            "Jobs": {"Type": "AWS::SQS::Queue", "Properties": {"VisibilityTimeout": 30}},
            "JobsMapping": {
                "Type": "AWS::Lambda::EventSourceMapping",
                "Properties": {
                    "EventSourceArn": {"Fn::GetAtt": ["Jobs", "Arn"]},
                    "FunctionName": "worker",
                    "BatchSize": 2,
                    "FunctionResponseTypes": ["ReportBatchItemFailures"],
                    "ScalingConfig": {"MaximumConcurrency": 2},
                },
            },
            "StreamMapping": {
                "Type": "AWS::Lambda::EventSourceMapping",
                "Properties": {
                    "EventSourceArn": "arn:aws:kinesis:us-east-1:123456789012:stream/clicks",
                    "FunctionName": "worker",
                    "StartingPosition": "LATEST",
                },
            },
        },
    )
    provisioner = Provisioner(boto3.Session(), creators=local.pollers.creators())
    provisioner.provision(assembly)

    provisioned = provisioner.resources["Mini"]["JobsMapping"]
    (listed,) = boto3.client("lambda").list_event_source_mappings(FunctionName="worker")["EventSourceMappings"]
    assert provisioned.ref == provisioned.attributes["Id"] == listed["UUID"]
    assert listed["BatchSize"] == 2 and listed["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    assert "not supported locally, not created: 1 x AWS::Lambda::EventSourceMapping from kinesis" in (
        provisioner.notice.lines()
    )

    url = provisioner.resources["Mini"]["Jobs"].ref
    sent = local.send(url, "a", "b", "c")
    local.pollers.start()
    batches = local.batches(2)

    assert [len(b.message_ids) for b in batches] == [2, 1]
    assert sorted(i for b in batches for i in b.message_ids) == sorted(sent)
    assert [function for function, _ in local.lambdas.events] == ["worker", "worker"]
    assert local.counts(url) == (0, 0)


def test_queue_scans_read_the_time_once_and_answer_as_moto_does(local: Local) -> None:
    """Seams SQS_QUEUE_SCANS: moto's `Queue.messages` and message counts, with the time read once per scan, give
    moto's own answers for visible, in-flight and delayed messages (GetQueueAttributes reads them, SendMessage too)."""
    from moto.sqs.models import sqs_backends

    url, _ = local.queue("orders")
    local.send(url, "a", "b", "c")
    local.sqs.send_message(QueueUrl=url, MessageBody="later", DelaySeconds=60)
    local.sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=1)  # in flight for VISIBILITY seconds
    queue = sqs_backends[local.runtime.account][local.runtime.region].queues["orders"]
    names = [
        "ApproximateNumberOfMessages",
        "ApproximateNumberOfMessagesNotVisible",
        "ApproximateNumberOfMessagesDelayed",
    ]

    def answers() -> tuple[list[str], dict[str, str]]:
        attributes = local.sqs.get_queue_attributes(QueueUrl=url, AttributeNames=names)["Attributes"]
        return sorted(m.body for m in queue.messages), attributes

    ours = answers()
    local.pollers.uninstall()
    try:
        motos = answers()
    finally:
        local.pollers.install()
    assert ours == motos
    # "a" is in flight; "later" is delayed (moto counts it visible, as its visibility timeout never started)
    assert ours == (["b", "c"], dict(zip(names, ["2", "1", "1"], strict=True)))
