"""Lambda functions of an assembly, run in-process by the local runtime and invoked through boto3 on moto."""

from __future__ import annotations

import json
import os
import shutil
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError
from moto import mock_aws

from functions.observability import SERVICE_VARIABLE
from orchestrator.assembly import CloudAssembly
from orchestrator.local.clock import Clock
from orchestrator.local.lambdas import ASYNC_RETRY_DELAYS, LambdaRuntime, RuntimeStoppedError
from orchestrator.local.provision import Provisioned, Provisioner
from orchestrator.local.runtime import MOTO_CONFIG, Runtime, local_session
from tests.builders import delivered_event, sample_event
from tests.conftest import WHOLE_APP
from tests.integration.local_lambda_samples import clock_hook
from tests.settling import ended

SAMPLES = Path(__file__).parent / "local_lambda_samples"
WAIT = 10.0  # real seconds a test waits for background work before it fails


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


def _local(directory: Path) -> Iterator[Local]:
    with mock_aws(config=MOTO_CONFIG):
        # Frozen: only `advance` (a test's, or a handler's through clock_hook) moves the clock, so a deadline
        # is never reached by real time passing while a slow machine runs the test.
        frozen = time.time()
        runtime = Runtime(clock=Clock(now=lambda: frozen), session=local_session())
        lambdas = LambdaRuntime(runtime)
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
        "Misnamed": _function("missing", FunctionName="misnamed"),
        "Alpha": _function("observed", FunctionName="alpha", Environment={"Variables": {SERVICE_VARIABLE: "alpha"}}),
        "Beta": _function("observed", FunctionName="beta", Environment={"Variables": {SERVICE_VARIABLE: "beta"}}),
    }
    (tmp_path / "Samples.template.json").write_text(json.dumps({"Resources": resources}), encoding="utf-8")
    stack = {"type": "aws:cloudformation:stack", "properties": {"templateFile": "Samples.template.json"}}
    (tmp_path / "manifest.json").write_text(json.dumps({"artifacts": {"Samples": stack}}), encoding="utf-8")
    yield from _local(tmp_path)


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
    # Between invocations the last one's variables stay (other threads read os.environ; see `_environment`) ...
    assert os.environ["AWS_LAMBDA_FUNCTION_NAME"] == "greeter-a"
    samples.lambdas.uninstall()
    # ... and leaving the runtime puts the process's own environment back.
    assert "GREETING" not in os.environ and "AWS_LAMBDA_FUNCTION_NAME" not in os.environ, "environment restored"


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
    # Hidden from the function it invokes: blanked, never deleted while the runtime runs (see `_environment`).
    assert result["inner"]["leaked"] in (None, ""), "the caller's variables are hidden from the function it invokes"
    assert (result["outer_env_after"], result["name_after"]) == ("c", "caller"), "the caller's environment is back"
    assert samples.attempts("caller") == [None] and samples.attempts("greeter-a") == [None]


def test_remaining_time_decreases_with_the_clock(samples: Local) -> None:
    remaining = samples.invoke("remaining", {"seconds": 2})["Payload"]
    assert 4000 < remaining["before"] <= 5000
    assert remaining["before"] - remaining["after"] >= 2000


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
    response = samples.invoke("remaining", {"seconds": 6})
    assert response["FunctionError"] == "Unhandled"
    assert response["Payload"]["errorType"] == "Sandbox.Timedout"
    assert response["Payload"]["errorMessage"].endswith("Task timed out after 5.00 seconds")
    (record,) = samples.lambdas.invocations
    assert record.duration >= 6 and record.error_type == "Sandbox.Timedout"


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
