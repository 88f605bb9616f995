"""Lambda functions of an assembly, run in-process by the local runtime and invoked through boto3 on moto."""

from __future__ import annotations

import gc
import json
import os
import shutil
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError
from moto import mock_aws

from functions.observability import SERVICE_VARIABLE
from orchestrator.assembly import CloudAssembly
from orchestrator.local.clock import Clock
from orchestrator.local.lambdas import ASYNC_RETRY_DELAYS, DEFAULT_ENVIRONMENTS, LambdaRuntime, RuntimeStoppedError
from orchestrator.local.provision import Provisioned, Provisioner
from orchestrator.local.runtime import MOTO_CONFIG, Runtime, local_session
from tests.builders import delivered_event, sample_event
from tests.conftest import WHOLE_APP
from tests.integration.local_lambda_samples import clock_hook, rendezvous
from tests.settling import ended

SAMPLES = Path(__file__).parent / "local_lambda_samples"
WAIT = 10.0  # real seconds a test waits for background work before it fails
PROCESS_ENVIRON = os.environ  # the real one: this module is imported before any runtime is installed


@dataclass
class Local:
    runtime: Runtime
    lambdas: LambdaRuntime
    provisioner: Provisioner

    def client(self, service: str) -> Any:
        return self.runtime.client(service)

    def invoke(self, name: str, event: Any, invocation_type: str = "RequestResponse") -> dict[str, Any]:
        """boto3 `lambda.invoke`, with the payload read (parsed when it is JSON)."""
        response = self.client("lambda").invoke(
            FunctionName=name, InvocationType=invocation_type, Payload=json.dumps(event)
        )
        raw = response["Payload"].read()
        return {**response, "Payload": json.loads(raw) if raw else None}

    def attempts(self, name: str) -> list[str | None]:
        """The error type (None: success) of every run of `name` so far."""
        return [r.error_type for r in self.lambdas.invocations if r.function_name == name]

    def settle(self) -> None:
        assert self.runtime.activity.wait_idle(WAIT), "background invocations did not finish"
        assert self.runtime.activity.failures == []

    def messages(self, queue_name: str) -> list[dict[str, Any]]:
        sqs = self.client("sqs")
        url = sqs.get_queue_url(QueueName=queue_name)["QueueUrl"]
        received = sqs.receive_message(
            QueueUrl=url, MaxNumberOfMessages=10, MessageAttributeNames=["All"], WaitTimeSeconds=0
        )
        return list(received.get("Messages", []))


def _state_machine_arn(p: Provisioner, logical_id: str, props: dict[str, Any]) -> Provisioned:
    """Stands in for the Step Functions adapter: only the ARN (its Ref) that rules targeting it need, and the revision
    its `live` version names."""
    name = props.get("StateMachineName") or p.physical_name(logical_id, 80)
    arn = p.arn("states", f"stateMachine:{name}")
    return Provisioned(arn, {"Arn": arn, "Name": name, "StateMachineRevisionId": "local"})


def _local(directory: Path, environments_per_function: int = DEFAULT_ENVIRONMENTS) -> Iterator[Local]:
    with mock_aws(config=MOTO_CONFIG):
        # Frozen: only `advance` (a test's, or a handler's through clock_hook) moves the clock, so a deadline
        # is never reached by real time passing while a slow machine runs the test.
        frozen = time.time()
        runtime = Runtime(clock=Clock(now=lambda: frozen), session=local_session())
        lambdas = LambdaRuntime(runtime, environments_per_function)
        lambdas.install()
        clock_hook.CLOCK = runtime.clock
        try:
            creators = {"AWS::StepFunctions::StateMachine": _state_machine_arn, **lambdas.creators()}
            provisioner = Provisioner(runtime.session, runtime.account, runtime.region, creators=creators)
            provisioner.provision(CloudAssembly(directory))
            yield Local(runtime, lambdas, provisioner)
        finally:
            clock_hook.CLOCK = None
            lambdas.uninstall()


@pytest.fixture
def app(assembly_dir: Path, aws_credentials: None) -> Iterator[Local]:
    """The real app's assembly, provisioned with its functions."""
    yield from _local(assembly_dir)


@pytest.fixture
def samples(tmp_path: Path, aws_credentials: None) -> Iterator[Local]:
    """A small assembly of test-only functions, written as the CDK writes one (asset folder, metadata, role)."""
    rendezvous.reset()
    yield from _local(_samples_assembly(tmp_path))


@pytest.fixture
def two_environments(tmp_path: Path, aws_credentials: None) -> Iterator[Local]:
    """The samples, with at most two execution environments per function."""
    rendezvous.reset()
    yield from _local(_samples_assembly(tmp_path), environments_per_function=2)


def _samples_assembly(tmp_path: Path) -> Path:
    shutil.copytree(SAMPLES, tmp_path / "asset.samples")
    dead_letters = {"TargetArn": {"Fn::GetAtt": ["DeadLetters", "Arn"]}}
    resources = {
        "Role": {"Type": "AWS::IAM::Role", "Properties": {"AssumeRolePolicyDocument": {}}},
        "DeadLetters": {"Type": "AWS::SQS::Queue", "Properties": {"QueueName": "samples-dlq"}},
        "GreeterA": _function("state", FunctionName="greeter-a", Environment={"Variables": {"GREETING": "a"}}),
        "GreeterB": _function("state", Environment={"Variables": {"GREETING": "b"}}),
        "Caller": _function(
            "call_other", FunctionName="caller", Environment={"Variables": {"GREETING": "c", "CALLER_ONLY": "c"}}
        ),
        "Failing": _function("fail", FunctionName="failing", DeadLetterConfig=dead_letters),
        "Flaky": _function("fail_times", FunctionName="flaky", DeadLetterConfig=dead_letters),
        "Lost": _function("fail", FunctionName="lost"),
        "Remaining": _function("remaining", FunctionName="remaining", Timeout=5),
        "Unserializable": _function("unserializable", FunctionName="unserializable"),
        "Collecting": _function("collect", FunctionName="collecting", Timeout=1),
        "Misnamed": _function("missing", FunctionName="misnamed"),
        "Alpha": _function("observed", FunctionName="alpha", Environment={"Variables": {SERVICE_VARIABLE: "alpha"}}),
        "Beta": _function("observed", FunctionName="beta", Environment={"Variables": {SERVICE_VARIABLE: "beta"}}),
        "MeetA": _function("meet", FunctionName="meet-a"),
        "MeetB": _function("meet", FunctionName="meet-b"),
        "Holder": _function("hold", FunctionName="holder", Environment={"Variables": {"GREETING": "h"}}),
        "Dispatcher": _function("invoke_from_thread", FunctionName="dispatcher"),
    }
    (tmp_path / "Samples.template.json").write_text(json.dumps({"Resources": resources}), encoding="utf-8")
    stack = {"type": "aws:cloudformation:stack", "properties": {"templateFile": "Samples.template.json"}}
    (tmp_path / "manifest.json").write_text(json.dumps({"artifacts": {"Samples": stack}}), encoding="utf-8")
    return tmp_path


def _function(handler: str, **properties: Any) -> dict[str, Any]:
    return {
        "Type": "AWS::Lambda::Function",
        "Metadata": {"aws:asset:path": "asset.samples"},
        "Properties": {
            "Handler": f"handlers.{handler}",
            "Runtime": "python3.13",
            "Role": {"Fn::GetAtt": ["Role", "Arn"]},
            "Code": {"S3Bucket": "cdk-assets", "S3Key": "samples.zip"},
            **properties,
        },
    }


def _guard(local: Local) -> str:
    (name,) = [n for n in local.lambdas.functions if "SchemaGuard" in n]
    return name


# -- the real app --------------------------------------------------------------------------------------------


@WHOLE_APP
def test_provisioning_creates_the_apps_functions_with_their_settings(app: Local, assembly_dir: Path) -> None:
    in_templates = {
        app.provisioner.resources[stack.name][logical_id].ref
        for stack in CloudAssembly(assembly_dir).stacks()
        for logical_id, _ in stack.resources("AWS::Lambda::Function")
    }
    functions = {f["FunctionName"] for f in app.client("lambda").list_functions()["Functions"]}
    assert functions == in_templates == set(app.lambdas.functions), "every function is in moto and runs locally"
    guard = app.client("lambda").get_function(FunctionName=_guard(app))["Configuration"]
    assert (guard["Timeout"], guard["MemorySize"], guard["Handler"]) == (
        10,
        256,
        "functions.schema_guard.handler.handler",
    )
    quarantine_url = next(
        p.ref for p in app.provisioner.resources["Orchestrator-dev-EventPlane"].values() if "Quarantine" in str(p.ref)
    )
    assert guard["Environment"]["Variables"]["QUARANTINE_QUEUE_URL"] == quarantine_url
    local = app.lambdas.functions[_guard(app)]
    assert (local.timeout, local.memory, local.environment["POWERTOOLS_SERVICE_NAME"]) == (10, 256, "schema-guard")
    assert (local.code_dir / "functions" / "schema_guard" / "handler.py").is_file(), "the function's asset folder"


@WHOLE_APP
def test_the_schema_guard_passes_a_valid_event_and_quarantines_a_malformed_one(app: Local) -> None:
    guard = _guard(app)
    quarantine = app.lambdas.functions[guard].environment["QUARANTINE_QUEUE_URL"].rsplit("/", 1)[1]

    valid = app.invoke(guard, sample_event("order_placed"))
    assert (valid["StatusCode"], valid.get("FunctionError")) == (200, None)
    assert valid["Payload"]["valid"] is True
    assert app.messages(quarantine) == []

    malformed = delivered_event("OrderPlaced", "shop.orders", data={"order_id": "o-1"})
    verdict = app.invoke(guard, malformed)["Payload"]
    assert verdict["valid"] is False
    (kept,) = app.messages(quarantine)
    assert kept["MessageId"] == verdict["quarantine_id"]
    assert json.loads(kept["Body"])["event"] == malformed
    assert "data.customer_id: Field required" in kept["MessageAttributes"]["reason"]["StringValue"]
    assert app.attempts(guard) == [None, None]


# -- handlers, modules and environments -------------------------------------------------------------------


def test_functions_sharing_a_handler_file_have_their_own_module_state_and_environment(samples: Local) -> None:
    greeter_b = next(n for n in samples.lambdas.functions if "GreeterB" in n)  # a generated physical name
    first_a, first_b, second_a = (samples.invoke(n, {})["Payload"] for n in ("greeter-a", greeter_b, "greeter-a"))
    assert (first_a["calls"], first_b["calls"], second_a["calls"]) == (1, 1, 2), "a warm start keeps module state"
    assert (first_a["greeting"], first_b["greeting"], second_a["greeting"]) == ("a", "b", "a"), "cached per function"
    assert first_b["name"] == greeter_b
    # Each invocation's variables are its environment's own: the process's environment never holds them.
    assert "GREETING" not in os.environ and "AWS_LAMBDA_FUNCTION_NAME" not in os.environ


def test_functions_of_two_services_sharing_one_process_log_under_their_own_service(
    samples: Local, capsys: pytest.CaptureFixture[str]
) -> None:
    # functions/observability.py is imported once for the whole process; each function's tools are its service's.
    # (Their Loggers are made here, on the first invocations, so they write to the stdout pytest captures now.)
    answers = [samples.invoke(name, {})["Payload"]["service"] for name in ("alpha", "beta", "alpha")]

    assert answers == ["alpha", "beta", "alpha"]
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines() if line.startswith("{")]
    logged = [(line["service"], line["function"]) for line in lines if line.get("message") == "observed"]
    assert logged == [("alpha", "alpha"), ("beta", "beta"), ("alpha", "alpha")]


def test_a_handler_can_invoke_another_function_and_each_sees_only_its_own_environment(samples: Local) -> None:
    result = samples.invoke("caller", {"target": "greeter-a"})["Payload"]
    assert result["inner"]["env"] == "a"
    assert result["inner"]["leaked"] is None, "the caller's variables are hidden from the function it invokes"
    assert (result["outer_env_after"], result["name_after"]) == ("c", "caller"), "the caller's environment is back"
    assert samples.attempts("caller") == [None] and samples.attempts("greeter-a") == [None]


def test_remaining_time_decreases_with_the_clock(samples: Local) -> None:
    remaining = samples.invoke("remaining", {"seconds": 2})["Payload"]
    assert 4000 < remaining["before"] <= 5000
    assert remaining["before"] - remaining["after"] >= 2000


# -- execution environments: concurrency -------------------------------------------------------------------


def _in_threads(local: Local, *calls: tuple[str, dict[str, Any]]) -> list[Callable[[], dict[str, Any]]]:
    """Starts each (function, event) invocation on a thread of its own; each returned call joins its thread (bounded)
    and gives the handler's answer."""
    answers: dict[int, dict[str, Any]] = {}

    def start(index: int, name: str, event: dict[str, Any]) -> Callable[[], dict[str, Any]]:
        def run() -> None:
            answers[index] = json.loads(local.lambdas.invoke(name, json.dumps(event).encode()).payload)

        thread = threading.Thread(target=run, daemon=True)
        thread.start()

        def answer() -> dict[str, Any]:
            thread.join(WAIT)
            assert not thread.is_alive(), f"the invocation of {name} did not finish"
            return answers[index]

        return answer

    return [start(index, name, event) for index, (name, event) in enumerate(calls)]


def test_invocations_of_two_functions_run_at_the_same_time(samples: Local) -> None:
    # Each handler waits until the other has started: one at a time, the first would give up before the second ran.
    a, b = _in_threads(samples, ("meet-a", {"name": "a", "others": ["b"]}), ("meet-b", {"name": "b", "others": ["a"]}))
    assert (a(), b()) == ({"met": True}, {"met": True})
    assert samples.attempts("meet-a") == [None] and samples.attempts("meet-b") == [None]


def test_a_handler_waiting_for_a_thread_that_invokes_a_function_does_not_deadlock(samples: Local) -> None:
    answer = samples.invoke("dispatcher", {"target": "greeter-a"})["Payload"]
    assert answer["finished"] is True, "the handler's thread got its invocation run while the handler waited"
    assert (answer["inner"]["env"], answer["inner"]["name"]) == ("a", "greeter-a")
    assert samples.attempts("greeter-a") == [None]


def test_a_handlers_variables_are_its_own_and_other_threads_see_the_processs(
    samples: Local, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GREETING", "process")
    before = dict(os.environ)
    (held,) = _in_threads(samples, ("holder", {"name": "held", "gate": "go"}))
    assert rendezvous.wait_for(["held"], WAIT), "the handler started"

    # While the handler runs, this thread reads the process's environment through every usual door.
    assert (os.environ["GREETING"], os.getenv("GREETING"), os.environ.copy()["GREETING"]) == ("process",) * 3
    assert "AWS_LAMBDA_FUNCTION_NAME" not in os.environ and dict(os.environ) == before
    rendezvous.arrive("go")
    answer = held()
    assert answer["variables"][:4] == ["h"] * 4, "the handler reads its function's variables, however it reads them"
    assert answer["variables"][4] == answer["log_stream"], "and Lambda's own, of its execution environment"

    samples.lambdas.uninstall()
    assert os.environ is PROCESS_ENVIRON and type(os.environ) is os._Environ, "the real os.environ is back"
    assert dict(os.environ) == before, "unchanged"


def test_concurrent_invocations_of_one_function_run_in_environments_of_their_own_up_to_the_cap(
    two_environments: Local,
) -> None:
    local = two_environments
    first, second = _in_threads(
        local, ("holder", {"name": "first", "gate": "go"}), ("holder", {"name": "second", "gate": "go"})
    )
    assert rendezvous.wait_for(["first", "second"], WAIT), "both ran at once, each in an environment of its own"

    # A third, beyond the cap of two, waits for a free environment: counted as work in flight, never quiet.
    (third,) = _in_threads(local, ("holder", {"name": "third", "gate": "go"}))
    assert not rendezvous.wait_for(["third"], 0.3), "the third did not start while both environments were held"
    busy = local.runtime.ledger.read(local.runtime.clock.now()).busy
    assert sum("lambda holder" in line for line in busy) == 3, busy

    rendezvous.arrive("go")
    answers = [first(), second(), third()]
    assert [a["released"] for a in answers] == [True] * 3
    assert (answers[0]["calls"], answers[1]["calls"]) == (1, 1), "two module instances: module state not shared"
    streams = {answers[0]["log_stream"], answers[1]["log_stream"]}
    assert len(streams) == 2, "two execution environments, each with its own log stream"
    assert answers[2]["calls"] == 2 and answers[2]["log_stream"] in streams, "the third reused one, warm"
    assert len(local.lambdas.pool("holder").started) == 2


def test_a_function_registered_again_starts_cold_and_uninstall_unloads_every_module_instance(samples: Local) -> None:
    assert [samples.invoke("greeter-a", {})["Payload"]["calls"] for _ in range(2)] == [1, 2], "warm"
    samples.lambdas.register(samples.lambdas.functions["greeter-a"])
    assert samples.invoke("greeter-a", {})["Payload"]["calls"] == 1, "a new environment, a new module instance"

    loaded = [name for name in sys.modules if "_local_greeter_a_" in name]
    assert len(loaded) == 2, loaded
    samples.lambdas.uninstall()
    assert [name for name in sys.modules if "._local_" in name or name.startswith("_local_")] == []


# -- errors --------------------------------------------------------------------------------------------------


def test_an_exception_is_returned_as_lambdas_unhandled_function_error(samples: Local) -> None:
    response = samples.invoke("failing", {"id": "evt-1"})
    assert (response["StatusCode"], response["FunctionError"]) == (200, "Unhandled")
    error = response["Payload"]
    assert (error["errorType"], error["errorMessage"]) == ("ValueError", "cannot handle evt-1")
    assert error["requestId"] == samples.lambdas.invocations[-1].request_id
    assert any("handlers.py" in line and "in fail" in line for line in error["stackTrace"])
    assert samples.attempts("failing") == ["ValueError"]


def test_a_handler_that_outlives_its_timeout_fails_with_sandbox_timedout(samples: Local) -> None:
    response = samples.invoke("remaining", {"seconds": 6, "cpu": 0.05})
    assert response["FunctionError"] == "Unhandled"
    assert response["Payload"]["errorType"] == "Sandbox.Timedout"
    assert response["Payload"]["errorMessage"].endswith("Task timed out after 5.00 seconds")
    (record,) = samples.lambdas.invocations
    assert record.duration >= 6 and record.error_type == "Sandbox.Timedout"
    # Its thread's CPU time is recorded beside the duration: the 6 s were the clock's, the work 0.05 s of CPU.
    assert 0.05 <= record.cpu_seconds < 1


def test_a_garbage_collection_pause_is_not_counted_in_a_handlers_duration(samples: Local) -> None:
    # The collector stops every thread of the process; on Lambda another function's garbage never pauses a handler.
    # A collection made to last 1.2 s (a callback after the runtime's own, inside the pause) in a 1 s function; the
    # frozen clock moved as real time moves.
    def slow_collection(phase: str, info: dict[str, Any]) -> None:
        if phase == "start":
            time.sleep(1.2)
            samples.runtime.clock.advance(1.2)

    gc.callbacks.append(slow_collection)
    try:
        response = samples.invoke("collecting", {})
    finally:
        gc.callbacks.remove(slow_collection)

    assert "FunctionError" not in response, response["Payload"]
    (record,) = samples.lambdas.invocations
    assert record.error_type is None and record.duration < 1


def test_after_a_timeout_the_next_invocation_starts_in_a_new_environment(samples: Local) -> None:
    # Lambda resets an execution environment whose invocation timed out: the next one starts cold.
    timed_out = samples.invoke("remaining", {"seconds": 6})["Payload"]
    assert timed_out["errorType"] == "Sandbox.Timedout"
    assert samples.invoke("remaining", {"seconds": 0})["Payload"]["before"] > 0
    first, second = samples.lambdas.pool("remaining").started
    assert (first.retired, second.retired) == (True, False) and first.log_stream != second.log_stream


def test_a_result_that_is_not_json_is_a_marshal_error(samples: Local) -> None:
    response = samples.invoke("unserializable", {})
    assert response["FunctionError"] == "Unhandled"
    assert response["Payload"]["errorType"] == "Runtime.MarshalError"
    assert "set is not JSON serializable" in response["Payload"]["errorMessage"]


def test_a_handler_missing_from_its_module_fails_the_init_as_lambda_reports_it(samples: Local) -> None:
    error = samples.invoke("misnamed", {})["Payload"]
    assert error["errorType"] == "Runtime.HandlerNotFound"
    assert error["errorMessage"] == "Handler 'missing' missing on module 'handlers'"


def test_a_payload_that_is_not_json_is_rejected_before_the_handler_runs(samples: Local) -> None:
    with pytest.raises(ClientError, match="InvalidRequestContentException"):
        samples.client("lambda").invoke(FunctionName="greeter-a", Payload=b"{not json")
    assert samples.lambdas.invocations == []


def test_dry_run_answers_204_and_runs_nothing(samples: Local) -> None:
    response = samples.client("lambda").invoke(FunctionName="failing", InvocationType="DryRun", Payload=b"{}")
    assert response["StatusCode"] == 204
    assert samples.lambdas.invocations == []


# -- asynchronous invocations --------------------------------------------------------------------------------


def test_a_failing_async_invocation_is_retried_on_the_clock_then_lands_in_the_dead_letter_queue(
    samples: Local,
) -> None:
    clock = samples.runtime.clock
    event = {"id": "evt-9", "detail": {"n": 1}}
    assert samples.invoke("failing", event, "Event")["StatusCode"] == 202
    samples.settle()
    assert samples.attempts("failing") == ["ValueError"]

    for delay, attempts in zip(ASYNC_RETRY_DELAYS, (2, 3), strict=True):
        clock.advance(delay - 1)
        samples.settle()
        assert len(samples.attempts("failing")) == attempts - 1, f"no retry before {delay} s"
        assert samples.messages("samples-dlq") == []
        clock.advance(1)
        samples.settle()
        assert len(samples.attempts("failing")) == attempts

    (dead,) = samples.messages("samples-dlq")
    assert json.loads(dead["Body"]) == event, "the event exactly as it was sent"
    attributes = {k: v["StringValue"] for k, v in dead["MessageAttributes"].items()}
    request_ids = {r.request_id for r in samples.lambdas.invocations}
    assert request_ids == {attributes["RequestID"]}, "every attempt runs under the one request id"
    assert (attributes["ErrorCode"], attributes["ErrorMessage"]) == ("200", "cannot handle evt-9")
    assert [r.attempt for r in samples.lambdas.invocations] == [1, 2, 3]


def test_an_async_invocation_that_succeeds_on_a_retry_goes_nowhere_else(samples: Local) -> None:
    samples.invoke("flaky", {"failures": 2}, "Event")
    samples.settle()
    for delay in ASYNC_RETRY_DELAYS:
        samples.runtime.clock.advance(delay)
        samples.settle()
    assert samples.attempts("flaky") == ["RuntimeError", "RuntimeError", None]
    assert samples.messages("samples-dlq") == [] and samples.lambdas.discarded == []


def test_an_async_failure_without_a_dead_letter_queue_is_recorded_as_discarded(samples: Local) -> None:
    samples.invoke("lost", {"id": "evt-3"}, "Event")
    samples.settle()
    for delay in ASYNC_RETRY_DELAYS:
        samples.runtime.clock.advance(delay)
        samples.settle()
    (discarded,) = samples.lambdas.discarded
    assert (discarded.function_name, discarded.error_type) == ("lost", "ValueError")
    assert json.loads(discarded.payload) == {"id": "evt-3"}


def test_once_the_runtime_stops_no_handler_runs_neither_a_due_retry_nor_a_new_invocation(samples: Local) -> None:
    samples.invoke("failing", {"id": "evt-7"}, "Event")
    samples.settle()
    activity = samples.runtime.activity
    assert activity.stop(WAIT)

    samples.runtime.clock.advance(ASYNC_RETRY_DELAYS[0])  # the retry's timer fires, and starts nothing
    with pytest.raises(ClientError, match="ServiceException"):
        samples.invoke("greeter-a", {})
    with pytest.raises(RuntimeStoppedError):
        samples.lambdas.invoke("failing", b"{}", "Event")

    assert samples.attempts("failing") == ["ValueError"] and samples.attempts("greeter-a") == []
    assert samples.messages("samples-dlq") == [] and samples.lambdas.discarded == []
    assert activity.failures == [] and activity.in_flight == 0


# -- moto's other callers ------------------------------------------------------------------------------------


def test_a_function_the_runtime_does_not_know_falls_through_to_moto(samples: Local) -> None:
    lam = samples.client("lambda")
    role = samples.client("iam").get_role(RoleName="local-lambda-execution")["Role"]["Arn"]
    lam.create_function(
        FunctionName="moto-only", Role=role, Runtime="python3.13", Handler="x.y", Code={"ZipFile": b"z"}
    )
    response = lam.invoke(FunctionName="moto-only", Payload=b'{"echo": 1}')
    assert json.loads(response["Payload"].read()) == {"echo": 1}, "moto's simple backend echoes the body"
    assert samples.lambdas.invocations == []


def test_step_functions_lambda_invoke_tasks_run_the_handler(samples: Local) -> None:
    sfn = samples.client("stepfunctions")
    role = samples.client("iam").get_role(RoleName="local-lambda-execution")["Role"]["Arn"]

    def run(function: str) -> dict[str, Any]:
        task = {
            "Type": "Task",
            "Resource": "arn:aws:states:::lambda:invoke",
            "Parameters": {"FunctionName": function, "Payload.$": "$"},
            "OutputPath": "$.Payload",
            "End": True,
        }
        definition = json.dumps({"StartAt": "Call", "States": {"Call": task}})
        machine = sfn.create_state_machine(name=f"m-{function}", definition=definition, roleArn=role)
        execution = sfn.start_execution(stateMachineArn=machine["stateMachineArn"], input='{"id": "evt-5"}')
        return ended(None, sfn, execution["executionArn"], WAIT)  # moto's interpreter, no Step Functions adapter

    succeeded = run("greeter-a")
    assert succeeded["status"] == "SUCCEEDED"
    assert json.loads(succeeded["output"])["greeting"] == "a"
    failed = run("failing")
    assert (failed["status"], failed["error"]) == ("FAILED", "ValueError")
    assert json.loads(failed["cause"])["errorMessage"] == "cannot handle evt-5"
