"""ASL and Lambda tasks on the local runtime as AWS runs them (issue 19, "Local fidelity", items 2 and 3): each test
names the moto 5.2.5 behaviour it guards against and the AWS documentation page that states the behaviour.

The runtime's clock is frozen (`Clock(now=...)` fixed): only `advance` moves it."""

from __future__ import annotations

import importlib.util
import json
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from moto import mock_aws

from orchestrator.local import jsonata_engine
from orchestrator.local.clock import Clock
from orchestrator.local.lambdas import LambdaRuntime, LocalFunction
from orchestrator.local.lambdas.handlers import stack_of
from orchestrator.local.runtime import LOCAL_ACCOUNT, MOTO_CONFIG, Runtime, local_session
from orchestrator.local.stepfunctions import StepFunctionsAdapter
from tests.settling import ended

ROLE_ARN = f"arn:aws:iam::{LOCAL_ACCOUNT}:role/local"
SAMPLES = Path(__file__).parent / "local_lambda_samples"


@dataclass
class Local:
    runtime: Runtime
    sfn: Any
    lambdas: LambdaRuntime

    def machine(self, definition: dict[str, Any], name: str | None = None) -> str:
        created = self.sfn.create_state_machine(
            name=name or f"m-{uuid.uuid4().hex[:12]}", definition=json.dumps(definition), roleArn=ROLE_ARN
        )
        return str(created["stateMachineArn"])

    def start(self, machine_arn: str, payload: Any = None) -> str:
        started = self.sfn.start_execution(stateMachineArn=machine_arn, input=json.dumps(payload or {}))
        return str(started["executionArn"])

    def run(self, definition: dict[str, Any], payload: Any = None) -> dict[str, Any]:
        """Creates the machine, starts one execution and returns it described once it ended."""
        return ended(self.runtime, self.sfn, self.start(self.machine(definition), payload))

    def history(self, execution_arn: str) -> list[dict[str, Any]]:
        events: list[dict[str, Any]] = self.sfn.get_execution_history(executionArn=execution_arn)["events"]
        return events

    def function(self, name: str, handler: str) -> str:
        """A function of the sample handlers (tests/integration/local_lambda_samples), in moto and run locally."""
        role = self.runtime.client("iam").create_role(RoleName=f"{name}-role", AssumeRolePolicyDocument="{}")
        arn = str(
            self.runtime.client("lambda").create_function(
                FunctionName=name,
                Role=role["Role"]["Arn"],
                Runtime="python3.13",
                Handler=f"handlers.{handler}",
                Code={"ZipFile": b"local"},
            )["FunctionArn"]
        )
        self.lambdas.register(LocalFunction(name, arn, f"handlers.{handler}", SAMPLES))
        return arn


@pytest.fixture
def local(aws_credentials: None) -> Iterator[Local]:
    with mock_aws(config=MOTO_CONFIG), jsonata_engine.jsonata_enabled():
        frozen = float(int(time.time()))
        runtime = Runtime(clock=Clock(now=lambda: frozen), session=local_session())
        adapter, lambdas = StepFunctionsAdapter(runtime), LambdaRuntime(runtime)
        adapter.install()
        lambdas.install()
        try:
            yield Local(runtime, runtime.client("stepfunctions"), lambdas)
            assert runtime.activity.wait_idle(10), "status-change events still being sent"
            assert runtime.activity.failures == []
        finally:
            lambdas.uninstall()
            stopped = adapter.uninstall()
        assert stopped, "a thread of the interpreter outlived uninstall()"


def jsonata(states: dict[str, Any], start_at: str | None = None) -> dict[str, Any]:
    return {"QueryLanguage": "JSONata", "StartAt": start_at or next(iter(states)), "States": states}


# -- 1. moto's ASL parser, used from several threads at once -----------------------------------------------------------


def _jsonpath_machine(tag: str) -> dict[str, Any]:
    # No QueryLanguage: JSONPath by default, so a JSONata scope left over from another parse breaks it.
    return {
        "Comment": tag,
        "StartAt": "Shape",
        "States": {
            "Shape": {"Type": "Pass", "Parameters": {"tag": tag, "n.$": "$.n"}, "ResultPath": "$.shaped", "End": True}
        },
    }


def _jsonata_machine(tag: str) -> dict[str, Any]:
    return {
        "Comment": tag,
        **jsonata({"Shape": {"Type": "Pass", "Output": {"tag": tag, "n": "{% $states.input.n %}"}, "End": True}}),
    }


def test_a_definition_refused_by_the_parser_leaves_no_query_language_behind(
    local: Local, monkeypatch: pytest.MonkeyPatch
) -> None:
    """moto keeps the parser's query-language scopes on a class-level list (`Preprocessor._query_language_per_scope`)
    that a refused definition leaves unbalanced: every later JSONPath definition in the process then inherits JSONata
    and is refused ("Unsupported declaration in QueryLanguage=JSONPath block"). JSONPath is the default query
    language of a state machine without `QueryLanguage`
    (https://docs.aws.amazon.com/step-functions/latest/dg/concepts-states.html)."""
    monkeypatch.setenv("ORCH_ASL_CACHE", "off")  # each definition parsed here, none read from the disk cache
    tag = uuid.uuid4().hex
    refused = jsonata({"Shape": {"Type": "Pass", "Parameters": {"a": 1}, "End": True}})
    with pytest.raises(local.sfn.exceptions.InvalidDefinition):
        local.machine({"Comment": tag, **refused})

    execution = local.run(_jsonpath_machine(tag), {"n": 1})

    assert execution["status"] == "SUCCEEDED"
    assert json.loads(execution["output"])["shaped"] == {"tag": tag, "n": 1}


def test_jsonpath_and_jsonata_machines_created_and_started_from_several_threads_all_succeed(
    local: Local, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Definitions parsed at once on eight threads, half JSONPath, half JSONata, each new to the process: each
    CreateStateMachine parses its definition (into the parse cache its executions then reuse), and each round of
    eight starts together, while the executions of the rounds before run."""
    monkeypatch.setenv("ORCH_ASL_CACHE", "off")  # each definition parsed here, none read from the disk cache
    rounds, threads = 6, 8
    barrier = threading.Barrier(threads)
    started: list[tuple[str, str]] = []  # (execution ARN, tag)
    errors: list[tuple[str, BaseException]] = []  # (tag, what CreateStateMachine or StartExecution raised)
    lock = threading.Lock()

    def create_and_start(index: int) -> None:
        for n in range(rounds):
            barrier.wait(30)
            tag = f"{index}-{n}-{uuid.uuid4().hex}"
            definition = (_jsonpath_machine if (index + n) % 2 else _jsonata_machine)(tag)
            try:
                arn = local.start(local.machine(definition), {"n": n})
            except Exception as error:  # noqa: BLE001 - reported below, with the definition's tag
                with lock:
                    errors.append((tag, error))
                continue
            with lock:
                started.append((arn, tag))

    workers = [threading.Thread(target=create_and_start, args=(i,)) for i in range(threads)]
    # Threads switch far more often than every 5 ms (the default): each parse is interleaved with the others.
    switch_interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-5)
    try:
        for worker in workers:
            worker.start()
        for worker in workers:
            worker.join(60)
    finally:
        sys.setswitchinterval(switch_interval)

    assert errors == []
    assert len(started) == rounds * threads
    outcomes = [ended(local.runtime, local.sfn, arn, cap=30) for arn, _ in started]
    assert [(o["status"], o.get("error")) for o in outcomes] == [("SUCCEEDED", None)] * len(outcomes)
    for (_, tag), outcome in zip(started, outcomes, strict=True):
        output = json.loads(outcome["output"])
        assert output.get("shaped", output)["tag"] == tag


# -- 2. JSONata Output reads the variables as they were on entering the state ------------------------------------------
# "Passing data between states with variables" (https://docs.aws.amazon.com/step-functions/latest/dg/workflow-variables.html):
# a state's Assign and Output are evaluated in parallel from what the state entered with, so an Output reading a
# variable its own state assigns gets the value from before the state; the new value is seen from the next state on.
# moto evaluates Assign first and Output after it, on the variables Assign just set.


def test_output_reads_the_variables_from_before_its_own_states_assign(local: Local) -> None:
    definition = jsonata(
        {
            "Init": {"Type": "Pass", "Assign": {"n": 1}, "Next": "Bump"},
            "Bump": {
                "Type": "Pass",
                "Assign": {"n": "{% $n + 1 %}"},
                "Output": {"seen": "{% $n %}"},
                "Next": "Route",
            },
            "Route": {
                "Type": "Choice",
                "Choices": [
                    {
                        "Condition": "{% $n = 2 %}",
                        "Assign": {"n": "{% $n * 10 %}"},
                        "Output": {"seen": "{% $n %}", "before": "{% $states.input.seen %}"},
                        "Next": "Done",
                    }
                ],
                "Default": "Done",
            },
            "Done": {"Type": "Pass", "Output": {"n": "{% $n %}", "previous": "{% $states.input %}"}, "End": True},
        }
    )

    execution = local.run(definition)

    assert execution["status"] == "SUCCEEDED"
    assert json.loads(execution["output"]) == {"n": 20, "previous": {"seen": 2, "before": 1}}
    exited = {
        e["stateExitedEventDetails"]["name"]: e["stateExitedEventDetails"]
        for e in local.history(execution["executionArn"])
        if "stateExitedEventDetails" in e
    }
    assert json.loads(exited["Bump"]["output"]) == {"seen": 1}
    assert exited["Bump"]["assignedVariables"] == {"n": "2"}


def test_a_tasks_output_and_a_catchers_output_read_the_variables_from_before_their_assign(local: Local) -> None:
    echo, failing = local.function("echo", "echo"), local.function("failing", "fail")
    definition = jsonata(
        {
            "Init": {"Type": "Pass", "Assign": {"n": 1}, "Next": "Call"},
            "Call": {
                "Type": "Task",
                "Resource": "arn:aws:states:::lambda:invoke",
                "Arguments": {"FunctionName": echo, "Payload": {"m": 5}},
                "Assign": {"n": "{% $n + $states.result.Payload.m %}"},
                "Output": {"seen": "{% $n %}"},
                "Next": "Fail",
            },
            "Fail": {
                "Type": "Task",
                "Resource": "arn:aws:states:::lambda:invoke",
                "Arguments": {"FunctionName": failing, "Payload": {"id": "x"}},
                "Catch": [
                    {
                        "ErrorEquals": ["States.ALL"],
                        "Assign": {"n": "{% $n * 100 %}"},
                        "Output": {"seen": "{% $n %}", "before": "{% $states.input.seen %}"},
                        "Next": "Done",
                    }
                ],
                "End": True,
            },
            "Done": {"Type": "Pass", "Output": {"n": "{% $n %}", "previous": "{% $states.input %}"}, "End": True},
        }
    )

    execution = local.run(definition)

    assert execution["status"] == "SUCCEEDED"
    assert json.loads(execution["output"]) == {"n": 600, "previous": {"seen": 6, "before": 1}}


# -- 3. JSONata fields that must be numbers ----------------------------------------------------------------------------
# A Task's TimeoutSeconds and HeartbeatSeconds are positive integers, a Wait's Seconds an integer from 0 to 99999999;
# "In JSONata states, you can alternatively specify a JSONata expression which must evaluate to an integer in the
# stated range" (https://docs.aws.amazon.com/step-functions/latest/dg/state-task.html,
# https://docs.aws.amazon.com/step-functions/latest/dg/state-wait.html). An expression that does not fails the state
# with States.QueryEvaluationError
# (https://docs.aws.amazon.com/step-functions/latest/dg/concepts-error-handling.html). moto 5.2.5 passes the result
# through int(): "10" is 10, 2.7 is 2, -5 a wait of nothing.


def _task(function_arn: str, **fields: Any) -> dict[str, Any]:
    return {
        "Type": "Task",
        "Resource": "arn:aws:states:::lambda:invoke",
        "Arguments": {"FunctionName": function_arn, "Payload": {"ok": True}},
        "Output": "{% $states.result.Payload %}",
        **fields,
    }


def test_a_timeout_seconds_that_is_a_plain_string_is_refused_with_the_definition(local: Local) -> None:
    echo = local.function("echo", "echo")
    with pytest.raises(local.sfn.exceptions.InvalidDefinition):
        local.machine(jsonata({"Call": _task(echo, TimeoutSeconds="10", End=True)}))


@pytest.mark.parametrize(
    ("field", "expression"),
    [
        ("TimeoutSeconds", "{% '10' %}"),
        ("TimeoutSeconds", "{% 2.7 %}"),
        ("TimeoutSeconds", "{% 0 %}"),
        ("HeartbeatSeconds", "{% 'soon' %}"),
        ("HeartbeatSeconds", "{% -1 %}"),
    ],
)
def test_a_task_whose_timeout_expression_is_no_positive_integer_fails_with_a_query_evaluation_error(
    local: Local, field: str, expression: str
) -> None:
    echo = local.function("echo", "echo")
    caught = {"ErrorEquals": ["States.QueryEvaluationError"], "Output": "{% $states.errorOutput %}", "Next": "Caught"}
    fields: dict[str, Any] = {field: expression, "Catch": [caught], "End": True}
    if field == "HeartbeatSeconds":  # a heartbeat is a callback task's
        fields |= {"Resource": "arn:aws:states:::lambda:invoke.waitForTaskToken", "TimeoutSeconds": 60}
    definition = jsonata({"Call": _task(echo, **fields), "Caught": {"Type": "Pass", "End": True}})

    execution = local.run(definition)

    assert execution["status"] == "SUCCEEDED", "States.QueryEvaluationError can be caught"
    error = json.loads(execution["output"])
    assert error["Error"] == "States.QueryEvaluationError"
    assert field in error["Cause"]


def test_a_task_whose_timeout_expression_is_a_whole_number_runs(local: Local) -> None:
    echo = local.function("echo", "echo")
    definition = jsonata({"Call": _task(echo, TimeoutSeconds="{% 30 / 3 %}", End=True)})

    execution = local.run(definition)

    assert execution["status"] == "SUCCEEDED"
    assert json.loads(execution["output"]) == {"ok": True}
    (scheduled,) = [e for e in local.history(execution["executionArn"]) if e["type"] == "TaskScheduled"]
    assert scheduled["taskScheduledEventDetails"]["timeoutInSeconds"] == 10


@pytest.mark.parametrize("expression", ["{% -5 %}", "{% 1.5 %}", "{% '3' %}", "{% 100000000 %}", "{% true %}"])
def test_a_wait_whose_seconds_expression_is_out_of_range_fails_with_a_query_evaluation_error(
    local: Local, expression: str
) -> None:
    definition = jsonata({"Pause": {"Type": "Wait", "Seconds": expression, "End": True}})

    execution = local.run(definition)

    assert (execution["status"], execution.get("error")) == ("FAILED", "States.QueryEvaluationError")
    assert "Seconds" in execution["cause"]


def test_a_wait_of_zero_seconds_from_an_expression_ends_at_once(local: Local) -> None:
    definition = jsonata({"Pause": {"Type": "Wait", "Seconds": "{% 4 - 4 %}", "Output": {"waited": 0}, "End": True}})

    execution = local.run(definition)

    assert execution["status"] == "SUCCEEDED"


# -- 4. Step Functions' own JSONata functions: $partition and $random ------------------------------------------------
# "Transforming data with JSONata in Step Functions", JSONata functions provided by Step Functions
# (https://docs.aws.amazon.com/step-functions/latest/dg/transforming-data.html): $partition(array, chunkSize) splits
# an array into chunks of chunkSize items, the last chunk holding what is left (fewer items when the array does not
# divide evenly, as States.ArrayPartition: https://docs.aws.amazon.com/step-functions/latest/dg/intrinsic-functions.html),
# the chunk size a non-zero positive integer; $random(seed) returns a number from 0 (included) to 1 (excluded), the
# same one for the same integer seed. moto's JSONata $partition makes an empty chunk too many when two or more items
# are left over and answers null for a chunk size of 0; jsonata-python's $random takes no seed.


def test_partition_splits_into_chunks_of_the_size_given_the_last_one_holding_the_rest(local: Local) -> None:
    cases = {
        "nine_by_four": "{% $partition([1,2,3,4,5,6,7,8,9], 4) %}",
        "ten_by_four": "{% $partition([1,2,3,4,5,6,7,8,9,10], 4) %}",
        "even": "{% $partition([1,2,3,4], 2) %}",
        "larger_than_the_array": "{% $partition([1,2,3], 5) %}",
        "by_one": "{% $partition(['a','b'], 1) %}",
        "whole_number_as_float": "{% $partition([1,2,3,4], 4 / 2) %}",
    }
    execution = local.run(jsonata({"Split": {"Type": "Pass", "Output": cases, "End": True}}))

    assert execution["status"] == "SUCCEEDED", execution.get("cause")
    assert json.loads(execution["output"]) == {
        "nine_by_four": [[1, 2, 3, 4], [5, 6, 7, 8], [9]],
        "ten_by_four": [[1, 2, 3, 4], [5, 6, 7, 8], [9, 10]],
        "even": [[1, 2], [3, 4]],
        "larger_than_the_array": [[1, 2, 3]],
        "by_one": [["a"], ["b"]],
        "whole_number_as_float": [[1, 2], [3, 4]],
    }


@pytest.mark.parametrize(
    "expression", ["$partition([1,2,3], 0)", "$partition([1,2,3], -1)", "$partition([1,2,3], 1.5)", "$partition(5, 2)"]
)
def test_partition_refuses_a_chunk_size_that_is_no_positive_integer(local: Local, expression: str) -> None:
    execution = local.run(jsonata({"Split": {"Type": "Pass", "Output": f"{{% {expression} %}}", "End": True}}))

    assert (execution["status"], execution.get("error")) == ("FAILED", "States.QueryEvaluationError")


def test_random_with_a_seed_returns_the_same_number_for_the_same_seed(local: Local) -> None:
    draws = {
        "seeded": "{% $random(42) %}",
        "again": "{% $random(42) %}",
        "other_seed": "{% $random(7) %}",
        "unseeded": "{% $random() %}",
    }
    first = local.run(jsonata({"Draw": {"Type": "Pass", "Output": draws, "End": True}}))
    second = local.run(jsonata({"Draw": {"Type": "Pass", "Output": draws, "End": True}}))

    assert (first["status"], second["status"]) == ("SUCCEEDED", "SUCCEEDED"), first.get("cause")
    one, two = json.loads(first["output"]), json.loads(second["output"])
    assert one["seeded"] == one["again"] == two["seeded"], "a seed gives the same number, in every execution"
    assert one["seeded"] != one["other_seed"]
    assert all(isinstance(value, float) and 0 <= value < 1 for value in (*one.values(), *two.values()))


# -- 5. The optimized lambda:invoke result -----------------------------------------------------------------------------
# "Invoke an AWS Lambda function with Step Functions" (https://docs.aws.amazon.com/step-functions/latest/dg/connect-lambda.html):
# the task's result nests the function's output in Lambda's Invoke response and its SDK metadata: ExecutedVersion,
# Payload, SdkHttpMetadata (HttpHeaders, HttpStatusCode), SdkResponseMetadata (RequestId), StatusCode. moto keeps
# only the fields of Invoke's response shape (`select_from_typed_dict(InvocationResponse, ...)`).


def test_a_lambda_invoke_tasks_result_carries_the_sdk_metadata_beside_the_payload(local: Local) -> None:
    echo = local.function("echo", "echo")
    call = {
        "Type": "Task",
        "Resource": "arn:aws:states:::lambda:invoke",
        "Arguments": {"FunctionName": echo, "Payload": {"order": "o-1"}},
        "End": True,
    }

    execution = local.run(jsonata({"Call": call}))

    assert execution["status"] == "SUCCEEDED"
    result = json.loads(execution["output"])
    assert set(result) == {"ExecutedVersion", "Payload", "SdkHttpMetadata", "SdkResponseMetadata", "StatusCode"}
    assert (result["ExecutedVersion"], result["Payload"], result["StatusCode"]) == ("$LATEST", {"order": "o-1"}, 200)
    http = result["SdkHttpMetadata"]
    assert http["HttpStatusCode"] == 200
    headers = http["HttpHeaders"]
    assert headers["Content-Type"] == "application/json"
    assert headers["X-Amz-Executed-Version"] == "$LATEST"
    assert headers["Content-Length"] == str(len(json.dumps({"order": "o-1"})))
    assert headers["x-amzn-RequestId"] == result["SdkResponseMetadata"]["RequestId"]
    assert http["AllHttpHeaders"] == {name: [value] for name, value in headers.items()}


def test_a_lambda_resource_arn_tasks_result_is_the_payload_alone(local: Local) -> None:
    echo = local.function("echo", "echo")

    execution = local.run(
        {"StartAt": "Call", "States": {"Call": {"Type": "Task", "Resource": echo, "End": True}}}, {"a": 1}
    )

    assert execution["status"] == "SUCCEEDED"
    assert json.loads(execution["output"]) == {"a": 1}


# -- 6. A Lambda task's result and errors as Lambda and Step Functions report them -------------------------------------


def _invoke(function_arn: str, payload: Any, **fields: Any) -> dict[str, Any]:
    return jsonata(
        {
            "Call": {
                "Type": "Task",
                "Resource": "arn:aws:states:::lambda:invoke",
                "Arguments": {"FunctionName": function_arn, "Payload": payload},
                "Output": "{% $states.result.Payload %}",
                "End": True,
                **fields,
            }
        }
    )


def test_a_handlers_stack_trace_names_its_files_under_var_task(local: Local) -> None:
    """ "AWS Lambda function errors in Python" (https://docs.aws.amazon.com/lambda/latest/dg/python-exceptions.html):
    the error's stackTrace names the function's files where Lambda unpacks them, /var/task; moto's task shows the
    local asset folder."""
    failing = local.function("failing", "fail")

    execution = local.run(_invoke(failing, {"id": "o-9"}))

    assert (execution["status"], execution["error"]) == ("FAILED", "ValueError")
    error = json.loads(execution["cause"])
    assert error["errorMessage"] == "cannot handle o-9"
    (frame,) = error["stackTrace"]
    assert frame.startswith('  File "/var/task/handlers.py", line '), frame
    assert frame.endswith(", in fail\n    raise ValueError(f\"cannot handle {event.get('id')}\")\n"), frame
    assert str(SAMPLES) not in execution["cause"]


def test_a_frame_of_a_package_the_asset_ships_is_named_under_var_task_wherever_it_was_imported_from(
    tmp_path: Path,
) -> None:
    """The handlers' packages (`functions.*`, `schemas.*`) are imported once from the repository, while Lambda runs
    the asset's copies from /var/task: a frame of either is named under /var/task; a file the asset lacks is left."""
    source = "def fail():\n    raise RuntimeError('deep')\n"
    for root in ("repository", "asset"):
        (tmp_path / root / "shipped").mkdir(parents=True)
        (tmp_path / root / "shipped" / "deep.py").write_text(source, encoding="utf-8")
    spec = importlib.util.spec_from_file_location("_fidelity_shipped_deep", tmp_path / "repository/shipped/deep.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)

    with pytest.raises(RuntimeError) as raised:
        module.fail()

    (caller, shipped) = stack_of(raised.value, tmp_path / "asset")
    assert caller.startswith(f'  File "{__file__}", line ')
    assert shipped == "  File \"/var/task/shipped/deep.py\", line 2, in fail\n    raise RuntimeError('deep')\n"


def test_a_handler_returning_bytes_answers_them_as_they_are(local: Local) -> None:
    """Lambda's Python runtime sends a handler's bytes as the response as they are, and JSON-serializes anything else
    (awslambdaric's LambdaMarshaller.marshal_response; "Define Lambda function handler in Python",
    https://docs.aws.amazon.com/lambda/latest/dg/python-handler.html). The local runtime answered a MarshalError."""
    as_bytes = local.function("as-bytes", "as_bytes")

    response = local.runtime.client("lambda").invoke(FunctionName=as_bytes, Payload=b'{"text": "plain words"}')
    assert (response.get("FunctionError"), response["Payload"].read()) == (None, b"plain words")

    execution = local.run(_invoke(as_bytes, {"text": '{"shipped": true}'}))
    assert execution["status"] == "SUCCEEDED", execution.get("cause")
    assert json.loads(execution["output"]) == {"shipped": True}, "Step Functions parses a JSON payload"


def test_a_handler_returning_what_json_cannot_hold_fails_the_task_with_runtime_marshal_error(local: Local) -> None:
    """Runtime.MarshalError, "Unable to marshal response: ...", with no stack trace, as Lambda's Python runtime
    reports a return value it cannot serialize (https://docs.aws.amazon.com/lambda/latest/dg/python-handler.html)."""
    unserializable = local.function("unserializable", "unserializable")

    execution = local.run(_invoke(unserializable, {}))

    assert (execution["status"], execution["error"]) == ("FAILED", "Runtime.MarshalError")
    error = json.loads(execution["cause"])
    assert error["errorMessage"] == "Unable to marshal response: Object of type set is not JSON serializable"
    assert error["stackTrace"] == []


def test_a_result_over_256_kib_fails_the_state_with_data_limit_exceeded_which_states_all_does_not_catch(
    local: Local,
) -> None:
    """A state's result is limited to 256 KiB (https://docs.aws.amazon.com/step-functions/latest/dg/service-quotas.html);
    beyond it the state fails with States.DataLimitExceeded, a terminal error States.ALL does not catch
    (https://docs.aws.amazon.com/step-functions/latest/dg/concepts-error-handling.html). Lambda itself answers up to
    6 MB."""
    sized = local.function("sized", "sized")
    caught = {"ErrorEquals": ["States.ALL"], "Next": "Caught"}
    definition = _invoke(sized, {"size": 300 * 1024}, Catch=[caught])
    definition["States"]["Caught"] = {"Type": "Pass", "End": True}

    execution = local.run(definition)

    assert (execution["status"], execution["error"]) == ("FAILED", "States.DataLimitExceeded")
    small = local.run(_invoke(sized, {"size": 10}))
    assert (small["status"], json.loads(small["output"])) == ("SUCCEEDED", {"text": "x" * 10})
