"""Server mode: `orch local up` serves the whole app on one localhost endpoint, and the real AWS CLI (the `awscli`
package) works against it: put-events → list-executions → get-execution-history, and a table scan."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import threading
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError

from tests.builders import delivered_event, ticket

ORCH = Path(sys.executable).with_name("orch")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def cli_environment(tmp_path: Path) -> dict[str, str]:
    """Fake credentials and nothing from the developer's own AWS configuration."""
    keep = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    return {
        **keep,
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_CONFIG_FILE": str(tmp_path / "no-config"),
        "AWS_SHARED_CREDENTIALS_FILE": str(tmp_path / "no-credentials"),
    }


@pytest.fixture
def endpoint(assembly_dir: Path, tmp_path: Path) -> Iterator[str]:
    port = free_port()
    server = subprocess.Popen(
        [str(ORCH), "local", "up", "--port", str(port), "--assembly", str(assembly_dir)],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=cli_environment(tmp_path),
    )
    try:
        assert server.stdout is not None
        for line in server.stdout:  # handler logs may come first; the banner says when the endpoint is up
            if line.startswith("local runtime up at "):
                # Keep reading its output (handler logs) so a full pipe never blocks the server.
                threading.Thread(target=server.stdout.read, daemon=True).start()
                yield line.removeprefix("local runtime up at ").split()[0]
                break
        else:
            pytest.fail(f"`orch local up` exited with {server.wait()} before serving")
    finally:
        server.send_signal(signal.SIGINT)
        assert server.wait(timeout=30) == 0, "Ctrl-C stops the server cleanly"


def aws(endpoint: str, tmp_path: Path, *arguments: str) -> Any:
    """Runs the AWS CLI against the local endpoint and returns its parsed JSON output."""
    return run_json(
        tmp_path, sys.executable, "-m", "awscli", "--endpoint-url", endpoint, "--output", "json", *arguments
    )


def run_json(tmp_path: Path, *command: str) -> Any:
    """Runs a command line as a user would (no AWS configuration of theirs); asserts it succeeded; its JSON output."""
    done = subprocess.run(
        list(command), capture_output=True, text=True, env=cli_environment(tmp_path), timeout=60, check=False
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout) if done.stdout.strip() else None


def test_the_aws_cli_puts_an_event_and_reads_the_execution_it_started(endpoint: str, tmp_path: Path) -> None:
    # The reviewer's approval first (buffered by the correlator until the pipeline waits for it), then the ticket.
    decision = {"approval_id": "ticket-cli-1", "decision": "approved", "decided_by": "cli@example.com"}
    for source, detail_type, data in (
        ("orchestrator.approvals", "ApprovalDecided", decision),
        ("support.tickets", "TicketSubmitted", ticket("ticket-cli-1")),
    ):
        keys = {"event_id": f"cli-{detail_type}", "idempotency_key": f"cli-{detail_type}"}
        detail = delivered_event(detail_type, source, data, **keys)["detail"]
        entries = tmp_path / "entries.json"
        entry = {"EventBusName": "orchestrator-dev", "Source": source, "DetailType": detail_type}
        entries.write_text(json.dumps([{**entry, "Detail": json.dumps(detail)}]))
        put = aws(endpoint, tmp_path, "events", "put-events", "--entries", f"file://{entries}")
        assert put["FailedEntryCount"] == 0

    machines = aws(endpoint, tmp_path, "stepfunctions", "list-state-machines")["stateMachines"]
    (machine,) = [m for m in machines if "AgentPipeline" in m["name"]]
    execution = wait_for_execution(endpoint, tmp_path, machine["stateMachineArn"])
    assert execution["status"] == "SUCCEEDED"
    history = aws(
        endpoint, tmp_path, "stepfunctions", "get-execution-history", "--execution-arn", execution["executionArn"]
    )
    entered = [e["stateEnteredEventDetails"]["name"] for e in history["events"] if "stateEnteredEventDetails" in e]
    assert entered[:3] == ["Begin", "Triage", "SpecialistsPauseCheck"] and entered[-1] == "Resolved"
    assert entered.count("Dispatch") == 2

    tables = aws(endpoint, tmp_path, "dynamodb", "list-tables")["TableNames"]
    (control,) = [t for t in tables if "WorkflowControl" in t]
    # The approval, delivered and kept (matched) so that a redelivery of it is known.
    assert aws(endpoint, tmp_path, "dynamodb", "scan", "--table-name", control)["Count"] == 1

    # IAM was enforced on every call of the run: nothing denied; the pipeline's role used its grants.
    port = endpoint.rsplit(":", 1)[1]
    report = run_json(tmp_path, str(ORCH), "local", "access-report", "--port", port, "--output", "json")
    assert report["denied_calls"] == 0
    role = aws(
        endpoint, tmp_path, "stepfunctions", "describe-state-machine", "--state-machine-arn", machine["stateMachineArn"]
    )
    (pipeline,) = [p for p in report["principals"] if p["role"] == role["roleArn"].rsplit("/", 1)[-1]]
    assert {a["action"] for a in pipeline["allowed"]} >= {"lambda:InvokeFunction", "events:PutEvents"}


def wait_for_execution(endpoint: str, tmp_path: Path, machine_arn: str) -> dict[str, Any]:
    """The one execution, listed once the system is quiet (GET /_orch/quiet, as a script would wait for it)."""
    with urllib.request.urlopen(f"{endpoint}/_orch/quiet", timeout=90) as response:  # noqa: S310 - loopback
        stillness = json.loads(response.read())
    assert stillness["quiet"] is True, stillness
    executions = aws(endpoint, tmp_path, "stepfunctions", "list-executions", "--state-machine-arn", machine_arn)
    (execution,) = executions["executions"]
    assert execution["status"] != "RUNNING", stillness["waits"]
    return dict(execution)


def test_a_busy_port_is_one_clear_line_and_exit_1(
    assembly_dir: Path, aws_credentials: None, capsys: pytest.CaptureFixture[str]
) -> None:
    from orchestrator.cli import main

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        assert main(["local", "up", "--port", str(port), "--assembly", str(assembly_dir)]) == 1
    assert f"cannot listen on 127.0.0.1:{port}" in capsys.readouterr().err


def aws_refused(endpoint: str, tmp_path: Path, *arguments: str) -> str:
    """Runs the AWS CLI against the local endpoint, asserts that AWS refused the call, and returns the error."""
    command = [sys.executable, "-m", "awscli", "--endpoint-url", endpoint, "--output", "json", *arguments]
    done = subprocess.run(command, capture_output=True, text=True, env=cli_environment(tmp_path), timeout=60)
    assert done.returncode != 0, done.stdout
    return done.stderr


def test_the_aws_cli_tests_patterns_and_a_malformed_rule_is_refused_while_the_bus_keeps_delivering(
    endpoint: str, tmp_path: Path
) -> None:
    bus = "orchestrator-dev"
    event = {
        "version": "0", "id": "e-1", "detail-type": "PatternChecked", "source": "cli.patterns",
        "account": "123456789012", "time": "2024-05-01T12:00:00Z", "region": "us-east-1", "resources": [],
        "detail": {"employees": [{"firstName": "Anna", "lastName": "Smith"}, {"firstName": "Peter"}]},
    }  # fmt: skip
    on_anna = json.dumps({"detail": {"employees": {"firstName": ["Anna"], "lastName": ["Smith"]}}})
    on_mary = json.dumps({"detail": {"employees": {"firstName": ["Mary"]}}})

    def tested(pattern: str) -> Any:
        return aws(endpoint, tmp_path, "events", "test-event-pattern", "--event-pattern", pattern, "--event",
                   json.dumps(event))  # fmt: skip

    assert tested(on_anna) == {"Result": True}
    assert tested(on_mary) == {"Result": False}
    malformed = json.dumps({"detail": {"n": [{"numeric": [">", 10, "<", 5]}]}})
    error = aws_refused(endpoint, tmp_path, "events", "test-event-pattern", "--event-pattern", malformed, "--event",
                        json.dumps(event))  # fmt: skip
    assert "(InvalidEventPatternException)" in error and "Bottom must be less than top" in error

    error = aws_refused(endpoint, tmp_path, "events", "put-rule", "--name", "malformed", "--event-bus-name", bus,
                        "--event-pattern", malformed)  # fmt: skip
    assert "(InvalidEventPatternException)" in error and "Reason: Bottom must be less than top" in error
    sdk = boto3.client("events", endpoint_url=endpoint, region_name="us-east-1", aws_access_key_id="testing",
                       aws_secret_access_key="testing")  # fmt: skip
    with pytest.raises(ClientError) as refused:
        sdk.put_rule(Name="malformed", EventBusName=bus, EventPattern=malformed)
    assert refused.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    assert (
        aws(endpoint, tmp_path, "events", "list-rules", "--event-bus-name", bus, "--name-prefix", "malformed")["Rules"]
        == []
    )

    # The bus still takes events, and a rule on it delivers them: here to a queue that lets EventBridge send to it.
    url = aws(endpoint, tmp_path, "sqs", "create-queue", "--queue-name", "pattern-checks")["QueueUrl"]
    arn = aws(endpoint, tmp_path, "sqs", "get-queue-attributes", "--queue-url", url, "--attribute-names", "QueueArn")[
        "Attributes"
    ]["QueueArn"]
    grant = {"Effect": "Allow", "Principal": {"Service": "events.amazonaws.com"}, "Action": "sqs:SendMessage"}
    policy = {"Version": "2012-10-17", "Statement": [{**grant, "Resource": arn}]}
    aws(endpoint, tmp_path, "sqs", "set-queue-attributes", "--queue-url", url, "--attributes",
        json.dumps({"Policy": json.dumps(policy)}))  # fmt: skip
    aws(endpoint, tmp_path, "events", "put-rule", "--name", "anna", "--event-bus-name", bus, "--event-pattern", on_anna)
    aws(endpoint, tmp_path, "events", "put-targets", "--rule", "anna", "--event-bus-name", bus, "--targets",
        json.dumps([{"Id": "queue", "Arn": arn}]))  # fmt: skip
    entries = tmp_path / "pattern-entries.json"
    entry = {"EventBusName": bus, "Source": event["source"], "DetailType": event["detail-type"]}
    entries.write_text(json.dumps([{**entry, "Detail": json.dumps(event["detail"])}]))
    assert aws(endpoint, tmp_path, "events", "put-events", "--entries", f"file://{entries}")["FailedEntryCount"] == 0

    received = aws(endpoint, tmp_path, "sqs", "receive-message", "--queue-url", url, "--wait-time-seconds", "5")
    (message,) = received["Messages"]
    delivered = json.loads(message["Body"])
    assert (delivered["source"], delivered["detail"]) == (event["source"], event["detail"])
