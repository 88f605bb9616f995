"""EventBridge rule delivery on moto with the local Delivery adapter: targets, input, retries and dead letters."""

from __future__ import annotations

import datetime
import json
import random
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError
from moto import mock_aws
from moto.events import models as events_models

from orchestrator.local.clock import Clock
from orchestrator.local.delivery import Delivery
from orchestrator.local.lambdas import ASYNC_RETRY_DELAYS, LambdaRuntime, LocalFunction
from orchestrator.local.runtime import MOTO_CONFIG, Runtime
from tests.settling import quiet

ACCOUNT = "123456789012"
REGION = "us-east-1"
BUS = "orders"
ROLE_ARN = f"arn:aws:iam::{ACCOUNT}:role/events"
FUNCTION_ARN = f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:handle-order"
EVENT_TIME = datetime.datetime(2024, 5, 1, 12, 30, 5, tzinfo=datetime.UTC)
DETAIL = {"orderId": "o-1", "status": "NEW", "lines": [{"sku": "a"}, {"sku": "b"}]}
ORDER_PLACED = {
    "Source": "shop.orders",
    "DetailType": "OrderPlaced",
    "Detail": json.dumps(DETAIL),
    "Resources": ["arn:aws:shop:::order/o-1"],
    "Time": EVENT_TIME,
    "EventBusName": BUS,
}
PATTERN = {"source": ["shop.orders"]}
SAMPLES = Path(__file__).parent / "local_lambda_samples"  # handlers for the real LambdaRuntime
WAIT = 10.0  # real seconds a test waits for background work before it fails


# --- fakes and fixtures --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class FakeInvocation:
    status_code: int
    payload: bytes
    function_error: str | None = None


@dataclass(frozen=True)
class Call:
    function: str
    event: Any
    invocation_type: str
    at: float  # on the runtime clock


@dataclass
class RecordingLambdas:
    """A LambdaPort that queues every event it is handed (202), except that Lambda throttles its first `throttled`
    invocations (-1: all of them), which raise TooManyRequestsException. Every call is recorded."""

    clock: Clock
    throttled: int = 0
    calls: list[Call] = field(default_factory=list)

    def invoke(
        self, function_name_or_arn: str, payload: bytes, invocation_type: str = "RequestResponse"
    ) -> FakeInvocation:
        self.calls.append(Call(function_name_or_arn, json.loads(payload), invocation_type, self.clock.now()))
        if self.throttled < 0 or len(self.calls) <= self.throttled:
            error = {"Code": "TooManyRequestsException", "Message": "Rate exceeded"}
            raise ClientError({"Error": error, "ResponseMetadata": {"HTTPStatusCode": 429}}, "Invoke")
        return FakeInvocation(202, b"")


@dataclass
class Cloud:
    runtime: Runtime
    delivery: Delivery
    lambdas: Any  # RecordingLambdas, or the real LambdaRuntime
    events: Any
    sqs: Any
    sfn: Any

    def rule(self, name: str, *targets: dict[str, Any], pattern: dict[str, Any] | None = None, **extra: Any) -> str:
        rule_arn: str = self.events.put_rule(
            Name=name, EventBusName=BUS, EventPattern=json.dumps(pattern or PATTERN), **extra
        )["RuleArn"]
        self.events.put_targets(Rule=name, EventBusName=BUS, Targets=list(targets))
        return rule_arn

    def queue(self, name: str, **attributes: str) -> tuple[str, str]:
        url = self.sqs.create_queue(QueueName=name, Attributes=attributes)["QueueUrl"]
        arn = self.sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        return url, arn

    def messages(self, url: str) -> list[dict[str, Any]]:
        found: list[dict[str, Any]] = self.sqs.receive_message(
            QueueUrl=url, MaxNumberOfMessages=10, MessageAttributeNames=["All"], AttributeNames=["All"]
        ).get("Messages", [])
        return found

    def pass_machine(self, name: str = "order-flow") -> str:
        definition = {"StartAt": "Done", "States": {"Done": {"Type": "Pass", "End": True}}}
        arn: str = self.sfn.create_state_machine(name=name, definition=json.dumps(definition), roleArn=ROLE_ARN)[
            "stateMachineArn"
        ]
        return arn

    def put(self, entry: dict[str, Any] = ORDER_PLACED) -> str:
        response = self.events.put_events(Entries=[entry])
        assert response["FailedEntryCount"] == 0, response
        event_id: str = response["Entries"][0]["EventId"]
        return event_id

    def settle(self) -> None:
        """Waits until nothing is in flight or due on the clock, jumping the clock to every retry's deadline
        (EventBridge's backoffs and Lambda's asynchronous retries)."""
        quiet(self.runtime, advance_clock=True, cap=WAIT)  # raises if background work failed
        assert self.runtime.clock.next_deadline() is None


@contextmanager
def local_cloud(make_lambdas: Callable[[Runtime], Any]) -> Iterator[Cloud]:
    with mock_aws(config=MOTO_CONFIG):
        # Frozen: only `advance` moves the clock, so no wait ends by itself while a test looks.
        frozen = time.time()
        runtime = Runtime(clock=Clock(now=lambda: frozen))
        lambdas = make_lambdas(runtime)
        delivery = Delivery(runtime, lambdas, rng=random.Random(7))
        delivery.install()
        events = runtime.client("events")
        events.create_event_bus(Name=BUS)
        try:
            yield Cloud(runtime, delivery, lambdas, events, runtime.client("sqs"), runtime.client("stepfunctions"))
        finally:
            delivery.uninstall()
            if isinstance(lambdas, LambdaRuntime):
                lambdas.uninstall()  # puts back the process's environment the functions' invocations changed


@pytest.fixture
def cloud(aws_credentials: None) -> Iterator[Cloud]:
    """Delivery to a recording fake of Lambda."""
    with local_cloud(lambda runtime: RecordingLambdas(runtime.clock)) as built:
        yield built


@pytest.fixture
def with_lambda(aws_credentials: None) -> Iterator[Cloud]:
    """Delivery to the real local Lambda runtime, which knows no function until a test registers one."""
    with local_cloud(LambdaRuntime) as built:
        yield built


def expected_event(event_id: str) -> dict[str, Any]:
    return {
        "version": "0",
        "id": event_id,
        "detail-type": "OrderPlaced",
        "source": "shop.orders",
        "account": ACCOUNT,
        "time": "2024-05-01T12:30:05Z",
        "region": REGION,
        "resources": ["arn:aws:shop:::order/o-1"],
        "detail": DETAIL,
    }


def execution_inputs(cloud: Cloud, machine_arn: str) -> list[str]:
    executions = cloud.sfn.list_executions(stateMachineArn=machine_arn)["executions"]
    return [cloud.sfn.describe_execution(executionArn=e["executionArn"])["input"] for e in executions]


def attributes(message: dict[str, Any]) -> dict[str, str]:
    return {name: value["StringValue"] for name, value in message["MessageAttributes"].items()}


# --- Step Functions targets ----------------------------------------------------------------------------------------


def test_state_machine_target_starts_an_execution_with_the_whole_event(cloud: Cloud) -> None:
    machine = cloud.pass_machine()
    cloud.rule("start-flow", {"Id": "flow", "Arn": machine, "RoleArn": ROLE_ARN})

    event_id = cloud.put()
    cloud.settle()

    (execution_input,) = execution_inputs(cloud, machine)
    event = json.loads(execution_input)
    assert event == expected_event(event_id)
    assert list(event) == ["version", "id", "detail-type", "source", "account", "time", "region", "resources", "detail"]
    (record,) = cloud.delivery.deliveries
    assert (record.rule, record.target_id, record.event_id, record.outcome, record.attempts) == (
        "start-flow",
        "flow",
        event_id,
        "delivered",
        1,
    )


RULE_ARN = f"arn:aws:events:{REGION}:{ACCOUNT}:rule/{BUS}/shaped"


@pytest.mark.parametrize(
    ("target_input", "expected"),
    [
        pytest.param(
            {
                "InputTransformer": {
                    "InputPathsMap": {"order": "$.detail.orderId", "status": "$.detail.status", "gone": "$.detail.x"},
                    "InputTemplate": '{"order": <order>, "label": "order <order> is \\"<status>\\"", '
                    '"rule": <aws.events.rule-name>, "ruleArn": "<aws.events.rule-arn>", "missing": <gone>}',
                }
            },
            {"order": "o-1", "label": 'order o-1 is "NEW"', "rule": "shaped", "ruleArn": RULE_ARN, "missing": None},
            id="json template",
        ),
        pytest.param(
            {
                "InputTransformer": {
                    "InputPathsMap": {"order": "$.detail.orderId", "lines": "$.detail.lines"},
                    "InputTemplate": '"order <order> has lines <lines>"',
                }
            },
            'order o-1 has lines [{"sku":"a"},{"sku":"b"}]',
            id="string template",
        ),
        pytest.param(
            {"InputTransformer": {"InputPathsMap": {}, "InputTemplate": '{"envelope": <aws.events.event>}'}},
            {"envelope": {k: v for k, v in expected_event("<id>").items() if k != "detail"}},
            id="event without detail",
        ),
        pytest.param({"InputPath": "$.detail.lines[1]"}, {"sku": "b"}, id="input path"),
        pytest.param({"Input": '{"fixed": [1, 2]}'}, {"fixed": [1, 2]}, id="constant input"),
    ],
)
def test_state_machine_target_receives_the_input_its_target_settings_make(
    cloud: Cloud, target_input: dict[str, Any], expected: Any
) -> None:
    machine = cloud.pass_machine()
    cloud.rule("shaped", {"Id": "flow", "Arn": machine, **target_input})

    event_id = cloud.put()
    cloud.settle()

    (execution_input,) = execution_inputs(cloud, machine)
    assert json.loads(execution_input.replace(event_id, "<id>")) == expected


def test_missing_state_machine_is_not_retried_and_dropped_without_a_dead_letter_queue(cloud: Cloud) -> None:
    missing = f"arn:aws:states:{REGION}:{ACCOUNT}:stateMachine:gone"
    cloud.rule("to-nowhere", {"Id": "flow", "Arn": missing, "RetryPolicy": {"MaximumRetryAttempts": 5}})

    event_id = cloud.put()
    cloud.settle()

    (record,) = cloud.delivery.deliveries
    assert (record.event_id, record.outcome, record.attempts, record.error_code) == (
        event_id,
        "dropped",
        1,
        "NO_RESOURCE",
    )


# --- Lambda targets --------------------------------------------------------------------------------------------------


def test_lambda_target_is_handed_the_event_to_queue_for_an_asynchronous_invocation(cloud: Cloud) -> None:
    cloud.rule("handle", {"Id": "fn", "Arn": FUNCTION_ARN})

    event_id = cloud.put()

    # handed over before PutEvents returns, as a queue gets its message; the handler runs later, in the background
    (call,) = cloud.lambdas.calls
    assert (call.function, call.event, call.invocation_type) == (FUNCTION_ARN, expected_event(event_id), "Event")
    assert [(r.outcome, r.attempts) for r in cloud.delivery.deliveries] == [("delivered", 1)]


def test_a_raising_handler_behind_a_rule_is_retried_by_lambda_then_lands_in_the_functions_dlq(
    with_lambda: Cloud,
) -> None:
    function_dlq_url, function_dlq_arn = with_lambda.queue("function-dlq")
    target_dlq_url, target_dlq_arn = with_lambda.queue("target-dlq")
    function = LocalFunction("handle-order", FUNCTION_ARN, "handlers.fail", SAMPLES, dead_letter_arn=function_dlq_arn)
    with_lambda.lambdas.register(function)
    target = {"RetryPolicy": {"MaximumRetryAttempts": 2}, "DeadLetterConfig": {"Arn": target_dlq_arn}}
    with_lambda.rule("handle", {"Id": "fn", "Arn": FUNCTION_ARN, **target})

    event_id = with_lambda.put()
    with_lambda.settle()

    runs = with_lambda.lambdas.invocations
    assert [(r.invocation_type, r.attempt, r.error_type) for r in runs] == [
        ("Event", 1, "ValueError"),
        ("Event", 2, "ValueError"),
        ("Event", 3, "ValueError"),
    ], "the first attempt and Lambda's two asynchronous retries, not the rule target's retry policy"
    gaps = [later.started_at - earlier.started_at for earlier, later in zip(runs, runs[1:], strict=False)]
    assert all(gap >= delay for gap, delay in zip(gaps, ASYNC_RETRY_DELAYS, strict=True)), "Lambda's retry delays"
    (dead,) = with_lambda.messages(function_dlq_url)
    assert json.loads(dead["Body"]) == expected_event(event_id)
    assert attributes(dead)["ErrorMessage"] == f"cannot handle {event_id}"
    assert with_lambda.messages(target_dlq_url) == [], "EventBridge handed the event over: its delivery succeeded"
    assert [(r.outcome, r.attempts) for r in with_lambda.delivery.deliveries] == [("delivered", 1)]


def test_an_unknown_function_is_not_retried_and_goes_to_the_rule_targets_dlq(with_lambda: Cloud) -> None:
    dlq_url, dlq_arn = with_lambda.queue("handle-dlq")
    rule_arn = with_lambda.rule("handle", {"Id": "fn", "Arn": FUNCTION_ARN, "DeadLetterConfig": {"Arn": dlq_arn}})

    event_id = with_lambda.put()
    with_lambda.settle()

    (dead,) = with_lambda.messages(dlq_url)
    assert json.loads(dead["Body"]) == expected_event(event_id)
    assert attributes(dead) == {
        "RULE_ARN": rule_arn,
        "TARGET_ARN": FUNCTION_ARN,
        "ERROR_CODE": "NO_RESOURCE",
        "ERROR_MESSAGE": f"ResourceNotFoundException: Function not found: {FUNCTION_ARN}",
        "RETRY_ATTEMPTS": "0",
    }
    (record,) = with_lambda.delivery.deliveries
    assert (record.outcome, record.attempts, record.error_code) == ("dead-lettered", 1, "NO_RESOURCE")


def test_a_throttled_lambda_is_retried_with_backoff_then_dead_lettered_with_eventbridge_attributes(
    cloud: Cloud,
) -> None:
    cloud.lambdas.throttled = -1
    dlq_url, dlq_arn = cloud.queue("handle-dlq")
    retry = {"MaximumRetryAttempts": 2, "MaximumEventAgeInSeconds": 3600}
    rule_arn = cloud.rule(
        "handle", {"Id": "fn", "Arn": FUNCTION_ARN, "RetryPolicy": retry, "DeadLetterConfig": {"Arn": dlq_arn}}
    )

    event_id = cloud.put()
    cloud.settle()

    assert len(cloud.lambdas.calls) == 3, "the first attempt and two retries"
    first, second, third = (call.at for call in cloud.lambdas.calls)
    assert second - first >= 0.5 and third - second >= 1.0, "exponential backoff on the runtime clock"
    (dead,) = cloud.messages(dlq_url)
    assert json.loads(dead["Body"]) == expected_event(event_id)
    assert attributes(dead) == {
        "RULE_ARN": rule_arn,
        "TARGET_ARN": FUNCTION_ARN,
        "ERROR_CODE": "THROTTLING",
        "ERROR_MESSAGE": "TooManyRequestsException: Rate exceeded",
        "RETRY_ATTEMPTS": "2",
        "EXHAUSTED_RETRY_CONDITION": "MaximumRetryAttempts",
    }
    (record,) = cloud.delivery.deliveries
    assert (record.outcome, record.attempts, record.error_code) == ("dead-lettered", 3, "THROTTLING")


def test_lambda_throttled_once_is_delivered_on_the_retry(cloud: Cloud) -> None:
    cloud.lambdas.throttled = 1
    dlq_url, dlq_arn = cloud.queue("handle-dlq")
    cloud.rule("handle", {"Id": "fn", "Arn": FUNCTION_ARN, "DeadLetterConfig": {"Arn": dlq_arn}})

    cloud.put()
    cloud.settle()

    assert len(cloud.lambdas.calls) == 2
    assert cloud.messages(dlq_url) == []
    assert [(r.outcome, r.attempts) for r in cloud.delivery.deliveries] == [("delivered", 2)]


def test_retries_stop_when_the_event_is_older_than_its_maximum_age(cloud: Cloud) -> None:
    cloud.lambdas.throttled = -1
    dlq_url, dlq_arn = cloud.queue("handle-dlq")
    retry = {"MaximumRetryAttempts": 185, "MaximumEventAgeInSeconds": 60}
    cloud.rule("handle", {"Id": "fn", "Arn": FUNCTION_ARN, "RetryPolicy": retry, "DeadLetterConfig": {"Arn": dlq_arn}})
    put_at = cloud.runtime.clock.now()

    cloud.put()
    cloud.settle()

    calls = cloud.lambdas.calls
    assert 1 < len(calls) < 185
    assert calls[-1].at - put_at < 60 <= cloud.runtime.clock.now() - put_at
    (dead,) = cloud.messages(dlq_url)
    assert attributes(dead)["EXHAUSTED_RETRY_CONDITION"] == "MaximumEventAgeInSeconds"
    assert attributes(dead)["RETRY_ATTEMPTS"] == str(len(calls) - 1)
    (record,) = cloud.delivery.deliveries
    assert (record.outcome, record.attempts) == ("dead-lettered", len(calls))


def test_stopping_the_runtime_ends_a_delivery_waiting_to_retry_without_another_attempt(cloud: Cloud) -> None:
    cloud.lambdas.throttled = -1
    dlq_url, dlq_arn = cloud.queue("handle-dlq")
    cloud.rule("handle", {"Id": "fn", "Arn": FUNCTION_ARN, "DeadLetterConfig": {"Arn": dlq_arn}})
    clock, activity = cloud.runtime.clock, cloud.runtime.activity
    cloud.put()
    quiet(cloud.runtime)
    assert clock.ledger.deadlines(), "a delivery waits out its backoff to retry (the frozen clock never ends it)"

    assert activity.stop(timeout=WAIT), "the waiting delivery ended when the runtime stopped"
    clock.advance(hours=1)
    cloud.put()

    assert len(cloud.lambdas.calls) == 1, "no attempt after the runtime stopped"
    assert cloud.messages(dlq_url) == [], "abandoned, not given up"
    assert [(r.outcome, r.attempts, r.error_code) for r in cloud.delivery.deliveries] == [
        ("abandoned", 1, "THROTTLING"),
        ("abandoned", 0, None),
    ]
    assert activity.failures == []


# --- rules, matching and moto's own targets ---------------------------------------------------------------------------


def test_disabled_rule_delivers_nothing_until_enabled(cloud: Cloud) -> None:
    queue_url, queue_arn = cloud.queue("orders")
    cloud.rule("paused", {"Id": "q", "Arn": queue_arn}, {"Id": "fn", "Arn": FUNCTION_ARN}, State="DISABLED")

    cloud.put()
    cloud.settle()
    assert (cloud.messages(queue_url), cloud.lambdas.calls, cloud.delivery.deliveries) == ([], [], [])

    cloud.events.enable_rule(Name="paused", EventBusName=BUS)
    cloud.put()
    cloud.settle()
    assert len(cloud.messages(queue_url)) == 1 and len(cloud.lambdas.calls) == 1


def test_non_matching_event_reaches_no_target(cloud: Cloud) -> None:
    queue_url, queue_arn = cloud.queue("orders")
    cloud.rule("orders-only", {"Id": "q", "Arn": queue_arn}, {"Id": "fn", "Arn": FUNCTION_ARN})
    # a schedule-only rule (AWS allows them on the default bus only) matches no event
    cloud.events.put_rule(Name="nightly", ScheduleExpression="rate(1 day)")
    cloud.events.put_targets(Rule="nightly", Targets=[{"Id": "fn", "Arn": FUNCTION_ARN}])

    cloud.put({**ORDER_PLACED, "Source": "shop.payments"})
    cloud.put({**ORDER_PLACED, "EventBusName": "default"})
    cloud.settle()

    assert (cloud.messages(queue_url), cloud.lambdas.calls, cloud.delivery.deliveries) == ([], [], [])


def test_queue_targets_get_the_whole_event_or_the_transformed_input_with_their_message_group(cloud: Cloud) -> None:
    plain_url, plain_arn = cloud.queue("orders")
    fifo_url, fifo_arn = cloud.queue("orders.fifo", FifoQueue="true", ContentBasedDeduplication="true")
    shaped = {
        "Id": "fifo",
        "Arn": fifo_arn,
        "SqsParameters": {"MessageGroupId": "orders"},
        "InputTransformer": {"InputPathsMap": {"order": "$.detail.orderId"}, "InputTemplate": '"placed <order>"'},
    }
    cloud.rule("to-queues", {"Id": "plain", "Arn": plain_arn}, shaped)

    event_id = cloud.put()

    # delivered before PutEvents returns, as moto does for queues
    (plain,) = cloud.messages(plain_url)
    assert json.loads(plain["Body"]) == expected_event(event_id)
    (fifo,) = cloud.messages(fifo_url)
    assert (fifo["Body"], fifo["Attributes"]["MessageGroupId"]) == ('"placed o-1"', "orders")


def test_a_queue_deleted_after_a_delivery_fails_as_one_never_made_and_made_again_gets_the_next_event(
    cloud: Cloud,
) -> None:
    """The runtime asks a queue's URL once (orchestrator/local/queues.py): a queue deleted since fails its delivery
    exactly as a queue that never existed does, and one made again under its name gets the next event."""
    url, arn = cloud.queue("orders")
    dlq_url, dlq_arn = cloud.queue("orders-dlq")
    never = arn.replace(":orders", ":never-made")
    asked: list[str] = []
    cloud.sqs.meta.events.register(
        "before-parameter-build.sqs.GetQueueUrl", lambda params, **_: asked.append(params["QueueName"])
    )
    dead = {"DeadLetterConfig": {"Arn": dlq_arn}}
    cloud.rule("to-queues", {"Id": "kept", "Arn": arn, **dead}, {"Id": "never", "Arn": never, **dead})

    cloud.put()
    cloud.put()
    assert len(cloud.messages(url)) == 2
    assert asked.count("orders") == 1, "the URL of a queue that exists is asked once"
    cloud.sqs.delete_queue(QueueUrl=url)
    cloud.put()
    cloud.settle()

    letters = [attributes(m) for m in cloud.messages(dlq_url)]
    by_target = {target: [a for a in letters if a["TARGET_ARN"] == target] for target in (arn, never)}
    assert (len(by_target[arn]), len(by_target[never])) == (1, 3)
    (gone,), (never_made, *_) = by_target[arn], by_target[never]
    assert (gone["ERROR_CODE"], gone["ERROR_MESSAGE"]) == (never_made["ERROR_CODE"], never_made["ERROR_MESSAGE"])
    assert gone["ERROR_CODE"] == "NO_RESOURCE"
    assert cloud.queue("orders")[0] == url, "a queue made again has the URL it had"
    cloud.put()
    (message,) = cloud.messages(url)
    assert json.loads(message["Body"])["detail-type"] == ORDER_PLACED["DetailType"]
    assert asked.count("orders") == 1


def test_archives_still_receive_events_and_uninstall_restores_moto(cloud: Cloud) -> None:
    bus_arn = cloud.events.describe_event_bus(Name=BUS)["Arn"]
    cloud.events.create_archive(ArchiveName="orders-archive", EventSourceArn=bus_arn)

    cloud.put()

    assert cloud.events.describe_archive(ArchiveName="orders-archive")["EventCount"] == 1
    patched = events_models.Rule.send_to_targets
    cloud.delivery.uninstall()
    assert events_models.Rule.send_to_targets is not patched
    assert events_models.Rule.send_to_targets.__module__ == "moto.events.models"
