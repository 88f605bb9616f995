"""Step Functions on the local runtime: state machines from a template, waits on the runtime's clock, callbacks,
and execution status-change events on the default bus.

The runtime's clock is frozen here (`Clock(now=...)` fixed): only `advance` moves it, so a deadline is exactly where
a test expects it however slowly a loaded machine runs the test."""

from __future__ import annotations

import datetime
import json
import random
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
import moto
import pytest
from botocore.exceptions import ClientError
from moto import mock_aws

from asl.history import StateVisit, visits_from_history
from orchestrator.assembly import StackTemplate
from orchestrator.local import jsonata_engine
from orchestrator.local.clock import Clock
from orchestrator.local.provision import Provisioner
from orchestrator.local.quiet import Stillness
from orchestrator.local.runtime import LOCAL_ACCOUNT, MOTO_CONFIG, Runtime, local_session
from orchestrator.local.seams import MotoSeamError
from orchestrator.local.stepfunctions import StepFunctionsAdapter, StepFunctionsStoppedError
from tests.settling import ended, quiet, received

ROLE_ARN = f"arn:aws:iam::{LOCAL_ACCOUNT}:role/local"
DAY = 24 * 3600


@dataclass
class Local:
    runtime: Runtime
    adapter: StepFunctionsAdapter
    sfn: Any
    sqs: Any
    events: Any

    def machine(self, definition: dict[str, Any], name: str = "machine", **arguments: Any) -> str:
        created = self.sfn.create_state_machine(
            name=name, definition=json.dumps(definition), roleArn=ROLE_ARN, **arguments
        )
        return str(created["stateMachineArn"])

    def start(self, machine_arn: str, payload: Any = None, name: str = "run") -> str:
        started = self.sfn.start_execution(stateMachineArn=machine_arn, name=name, input=json.dumps(payload or {}))
        return str(started["executionArn"])

    def settled(self, *, advance_clock: bool = False) -> Stillness:
        """Returns once nothing is in flight (the clock stands still: what waits on it stays waiting)."""
        return quiet(self.runtime, advance_clock=advance_clock)

    def finished(self, execution_arn: str) -> dict[str, Any]:
        """The execution, described once the runtime is quiet: it must have ended by then."""
        return ended(self.runtime, self.sfn, execution_arn)

    def waiting_for(self, seconds: float) -> None:
        """Returns once the earliest wait on the clock ends `seconds` from now: the execution is in that wait."""
        self.waiting_until(self.runtime.clock.now() + seconds)

    def waiting_until(self, moment: float) -> None:
        """Returns once the earliest wait on the clock ends at `moment` (epoch seconds): exactly, the clock being
        frozen between advances."""
        clock = self.runtime.clock
        stillness = self.settled()
        deadline = clock.next_deadline()
        assert deadline is not None and abs(deadline - moment) < 0.001, (
            f"expected a wait until {moment - clock.now():.0f} s from now, the earliest is "
            f"{None if deadline is None else deadline - clock.now()}; waiting: {stillness.waits}"
        )

    def queue(self, name: str) -> tuple[str, str]:
        url = self.sqs.create_queue(QueueName=name)["QueueUrl"]
        arn = self.sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        return url, arn

    def next_body(self, queue_url: str) -> str:
        """The next message's body, received once the runtime is quiet (deleted)."""
        stillness = self.settled()
        messages = self.sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=1).get("Messages", [])
        assert messages, f"no message on {queue_url}; waiting: {stillness.waits}"
        self.sqs.delete_message(QueueUrl=queue_url, ReceiptHandle=messages[0]["ReceiptHandle"])
        return str(messages[0]["Body"])

    def next_message(self, queue_url: str) -> dict[str, Any]:
        message: dict[str, Any] = json.loads(self.next_body(queue_url))
        return message

    def history_types(self, execution_arn: str) -> list[str]:
        return [event["type"] for event in self.sfn.get_execution_history(executionArn=execution_arn)["events"]]

    def submitted(self, execution_arn: str, tasks: int = 1) -> None:
        """Returns once `tasks` tasks of the execution made their call and wait for their token (TaskSubmitted):
        a time-out before that would end a task still sending its request."""
        self.settled()
        assert self.history_types(execution_arn).count("TaskSubmitted") >= tasks, self.history_types(execution_arn)

    def last_event(self, execution_arn: str) -> str:
        """The type of the execution's last history event, once the runtime is quiet."""
        self.settled()
        return self.history_types(execution_arn)[-1]


def local_runtime(rng: random.Random | None = None) -> Local:
    """A runtime whose clock stands still (at a whole second) until advanced, with the adapter installed (`rng`: its
    alias routing's draws)."""
    frozen = float(int(time.time()))
    runtime = Runtime(clock=Clock(now=lambda: frozen), session=local_session())
    adapter = StepFunctionsAdapter(runtime, rng=rng)
    adapter.install()
    return Local(runtime, adapter, runtime.client("stepfunctions"), runtime.client("sqs"), runtime.client("events"))


@pytest.fixture
def local(aws_credentials: None) -> Iterator[Local]:
    with mock_aws(config=MOTO_CONFIG), jsonata_engine.jsonata_enabled():
        local = local_runtime()
        try:
            yield local
            assert local.runtime.activity.wait_idle(10), "status-change events still being sent"
            assert local.runtime.activity.failures == []
        finally:
            stopped = local.adapter.uninstall()
        assert stopped, "a thread of the interpreter outlived uninstall()"


def wait_for_token_task(queue_url: str, **fields: Any) -> dict[str, Any]:
    """A JSONPath task that sends its task token to a queue and waits for it to come back."""
    return {
        "Type": "Task",
        "Resource": "arn:aws:states:::sqs:sendMessage.waitForTaskToken",
        "Parameters": {"QueueUrl": queue_url, "MessageBody": {"token.$": "$$.Task.Token", "order.$": "$.order"}},
        **fields,
    }


def path(visits: list[StateVisit]) -> list[tuple[str, str]]:
    return [(visit.name, visit.outcome) for visit in visits]


class HeldBeforeItsEnv:
    """Holds the worker of the next execution started before it creates its environment, as a loaded machine may
    deschedule it, until `release` is set."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        from moto.stepfunctions.parser.backend.execution_worker import ExecutionWorker

        self.held = threading.Event()
        self.release = threading.Event()
        self.worker: threading.Thread | None = None
        original = ExecutionWorker._get_evaluation_environment

        def held_back(worker: Any) -> Any:
            if self.worker is None:
                self.worker = threading.current_thread()
                self.held.set()
                self.release.wait(10)
            return original(worker)

        monkeypatch.setattr(ExecutionWorker, "_get_evaluation_environment", held_back)


# Definitions from a template -----------------------------------------------------------------------------------

TEMPLATE = {
    "Resources": {
        "Inbox": {"Type": "AWS::SQS::Queue", "Properties": {"QueueName": "inbox"}},
        "Role": {"Type": "AWS::IAM::Role", "Properties": {"AssumeRolePolicyDocument": {}}},
        "Greeter": {
            "Type": "AWS::StepFunctions::StateMachine",
            "Properties": {
                "RoleArn": {"Fn::GetAtt": ["Role", "Arn"]},
                "DefinitionString": {
                    "Fn::Join": [
                        "",
                        [
                            '{"StartAt":"Send","States":{"Send":{"Type":"Task",',
                            '"Resource":"arn:aws:states:::sqs:sendMessage",',
                            '"Parameters":{"QueueUrl":"${InboxUrl}","MessageBody":"${Greeting}, ${Unknown}"},',
                            '"TimeoutSeconds":${Timeout},"End":true}}}',
                        ],
                    ]
                },
                "DefinitionSubstitutions": {"InboxUrl": {"Ref": "Inbox"}, "Greeting": "hello", "Timeout": 30},
                "LoggingConfiguration": {"Level": "ALL", "IncludeExecutionData": True},
                "TracingConfiguration": {"Enabled": True},
            },
        },
        "Relay": {
            "Type": "AWS::StepFunctions::StateMachine",
            "Properties": {
                "StateMachineName": "relay",
                "StateMachineType": "EXPRESS",
                "RoleArn": ROLE_ARN,
                "Definition": {
                    "StartAt": "Remember",
                    "States": {"Remember": {"Type": "Pass", "Result": {"greeter": "${Greeter}"}, "End": True}},
                },
                "DefinitionSubstitutions": {"Greeter": {"Fn::GetAtt": ["Greeter", "Name"]}},
                "Tags": [{"Key": "team", "Value": "orders"}],
            },
        },
    }
}


def test_state_machines_are_created_from_a_template_with_substitutions_applied(local: Local) -> None:
    provisioner = Provisioner(local_session(), creators=local.adapter.creators())

    provisioner.provision_stack(StackTemplate("Local-Test", TEMPLATE))

    created = provisioner.resources["Local-Test"]
    greeter, relay = created["Greeter"], created["Relay"]
    assert (
        greeter.ref
        == greeter.attributes["Arn"]
        == local.sfn.describe_state_machine(stateMachineArn=greeter.ref)["stateMachineArn"]
    )
    assert greeter.attributes["Name"] == "Local-Test-Greeter"
    assert len(greeter.attributes["StateMachineRevisionId"]) == 36
    described = local.sfn.describe_state_machine(stateMachineArn=greeter.ref)
    definition = json.loads(described["definition"])
    assert definition["States"]["Send"]["Parameters"]["QueueUrl"] == created["Inbox"].ref
    assert definition["States"]["Send"]["TimeoutSeconds"] == 30
    assert described["roleArn"].startswith(f"arn:aws:iam::{LOCAL_ACCOUNT}:role/")

    execution = local.finished(local.start(greeter.ref))
    assert execution["status"] == "SUCCEEDED"
    inbox = created["Inbox"].ref
    message = local.sqs.receive_message(QueueUrl=inbox)["Messages"][0]
    assert message["Body"] == "hello, ${Unknown}", "a placeholder without a substitution is left as written"

    relay_described = local.sfn.describe_state_machine(stateMachineArn=relay.ref)
    assert (relay.attributes["Name"], relay_described["type"]) == ("relay", "EXPRESS")
    assert json.loads(relay_described["definition"])["States"]["Remember"]["Result"] == {
        "greeter": "Local-Test-Greeter"
    }
    assert local.sfn.list_tags_for_resource(resourceArn=relay.ref)["tags"] == [{"key": "team", "value": "orders"}]


def test_a_definition_in_s3_is_refused_with_a_clear_error(local: Local) -> None:
    template = {
        "Resources": {
            "Remote": {
                "Type": "AWS::StepFunctions::StateMachine",
                "Properties": {"RoleArn": ROLE_ARN, "DefinitionS3Location": {"Bucket": "b", "Key": "k.asl.json"}},
            }
        }
    }
    provisioner = Provisioner(local_session(), creators=local.adapter.creators())

    with pytest.raises(NotImplementedError, match="Remote: DefinitionS3Location is not supported locally"):
        provisioner.provision_stack(StackTemplate("Local-Test", template))


# Waits on the clock --------------------------------------------------------------------------------------------


def test_a_24_hour_wait_passes_when_the_clock_advances(local: Local) -> None:
    machine = local.machine(
        {
            "StartAt": "Cool off",
            "States": {
                "Cool off": {"Type": "Wait", "Seconds": DAY, "Next": "Done"},
                "Done": {"Type": "Pass", "End": True},
            },
        }
    )
    execution_arn = local.start(machine, {"order": "o-1"})
    local.waiting_for(DAY)
    assert local.adapter.running_executions() == 1

    local.runtime.clock.advance(hours=24)

    execution = local.finished(execution_arn)
    assert execution["status"] == "SUCCEEDED"
    assert json.loads(execution["output"]) == {"order": "o-1"}
    assert execution["stopDate"] - execution["startDate"] >= datetime.timedelta(hours=24)
    cool_off, done = local.adapter.history_path(execution_arn)
    assert path([cool_off, done]) == [("Cool off", "succeeded"), ("Done", "succeeded")]
    assert cool_off.exited is not None and cool_off.exited - cool_off.entered >= datetime.timedelta(hours=24)
    local.settled()
    assert local.adapter.running_executions() == 0, "the execution counts as ended"


@pytest.fixture
def local_time_behind_utc(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """A machine whose local time is not UTC: Wait timestamps are UTC whatever the machine's zone."""
    monkeypatch.setenv("TZ", "America/New_York")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


@pytest.mark.parametrize("field", ["Timestamp", "TimestampPath"])
def test_a_timestamp_wait_ends_when_the_clock_reaches_the_timestamp(
    local: Local, local_time_behind_utc: None, field: str
) -> None:
    moment = (local.runtime.clock.utcnow() + datetime.timedelta(hours=2)).replace(microsecond=0)
    until = moment.strftime("%Y-%m-%dT%H:%M:%SZ")
    wait = {"Timestamp": until} if field == "Timestamp" else {"TimestampPath": "$.until"}
    machine = local.machine({"StartAt": "Until", "States": {"Until": {"Type": "Wait", **wait, "End": True}}})
    execution_arn = local.start(machine, {"until": until})
    local.waiting_until(moment.timestamp())

    local.runtime.clock.advance(hours=2)

    execution = local.finished(execution_arn)
    assert execution["status"] == "SUCCEEDED"
    assert execution["stopDate"] >= moment - datetime.timedelta(seconds=1)  # moto waits whole seconds


def test_a_one_hour_retry_interval_passes_when_the_clock_advances(local: Local) -> None:
    later_url = f"https://sqs.us-east-1.amazonaws.com/{LOCAL_ACCOUNT}/later"
    machine = local.machine(
        {
            "StartAt": "Send",
            "States": {
                "Send": {
                    "Type": "Task",
                    "Resource": "arn:aws:states:::sqs:sendMessage",
                    "Parameters": {"QueueUrl": later_url, "MessageBody": "retried"},
                    "Retry": [{"ErrorEquals": ["States.ALL"], "IntervalSeconds": 3600, "MaxAttempts": 1}],
                    "End": True,
                }
            },
        }
    )
    execution_arn = local.start(machine)
    local.waiting_for(3600)  # the first attempt failed: the queue does not exist yet

    local.queue("later")
    local.runtime.clock.advance(hours=1)

    assert local.finished(execution_arn)["status"] == "SUCCEEDED"
    assert local.next_body(later_url) == "retried"
    events = local.sfn.get_execution_history(executionArn=execution_arn)["events"]
    scheduled = [event["timestamp"] for event in events if event["type"] == "TaskScheduled"]
    assert len(scheduled) == 2 and scheduled[1] - scheduled[0] >= datetime.timedelta(hours=1)
    assert path(local.adapter.history_path(execution_arn)) == [("Send", "succeeded")]


def test_the_state_machine_timeout_times_the_execution_out(local: Local) -> None:
    machine = local.machine(
        {"TimeoutSeconds": 60, "StartAt": "Long", "States": {"Long": {"Type": "Wait", "Seconds": 3600, "End": True}}}
    )
    execution_arn = local.start(machine)
    local.waiting_for(60)

    local.runtime.clock.advance(61)

    assert local.finished(execution_arn)["status"] == "TIMED_OUT"
    assert local.last_event(execution_arn) == "ExecutionTimedOut"
    assert path(local.adapter.history_path(execution_arn)) == [("Long", "timed out")]


# Callbacks -----------------------------------------------------------------------------------------------------


def test_send_task_success_resumes_a_jsonpath_task_waiting_for_its_token(local: Local) -> None:
    queue_url, _ = local.queue("approvals")
    machine = local.machine(
        {"StartAt": "Ask", "States": {"Ask": wait_for_token_task(queue_url, ResultPath="$.approval", End=True)}}
    )
    execution_arn = local.start(machine, {"order": "o-1"})
    request = local.next_message(queue_url)
    assert request["order"] == "o-1"

    local.sfn.send_task_success(taskToken=request["token"], output=json.dumps({"approved": True}))

    execution = local.finished(execution_arn)
    assert execution["status"] == "SUCCEEDED"
    assert json.loads(execution["output"]) == {"order": "o-1", "approval": {"approved": True}}


def test_send_task_success_resumes_a_jsonata_task_that_put_its_token_on_the_bus(local: Local) -> None:
    queue_url, queue_arn = local.queue("approval-requests")
    local.events.put_rule(Name="approvals", EventPattern=json.dumps({"source": ["orders"]}))
    local.events.put_targets(Rule="approvals", Targets=[{"Id": "queue", "Arn": queue_arn}])
    machine = local.machine(
        {
            "QueryLanguage": "JSONata",
            "StartAt": "Ask",
            "States": {
                "Ask": {
                    "Type": "Task",
                    "Resource": "arn:aws:states:::events:putEvents.waitForTaskToken",
                    "Arguments": {
                        "Entries": [
                            {
                                "Source": "orders",
                                "DetailType": "Approval Requested",
                                "Detail": {
                                    "order": "{% $states.input.order %}",
                                    "token": "{% $states.context.Task.Token %}",
                                },
                            }
                        ]
                    },
                    "Output": "{% $merge([$states.input, {'approval': $states.result}]) %}",
                    "End": True,
                }
            },
        }
    )
    execution_arn = local.start(machine, {"order": "o-2"})
    request = local.next_message(queue_url)
    assert (request["detail-type"], request["detail"]["order"]) == ("Approval Requested", "o-2")

    local.sfn.send_task_success(taskToken=request["detail"]["token"], output=json.dumps({"by": "ann"}))

    execution = local.finished(execution_arn)
    assert execution["status"] == "SUCCEEDED"
    assert json.loads(execution["output"]) == {"order": "o-2", "approval": {"by": "ann"}}


def test_send_task_failure_fails_the_task_with_its_error_and_cause(local: Local) -> None:
    queue_url, _ = local.queue("approvals")
    machine = local.machine({"StartAt": "Ask", "States": {"Ask": wait_for_token_task(queue_url, End=True)}})
    execution_arn = local.start(machine, {"order": "o-3"})

    local.sfn.send_task_failure(taskToken=local.next_message(queue_url)["token"], error="Rejected", cause="no stock")

    execution = local.finished(execution_arn)
    assert (execution["status"], execution["error"], execution["cause"]) == ("FAILED", "Rejected", "no stock")
    assert path(local.adapter.history_path(execution_arn)) == [("Ask", "failed Rejected")]


def timing_out_in_an_hour(local: Local) -> str:
    """A machine whose task waits for its token with a TimeoutSeconds of 3600, caught to a Pass state."""
    queue_url, _ = local.queue("approvals")
    ask = wait_for_token_task(
        queue_url, TimeoutSeconds=3600, Catch=[{"ErrorEquals": ["States.Timeout"], "Next": "Expired"}], End=True
    )
    return local.machine({"StartAt": "Ask", "States": {"Ask": ask, "Expired": {"Type": "Pass", "End": True}}})


def test_task_timeout_seconds_routes_to_the_timeout_branch_when_the_clock_advances(local: Local) -> None:
    machine = timing_out_in_an_hour(local)
    execution_arn = local.start(machine, {"order": "o-4"})
    local.submitted(execution_arn)
    local.waiting_for(3600)

    local.runtime.clock.advance(3601)

    assert local.finished(execution_arn)["status"] == "SUCCEEDED"
    assert path(local.adapter.history_path(execution_arn)) == [
        ("Ask", "caught States.Timeout"),
        ("Expired", "succeeded"),
    ]


def test_a_tasks_timeout_counts_from_its_task_started_event(local: Local, monkeypatch: pytest.MonkeyPatch) -> None:
    """The task's own thread records TaskStarted once it has evaluated its parameters, while moto's wait for it
    began before: 5 s of the clock pass in between here, as a few milliseconds do on a busy machine. The timeout
    counts from TaskStarted (orchestrator/local/stepfunctions/task_timeouts.py): never less than TimeoutSeconds."""
    from moto.stepfunctions.parser.asl.component.state.exec.state_task.service.state_task_service import (
        StateTaskService,
    )

    recording = StateTaskService._before_eval_execution  # the local runtime's, over moto's

    def slow_to_start(task: Any, *args: Any, **kwargs: Any) -> None:
        local.runtime.clock.advance(5)
        recording(task, *args, **kwargs)

    monkeypatch.setattr(StateTaskService, "_before_eval_execution", slow_to_start)
    machine = timing_out_in_an_hour(local)
    execution_arn = local.start(machine, {"order": "o-6"})
    local.submitted(execution_arn)

    local.runtime.clock.advance(3599)
    local.settled()
    assert "TaskTimedOut" not in local.history_types(execution_arn), "3,599 s after TaskStarted: not yet"
    local.runtime.clock.advance(1)

    assert local.finished(execution_arn)["status"] == "SUCCEEDED"
    events = {e["type"]: e["timestamp"] for e in local.sfn.get_execution_history(executionArn=execution_arn)["events"]}
    assert (events["TaskTimedOut"] - events["TaskStarted"]).total_seconds() == 3600


def test_heartbeats_keep_a_task_alive_until_they_stop_arriving(local: Local) -> None:
    queue_url, _ = local.queue("approvals")
    machine = local.machine(
        {
            "StartAt": "Ask",
            "States": {"Ask": wait_for_token_task(queue_url, TimeoutSeconds=3600, HeartbeatSeconds=60, End=True)},
        }
    )
    execution_arn = local.start(machine, {"order": "o-5"})
    token = local.next_message(queue_url)["token"]
    clock = local.runtime.clock

    local.waiting_for(60)
    clock.advance(50)
    local.sfn.send_task_heartbeat(taskToken=token)
    local.waiting_for(60)  # the heartbeat restarted the 60 s
    clock.advance(50)
    local.waiting_for(10)  # 100 s after the start and still alive
    clock.advance(11)

    execution = local.finished(execution_arn)
    assert (execution["status"], execution["error"]) == ("FAILED", "States.HeartbeatTimeout")
    events = local.sfn.get_execution_history(executionArn=execution_arn)["events"]
    submitted, timed_out = (
        next(e["timestamp"] for e in events if e["type"] == t) for t in ("TaskSubmitted", "TaskTimedOut")
    )
    assert timed_out - submitted >= datetime.timedelta(seconds=110)


def test_timeout_seconds_ends_a_task_even_while_heartbeats_arrive(local: Local) -> None:
    # With HeartbeatSeconds moto waits for heartbeats only: TimeoutSeconds is the task-level wait of ExecutionState.
    queue_url, _ = local.queue("approvals")
    ask = wait_for_token_task(queue_url, TimeoutSeconds=120, HeartbeatSeconds=60, End=True)
    machine = local.machine({"StartAt": "Ask", "States": {"Ask": ask}})
    execution_arn = local.start(machine, {"order": "o-6"})
    token = local.next_message(queue_url)["token"]
    clock = local.runtime.clock

    for _ in range(2):
        local.waiting_for(60)
        clock.advance(50)
        local.sfn.send_task_heartbeat(taskToken=token)
    local.waiting_for(20)  # 100 s in: the 120 s time-out comes before the next heartbeat is due
    clock.advance(21)

    execution = local.finished(execution_arn)
    assert (execution["status"], execution["error"]) == ("FAILED", "States.Timeout")
    # moto left the task's heartbeat wait running on its own thread: nothing of the task may wait on the clock.
    local.settled()
    assert clock.next_deadline() is None, "the timed-out task's heartbeat wait is released"


def test_stop_execution_aborts_a_task_waiting_for_its_token(local: Local) -> None:
    queue_url, _ = local.queue("approvals")
    ask = wait_for_token_task(queue_url, Catch=[{"ErrorEquals": ["States.ALL"], "Next": "Handled"}], End=True)
    machine = local.machine({"StartAt": "Ask", "States": {"Ask": ask, "Handled": {"Type": "Pass", "End": True}}})
    execution_arn = local.start(machine, {"order": "o-8"})
    local.next_message(queue_url)

    local.sfn.stop_execution(executionArn=execution_arn)

    assert local.finished(execution_arn)["status"] == "ABORTED"
    assert local.last_event(execution_arn) == "ExecutionAborted"
    types = local.history_types(execution_arn)
    assert types[-2:] == ["TaskSubmitted", "ExecutionAborted"], "the interrupted task records no outcome"
    assert path(local.adapter.history_path(execution_arn)) == [("Ask", "aborted")]


@pytest.mark.parametrize("heartbeat_first", [True, False], ids=["heartbeat-then-success", "success-only"])
def test_an_answer_before_the_task_set_up_its_heartbeat_wait_is_heard(
    local: Local, monkeypatch: pytest.MonkeyPatch, heartbeat_first: bool
) -> None:
    # moto sets up the heartbeat wait only after the message went out and TaskSubmitted was recorded; an agent in
    # the same process can answer first. Hold the set-up (as a loaded machine may) until the answer arrived.
    from moto.stepfunctions.parser.asl.eval.callback.callback import CallbackEndpoint

    set_up = CallbackEndpoint.setup_heartbeat_endpoint
    reached, release = threading.Event(), threading.Event()

    def set_up_late(endpoint: Any, heartbeat_seconds: int) -> Any:
        reached.set()
        release.wait(10)
        return set_up(endpoint, heartbeat_seconds)

    queue_url, _ = local.queue("approvals")
    ask = wait_for_token_task(queue_url, TimeoutSeconds=3600, HeartbeatSeconds=60, ResultPath="$.approval", End=True)
    machine = local.machine({"StartAt": "Ask", "States": {"Ask": ask}})
    with monkeypatch.context() as patched:
        patched.setattr(CallbackEndpoint, "setup_heartbeat_endpoint", set_up_late)
        execution_arn = local.start(machine, {"order": "o-10"})
        # The task's thread is held outside any wait the ledger knows (so the runtime is not quiet): wait for the
        # hold itself, which comes after the message went out.
        assert reached.wait(10), "the task set up no heartbeat wait"
        (message,) = local.sqs.receive_message(QueueUrl=queue_url)["Messages"]
        token = json.loads(message["Body"])["token"]

        if heartbeat_first:
            local.sfn.send_task_heartbeat(taskToken=token)  # AWS: the token is valid from the task's start
        local.sfn.send_task_success(taskToken=token, output=json.dumps({"approved": True}))
        release.set()

        execution = local.finished(execution_arn)
    assert execution["status"] == "SUCCEEDED"
    assert json.loads(execution["output"]) == {"order": "o-10", "approval": {"approved": True}}


def test_an_answer_arrives_while_another_execution_is_still_starting(
    local: Local, monkeypatch: pytest.MonkeyPatch
) -> None:
    # moto looks for the token in every running execution, reading each one's environment: one still being set up
    # (its worker has not created the environment yet) must not make SendTaskSuccess fail.
    starting = local.machine({"StartAt": "Echo", "States": {"Echo": {"Type": "Pass", "End": True}}}, "starting")
    queue_url, _ = local.queue("approvals")
    asks = local.machine({"StartAt": "Ask", "States": {"Ask": wait_for_token_task(queue_url, End=True)}}, "asks")
    with monkeypatch.context() as patched:
        start = HeldBeforeItsEnv(patched)
        starting_arn = local.start(starting, name="still-starting")
        assert start.held.wait(10)
        asking_arn = local.start(asks, {"order": "o-11"}, name="asking")
        # The held worker is outside any wait the ledger knows (the runtime is not quiet until it is released): wait
        # for the message's arrival and for the one execution instead.
        token = json.loads(received(local.sqs, queue_url)["Body"])["token"]

        local.sfn.send_task_success(taskToken=token, output=json.dumps({"approved": True}))

        assert local.adapter.wait_ended(asking_arn, 10)
        assert local.sfn.describe_execution(executionArn=asking_arn)["status"] == "SUCCEEDED"
        start.release.set()
        assert local.finished(starting_arn)["status"] == "SUCCEEDED"


# History -------------------------------------------------------------------------------------------------------


def fan_out_of_two(local: Local, ask: dict[str, Any]) -> tuple[str, dict[str, str], str, str]:
    """Starts a Map of two iterations side by side, orders "a" and "b", each in an Ask task waiting for its token;
    returns the execution, the token of each order, and the orders in the order their iterations entered Ask."""
    queue_url, _ = local.queue("approvals")
    states = {"Ask": {**wait_for_token_task(queue_url), **ask}, "Expired": {"Type": "Pass", "End": True}}
    fan_out = {"Type": "Map", "ItemsPath": "$.orders", "ItemProcessor": {"StartAt": "Ask", "States": states}}
    machine = local.machine({"StartAt": "Fan out", "States": {"Fan out": {**fan_out, "End": True}}})
    execution_arn = local.start(machine, {"orders": [{"order": "a"}, {"order": "b"}]})
    tokens = {message["order"]: message["token"] for message in (local.next_message(queue_url) for _ in range(2))}
    local.submitted(execution_arn, tasks=2)
    history = local.sfn.get_execution_history(executionArn=execution_arn)["events"]
    first, second = (
        json.loads(e["stateEnteredEventDetails"]["input"])["order"] for e in history if e["type"] == "TaskStateEntered"
    )
    return execution_arn, tokens, first, second


def left(local: Local, execution_arn: str) -> None:
    """Returns once the execution recorded that a task was left (the answer to it was taken in)."""
    local.settled()
    assert "TaskStateExited" in local.history_types(execution_arn), "the answered task is left"


def by_iteration(visits: list[StateVisit]) -> dict[str, list[StateVisit]]:
    grouped: dict[str, list[StateVisit]] = {}
    for visit in visits:
        grouped.setdefault(visit.iteration, []).append(visit)
    return grouped


ITERATION = {"a": "[0] a", "b": "[1] b"}


def test_each_map_iteration_side_by_side_keeps_its_own_exit_and_caught_error(local: Local) -> None:
    # The first iteration to enter Ask is answered at once; the other times out 61 s later, into its Catch.
    catch = [{"ErrorEquals": ["States.Timeout"], "Next": "Expired"}]
    execution_arn, tokens, first, second = fan_out_of_two(local, {"TimeoutSeconds": 60, "Catch": catch, "End": True})
    local.sfn.send_task_success(taskToken=tokens[first], output="{}")
    left(local, execution_arn)
    local.waiting_for(60)

    local.runtime.clock.advance(61)

    assert local.finished(execution_arn)["status"] == "SUCCEEDED"
    visits = local.adapter.history_path(execution_arn)
    iterations = by_iteration(visits)
    assert [(v.name, v.outcome, v.depth) for v in iterations.pop("")] == [("Fan out", "succeeded", 0)]
    assert visits[0].name == "Fan out", "the Map state comes before the states of its iterations"
    (answered,) = iterations[ITERATION[first]]
    timed_out, expired = iterations[ITERATION[second]]
    assert (answered.name, answered.outcome, answered.depth) == ("Ask", "succeeded", 1)
    assert answered.exited == answered.entered, "left when answered, before the clock moved"
    assert (timed_out.name, timed_out.outcome, expired.name, expired.outcome) == (
        "Ask",
        "caught States.Timeout",
        "Expired",
        "succeeded",
    )
    assert timed_out.exited is not None and timed_out.exited - timed_out.entered == datetime.timedelta(seconds=61)


def test_a_failed_map_iteration_fails_only_its_own_state(local: Local) -> None:
    execution_arn, tokens, first, second = fan_out_of_two(local, {"End": True})
    local.sfn.send_task_success(taskToken=tokens[first], output="{}")
    left(local, execution_arn)

    local.sfn.send_task_failure(taskToken=tokens[second], error="Rejected", cause="no stock")

    assert local.finished(execution_arn)["status"] == "FAILED"
    iterations = by_iteration(local.adapter.history_path(execution_arn))
    assert [(v.name, v.outcome) for v in iterations[""]] == [("Fan out", "failed Rejected")]
    assert [(v.name, v.outcome) for v in iterations[ITERATION[first]]] == [("Ask", "succeeded")]
    assert [(v.name, v.outcome) for v in iterations[ITERATION[second]]] == [("Ask", "failed Rejected")]


def test_an_event_moto_records_after_a_state_was_left_does_not_change_its_outcome() -> None:
    # A task timed out while its request was still going out: moto records TaskSubmitted after all the rest.
    moment = datetime.datetime(2026, 11, 25, 12, tzinfo=datetime.UTC)
    history = [
        {"id": 1, "previousEventId": 0, "type": "ExecutionStarted"},
        {"id": 2, "previousEventId": 0, "type": "TaskStateEntered", "stateEnteredEventDetails": {"name": "Ask"}},
        {"id": 3, "previousEventId": 2, "type": "TaskStarted"},
        {
            "id": 4,
            "previousEventId": 3,
            "type": "TaskTimedOut",
            "taskTimedOutEventDetails": {"error": "States.Timeout"},
        },
        {"id": 5, "previousEventId": 4, "type": "TaskStateExited", "stateExitedEventDetails": {"name": "Ask"}},
        {"id": 6, "previousEventId": 5, "type": "PassStateEntered", "stateEnteredEventDetails": {"name": "Expired"}},
        {"id": 7, "previousEventId": 6, "type": "PassStateExited", "stateExitedEventDetails": {"name": "Expired"}},
        {"id": 8, "previousEventId": 7, "type": "ExecutionSucceeded"},
        {"id": 9, "previousEventId": 3, "type": "TaskSubmitted"},
    ]

    visits = visits_from_history([{**event, "timestamp": moment} for event in history], "SUCCEEDED")

    assert path(visits) == [("Ask", "caught States.Timeout"), ("Expired", "succeeded")]


def test_a_stop_while_a_retry_is_worked_out_aborts_the_execution(local: Local, monkeypatch: pytest.MonkeyPatch) -> None:
    # moto skips each step of a stopped program, so a Retry stopped half-way reads the wrong value off its stack.
    from moto.stepfunctions.parser.asl.component.common.retry.max_attempts_decl import MaxAttemptsDecl

    counted = MaxAttemptsDecl._eval_body

    def counted_then_stopped(decl: Any, env: Any) -> None:
        counted(decl, env)
        local.sfn.stop_execution(executionArn=env.states.context_object.context_object_data["Execution"]["Id"])

    missing = f"https://sqs.us-east-1.amazonaws.com/{LOCAL_ACCOUNT}/missing"
    send = {
        "Type": "Task",
        "Resource": "arn:aws:states:::sqs:sendMessage",
        "Parameters": {"QueueUrl": missing, "MessageBody": "never"},
        "Retry": [{"ErrorEquals": ["States.ALL"], "IntervalSeconds": 3600, "MaxAttempts": 2}],
        "End": True,
    }
    machine = local.machine({"StartAt": "Send", "States": {"Send": send}})
    with monkeypatch.context() as patched:
        patched.setattr(MaxAttemptsDecl, "_eval_body", counted_then_stopped)
        execution_arn = local.start(machine, {"order": "o-12"})

        execution = local.finished(execution_arn)

    assert execution["status"] == "ABORTED"
    assert local.last_event(execution_arn) == "ExecutionAborted"


# Status-change events ------------------------------------------------------------------------------------------


def test_status_change_events_reach_a_rule_on_the_default_bus(local: Local) -> None:
    tap_url, tap_arn = local.queue("status-changes")
    pattern = {"source": ["aws.states"], "detail-type": ["Step Functions Execution Status Change"]}
    local.events.put_rule(Name="status-changes", EventPattern=json.dumps(pattern))
    local.events.put_targets(Rule="status-changes", Targets=[{"Id": "tap", "Arn": tap_arn}])
    passes = local.machine({"StartAt": "Echo", "States": {"Echo": {"Type": "Pass", "Result": "done", "End": True}}})
    fails = local.machine(
        {"StartAt": "No", "States": {"No": {"Type": "Fail", "Error": "OutOfStock", "Cause": "sku a"}}}, name="fails"
    )
    waits = local.machine(
        {"TimeoutSeconds": 60, "StartAt": "Hold", "States": {"Hold": {"Type": "Wait", "Seconds": 3600, "End": True}}},
        "waits",
    )
    express = local.machine(
        {"StartAt": "Echo", "States": {"Echo": {"Type": "Pass", "End": True}}}, "quick", type="EXPRESS"
    )

    succeeded_arn = local.start(passes, {"order": "o-7"}, name="succeeds")
    failed_arn = local.start(fails, name="fails")
    aborted_arn = local.start(waits, name="aborted")
    local.finished(local.start(express, name="express"))
    local.finished(succeeded_arn)
    local.finished(failed_arn)
    local.waiting_for(60)
    local.sfn.stop_execution(executionArn=aborted_arn)
    local.finished(aborted_arn)
    timed_out_arn = local.start(waits, name="timed-out")
    local.waiting_for(60)
    local.runtime.clock.advance(61)
    local.finished(timed_out_arn)
    assert local.runtime.activity.wait_idle(10)

    received = [local.next_message(tap_url) for _ in range(8)]
    assert local.sqs.receive_message(QueueUrl=tap_url).get("Messages") is None, "nothing from the EXPRESS machine"
    by_execution: dict[str, list[dict[str, Any]]] = {}
    for event in received:
        assert (event["source"], event["detail-type"]) == ("aws.states", "Step Functions Execution Status Change")
        assert event["resources"] == [event["detail"]["executionArn"]]
        by_execution.setdefault(event["detail"]["name"], []).append(event["detail"])
    assert {name: [d["status"] for d in details] for name, details in by_execution.items()} == {
        "succeeds": ["RUNNING", "SUCCEEDED"],
        "fails": ["RUNNING", "FAILED"],
        "aborted": ["RUNNING", "ABORTED"],
        "timed-out": ["RUNNING", "TIMED_OUT"],
    }

    running, succeeded = by_execution["succeeds"]
    described = local.sfn.describe_execution(executionArn=succeeded_arn)
    assert running == {
        "executionArn": succeeded_arn,
        "stateMachineArn": passes,
        "name": "succeeds",
        "status": "RUNNING",
        "startDate": int(described["startDate"].timestamp() * 1000),
        "stopDate": None,
        "input": json.dumps({"order": "o-7"}),
        "inputDetails": {"included": True},
        "output": None,
        "outputDetails": None,
        "error": None,
        "cause": None,
        "stateMachineVersionArn": None,
        "stateMachineAliasArn": None,
        "redriveCount": 0,
        "redriveDate": None,
    }
    assert succeeded == {
        **running,
        "status": "SUCCEEDED",
        "stopDate": int(described["stopDate"].timestamp() * 1000),
        "output": '"done"',
        "outputDetails": {"included": True},
    }
    failed = by_execution["fails"][1]
    assert (failed["error"], failed["cause"], failed["output"]) == ("OutOfStock", "sku a", None)
    assert failed["stopDate"] >= failed["startDate"]
    for stopped in (by_execution["aborted"][1], by_execution["timed-out"][1]):
        assert stopped["stopDate"] >= stopped["startDate"] and stopped["output"] is None


# Installing ----------------------------------------------------------------------------------------------------


def test_uninstall_restores_moto_and_a_second_adapter_is_refused(local: Local) -> None:
    from moto.stepfunctions.parser.asl.component.state.wait.wait_function.wait_function import WaitFunction
    from moto.stepfunctions.parser.asl.eval.callback import callback

    patched = WaitFunction.__dict__["_wait_interval"]
    with pytest.raises(RuntimeError, match="another StepFunctionsAdapter is installed"):
        StepFunctionsAdapter(local.runtime).install()
    local.adapter.install()  # idempotent for the installed one

    local.adapter.uninstall()
    original = WaitFunction.__dict__["_wait_interval"]
    try:
        assert original is not patched
        assert vars(callback)["Event"] is threading.Event
        machine = local.machine({"StartAt": "Short", "States": {"Short": {"Type": "Wait", "Seconds": 0, "End": True}}})
        # moto as shipped: its threads are in no ledger
        assert ended(None, local.sfn, local.start(machine))["status"] == "SUCCEEDED"
        assert local.runtime.activity.finished == 0, "no status-change events without the adapter"
    finally:
        local.adapter.install()
    assert WaitFunction.__dict__["_wait_interval"] is not original


def test_uninstall_stops_executions_still_running_without_status_events(local: Local) -> None:
    queue_url, _ = local.queue("approvals")
    waits = local.machine({"StartAt": "Hold", "States": {"Hold": {"Type": "Wait", "Seconds": DAY, "End": True}}})
    asks = local.machine({"StartAt": "Ask", "States": {"Ask": wait_for_token_task(queue_url, End=True)}}, "asks")
    waiting = [local.start(waits, name="on-the-clock"), local.start(asks, {"order": "o-9"}, name="for-a-token")]
    local.next_message(queue_url)
    local.waiting_for(DAY)
    assert local.runtime.activity.wait_idle(10)
    sent = local.runtime.activity.finished

    local.adapter.uninstall()
    try:
        assert [local.finished(arn)["status"] for arn in waiting] == ["ABORTED", "ABORTED"]
        assert local.runtime.clock.next_deadline() is None, "no thread waits on the clock any more"
        assert local.runtime.activity.finished == sent
    finally:
        local.adapter.install()


def test_uninstall_stops_an_execution_whose_program_had_not_started_and_refuses_new_ones(
    local: Local, monkeypatch: pytest.MonkeyPatch
) -> None:
    waits = local.machine({"StartAt": "Hold", "States": {"Hold": {"Type": "Wait", "Seconds": DAY, "End": True}}})
    with monkeypatch.context() as patched:
        start = HeldBeforeItsEnv(patched)
        held_arn = local.start(waits, name="not-running-yet")
        assert start.held.wait(10)
        uninstalling = threading.Thread(target=local.adapter.uninstall)
        uninstalling.start()
        assert local.adapter.closing.wait(10), "uninstall() began closing"
        with pytest.raises(StepFunctionsStoppedError) as refused:
            local.start(waits, name="late")
        refusal = str(refused.value)
        start.release.set()
        uninstalling.join(15)

    assert "the local Step Functions runtime is stopping" in refusal
    assert not uninstalling.is_alive()
    assert start.worker is not None and not start.worker.is_alive(), "the execution's thread outlived uninstall()"
    assert local.sfn.describe_execution(executionArn=held_arn)["status"] == "ABORTED"
    assert local.runtime.clock.next_deadline() is None
    # A new runtime in the same process runs its executions on its own clock, undisturbed.
    after = local_runtime()
    try:
        jsonata = {
            "QueryLanguage": "JSONata",
            "StartAt": "Hold",
            "States": {"Hold": {"Type": "Wait", "Seconds": 60, "Output": "{% $states.input.n + 1 %}", "End": True}},
        }
        execution_arn = after.start(after.machine(jsonata, "next"), {"n": 1})
        after.waiting_for(60)
        after.runtime.clock.advance(60)
        execution = after.finished(execution_arn)
        assert (execution["status"], execution["output"]) == ("SUCCEEDED", "2")
        assert local.history_types(held_arn)[-1] == "ExecutionAborted"
    finally:
        assert after.adapter.uninstall()


def test_install_refuses_a_moto_version_it_was_not_checked_against(
    aws_credentials: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(moto, "__version__", "5.3.0")
    adapter = StepFunctionsAdapter(Runtime())

    with pytest.raises(MotoSeamError, match=r"checked against moto 5\.2\.5, found 5\.3\.0"):
        adapter.install()

    adapter.uninstall()  # nothing was patched: a no-op


def test_install_names_a_missing_seam_and_leaves_moto_as_it_was(monkeypatch: pytest.MonkeyPatch) -> None:
    from moto.stepfunctions.parser.asl.component.program.program import Program
    from moto.stepfunctions.parser.asl.component.state.wait.wait_function.wait_function import WaitFunction
    from moto.stepfunctions.parser.asl.eval.callback import callback

    original_wait = WaitFunction.__dict__["_wait_interval"]
    with monkeypatch.context() as seam_gone:
        seam_gone.delattr(Program, "eval")  # patched after the Wait, the callback events and the retry interval

        with pytest.raises(MotoSeamError, match=r"seam this adapter patches is missing: Program\.eval"):
            StepFunctionsAdapter(Runtime()).install()

    assert WaitFunction.__dict__["_wait_interval"] is original_wait
    assert vars(callback)["Event"] is threading.Event
    other = StepFunctionsAdapter(Runtime())
    other.install()  # the failed install left nothing installed that would refuse another adapter
    other.uninstall()


# Each definition parsed once -----------------------------------------------------------------------------------


def test_each_wait_in_the_ledger_names_its_execution_and_what_it_waits_for(local: Local) -> None:
    """What `wait_until_quiet` reports in `Stillness.waits`: per execution, the wait it is in, read off the ledger."""
    queue_url, _ = local.queue("asks")
    machine = local.machine(
        {
            "StartAt": "Both",
            "States": {
                "Both": {
                    "Type": "Parallel",
                    "Branches": [
                        {"StartAt": "Nap", "States": {"Nap": {"Type": "Wait", "Seconds": 3600, "End": True}}},
                        {
                            "StartAt": "Ask",
                            "States": {
                                "Ask": {
                                    "Type": "Task",
                                    "Resource": "arn:aws:states:::sqs:sendMessage.waitForTaskToken",
                                    "Parameters": {"QueueUrl": queue_url, "MessageBody.$": "$$.Task.Token"},
                                    "End": True,
                                }
                            },
                        },
                    ],
                    "End": True,
                }
            },
        }
    )
    execution_arn = local.start(machine, name="labelled")

    def waits() -> list[tuple[str, str]]:
        reading = local.runtime.ledger.read(local.runtime.clock.now())
        return sorted((wait.what, worker) for worker, wait in reading.waits if not reading.busy)

    kinds = {"a Wait state", "a task token", "its Parallel branches", "its program, or its TimeoutSeconds"}
    local.settled()
    found = waits()
    assert kinds <= {what for what, _ in found}, found
    assert {what for what, _ in found} - kinds == {"its task, or its TimeoutSeconds"}, "and nothing else"
    assert all(execution_arn in worker for _, worker in found), found


def test_an_invalid_definition_is_refused_at_creation_as_moto_refuses_it_and_is_not_cached(local: Local) -> None:
    """CreateStateMachine validates through the parse cache: refused with AWS's error code (moto's own answer has
    an empty one) and moto's message, and a failed parse is not kept (the next attempt fails again)."""
    broken = {"StartAt": "Only", "States": {"Only": {"Type": "NoSuchType", "End": True}}}
    for _ in range(2):
        with pytest.raises(ClientError) as refused:
            local.machine({**broken, "Comment": "invalid"})
        assert refused.value.response["Error"]["Code"] == "InvalidDefinition"
        assert "NoSuchType" in refused.value.response["Error"]["Message"]


def counted_parses(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every definition moto's ASL parser is given from now on (until the test ends)."""
    from moto.stepfunctions.parser.asl.parse.asl_parser import AmazonStateLanguageParser

    parses: list[str] = []
    parse = AmazonStateLanguageParser.parse

    def counted(definition: str) -> Any:
        parses.append(definition)
        return parse(definition)

    monkeypatch.setattr(AmazonStateLanguageParser, "parse", staticmethod(counted))
    return parses


def test_a_parsed_program_is_kept_on_disk_for_the_next_process_but_not_from_a_file_others_may_write(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A process's first local cloud loads the app's programs rather than parse them again; a kept file that another
    user could have written is not unpickled (parsed again instead)."""
    from orchestrator.local.stepfunctions import parsing

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    parses = counted_parses(monkeypatch)
    definition = json.dumps(
        {"Comment": str(uuid.uuid4()), "StartAt": "A", "States": {"A": {"Type": "Pass", "End": True}}}
    )

    first = parsing.parsed(definition)
    parsing.parsed.cache_clear()  # as a new process starts with none
    second = parsing.parsed(definition)

    assert len(parses) == 1 and type(second) is type(first)
    assert second.start_at.start_at_name == "A"
    (kept,) = (tmp_path / "event-orchestrator" / "asl").iterdir()
    kept.chmod(0o664)
    parsing.parsed.cache_clear()
    parsing.parsed(definition)
    assert len(parses) == 2, "a group-writable file is not trusted"


def test_a_program_parsed_once_has_every_heap_key_settled_before_it_is_shared() -> None:
    """A retrier's attempt counter lives in each execution's heap under its component's heap key, which moto picks
    lazily: one left unsettled is picked by two executions at once, and one of them loses its count (and retries
    again). Every component reachable from the program, found by the garbage collector's references rather than by the
    walk under test, has its key."""
    import gc

    from moto.stepfunctions.parser.asl.component.component import Component
    from moto.stepfunctions.parser.asl.component.eval_component import EvalComponent
    from moto.stepfunctions.parser.asl.parse.asl_parser import AmazonStateLanguageParser

    from orchestrator.local.stepfunctions.parsing import _settle_heap_keys

    definition = {
        "StartAt": "Send",
        "States": {
            "Send": {
                "Type": "Task",
                "Resource": "arn:aws:states:::sqs:sendMessage",
                "Parameters": {"QueueUrl": "q", "MessageBody.$": "$.who"},
                "Retry": [{"ErrorEquals": ["States.ALL"], "IntervalSeconds": 1, "MaxAttempts": 2}],
                "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "Done"}],
                "Next": "Done",
            },
            "Done": {"Type": "Pass", "End": True},
        },
    }
    program = AmazonStateLanguageParser.parse(json.dumps(definition))[0]
    _settle_heap_keys(program, Component, EvalComponent)

    reachable, seen, pending = [], set(), [program]
    while pending:
        item = pending.pop()
        if id(item) in seen or isinstance(item, type):
            continue
        seen.add(id(item))
        if isinstance(item, EvalComponent):
            reachable.append(item)
        pending.extend(gc.get_referents(item))
    unsettled = [type(c).__name__ for c in reachable if vars(c).get("_EvalComponent__heap_key") is None]
    assert len(reachable) > 10 and unsettled == []


def retried(local: Local, execution_arns: list[str], attempts: int) -> bool:
    """Whether each execution made `attempts` attempts."""
    return all(local.history_types(arn).count("TaskScheduled") >= attempts for arn in execution_arns)


def test_executions_of_one_state_machine_share_one_parse_and_each_keeps_its_own_retries(
    local: Local, monkeypatch: pytest.MonkeyPatch
) -> None:
    parses = counted_parses(monkeypatch)
    missing_url = f"https://sqs.us-east-1.amazonaws.com/{LOCAL_ACCOUNT}/missing"
    machine = local.machine(
        {
            "Comment": f"unique to this test: {uuid.uuid4()}",  # the parse cache is the process's
            "QueryLanguage": "JSONata",
            "StartAt": "Send",
            "States": {
                "Send": {
                    "Type": "Task",
                    "Resource": "arn:aws:states:::sqs:sendMessage",
                    "Arguments": {"QueueUrl": missing_url, "MessageBody": "{% $states.input.who %}"},
                    "Retry": [{"ErrorEquals": ["States.ALL"], "IntervalSeconds": 1, "MaxAttempts": 2}],
                    "Catch": [{"ErrorEquals": ["States.ALL"], "Output": "{% $states.input %}", "Next": "Greet"}],
                    "End": True,
                },
                "Greet": {"Type": "Pass", "Output": {"greeting": "{% 'hello ' & $states.input.who %}"}, "End": True},
            },
        }
    )

    runs = [local.start(machine, {"who": who}, name=who) for who in ("ann", "bob")]
    local.settled(advance_clock=True)  # through each retry interval
    assert retried(local, runs, 3), [local.history_types(run) for run in runs]
    outcomes = [local.finished(run) for run in runs]

    assert len(parses) == 1, "CreateStateMachine parsed it; both executions reused that program"
    assert [(o["status"], json.loads(o["output"])) for o in outcomes] == [
        ("SUCCEEDED", {"greeting": "hello ann"}),
        ("SUCCEEDED", {"greeting": "hello bob"}),
    ]
    for run in runs:
        assert local.history_types(run).count("TaskScheduled") == 3, "each execution made its own three attempts"


# Service-integration clients shared ----------------------------------------------------------------------------


def test_service_tasks_of_every_execution_share_one_client_per_service(
    local: Local, monkeypatch: pytest.MonkeyPatch
) -> None:
    inbox_url, _ = local.queue("inbox")
    send = {"Type": "Task", "Resource": "arn:aws:states:::sqs:sendMessage"}
    machine = local.machine(
        {
            "QueryLanguage": "JSONata",
            "StartAt": "First",
            "States": {
                "First": {
                    **send,
                    "Arguments": {"QueueUrl": inbox_url, "MessageBody": "{% $states.input.who & ' 1' %}"},
                    "Output": "{% $states.input %}",
                    "Next": "Second",
                },
                "Second": {
                    **send,
                    "Arguments": {"QueueUrl": inbox_url, "MessageBody": "{% $states.input.who & ' 2' %}"},
                    "End": True,
                },
            },
        }
    )
    built: list[str] = []
    client = boto3.client

    def counted(*args: Any, **kwargs: Any) -> Any:
        if kwargs.get("aws_access_key_id") == "ak":  # the fixed keys moto's tasks sign with
            built.append(kwargs["service_name"])
        return client(*args, **kwargs)

    monkeypatch.setattr(boto3, "client", counted)

    runs = [local.start(machine, {"who": who}, name=who) for who in ("ann", "bob")]

    assert [local.finished(run)["status"] for run in runs] == ["SUCCEEDED", "SUCCEEDED"]
    assert sorted(local.next_body(inbox_url) for _ in range(4)) == ["ann 1", "ann 2", "bob 1", "bob 2"]
    assert built == ["sqs"], "four sendMessage tasks of two executions, one client"
