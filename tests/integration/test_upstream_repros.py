"""The moto defects written up in docs/upstream/, reproduced on plain moto (none of the local runtime's seams
applied). Each test asserts moto's defective behaviour: when one fails after a moto upgrade, upstream fixed it, and
the seam that works around it (orchestrator/local/seams) and its write-up can go."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from moto import mock_aws

from orchestrator.local.seams import applied_seams
from tests.settling import ended, received

# Executions run only when moto is asked to (the local runtime's MOTO_CONFIG, without the runtime).
CONFIG: Any = {"stepfunctions": {"execute_state_machine": True}}
ROLE = "arn:aws:iam::123456789012:role/sfn"


@pytest.fixture
def plain_moto(aws_credentials: None) -> Iterator[None]:
    assert applied_seams() == [], "these repros run on moto as shipped"
    with mock_aws(config=CONFIG):
        yield


def token_machine(sfn: Any, sqs: Any, **task_fields: Any) -> tuple[str, str]:
    """A state machine whose one task sends its task token to a queue and waits for it; returns (arn, queue url)."""
    queue_url = sqs.create_queue(QueueName="tokens")["QueueUrl"]
    definition = {
        "StartAt": "Ask",
        "States": {
            "Ask": {
                "Type": "Task",
                "Resource": "arn:aws:states:::sqs:sendMessage.waitForTaskToken",
                "Parameters": {"QueueUrl": queue_url, "MessageBody": {"token.$": "$$.Task.Token"}},
                **task_fields,
                "End": True,
            }
        },
    }
    arn = sfn.create_state_machine(name="ask", definition=json.dumps(definition), roleArn=ROLE)["stateMachineArn"]
    return arn, queue_url


def test_moto_names_an_unnamed_execution_none_and_the_next_one_collides(plain_moto: None) -> None:
    """docs/upstream/moto-unnamed-execution.md"""
    sfn = boto3.client("stepfunctions", region_name="us-east-1")
    definition = json.dumps({"StartAt": "Done", "States": {"Done": {"Type": "Pass", "End": True}}})
    arn = sfn.create_state_machine(name="unnamed", definition=definition, roleArn=ROLE)["stateMachineArn"]

    first = sfn.start_execution(stateMachineArn=arn, input='{"n": 1}')["executionArn"]
    with pytest.raises(sfn.exceptions.ExecutionAlreadyExists):
        sfn.start_execution(stateMachineArn=arn, input='{"n": 2}')

    assert first.endswith(":unnamed:None"), "AWS: a UUID as the name"
    assert "name" not in sfn.describe_execution(executionArn=first), "AWS: DescribeExecution always has a name"


def test_moto_send_task_failure_drops_the_cause(plain_moto: None) -> None:
    """docs/upstream/moto-send-task-failure-cause.md"""
    sfn = boto3.client("stepfunctions", region_name="us-east-1")
    sqs = boto3.client("sqs", region_name="us-east-1")
    arn, queue_url = token_machine(sfn, sqs)
    execution_arn = sfn.start_execution(stateMachineArn=arn, name="fails")["executionArn"]
    message = received(sqs, queue_url)

    sfn.send_task_failure(taskToken=json.loads(message["Body"])["token"], error="OutOfStock", cause="sku a")

    execution = ended(None, sfn, execution_arn)
    assert (execution["status"], execution.get("error")) == ("FAILED", "OutOfStock")
    assert execution.get("cause") is None, "AWS: the cause given to SendTaskFailure, 'sku a'"
    failed = [e for e in sfn.get_execution_history(executionArn=execution_arn)["events"] if e["type"] == "TaskFailed"]
    assert "cause" not in failed[0]["taskFailedEventDetails"]


def test_moto_reports_a_missed_heartbeat_as_states_timeout(plain_moto: None) -> None:
    """docs/upstream/moto-heartbeat-timeout-error.md"""
    sfn = boto3.client("stepfunctions", region_name="us-east-1")
    sqs = boto3.client("sqs", region_name="us-east-1")
    arn, _ = token_machine(sfn, sqs, HeartbeatSeconds=1, TimeoutSeconds=30)

    execution_arn = sfn.start_execution(stateMachineArn=arn, name="silent")["executionArn"]

    execution = ended(None, sfn, execution_arn)  # the heartbeat (1 s, real time) is missed
    assert (execution["status"], execution["error"]) == ("FAILED", "States.Timeout"), "AWS: States.HeartbeatTimeout"


def test_moto_writes_a_string_variable_into_a_jsonata_declaration_unescaped() -> None:
    """docs/upstream/moto-jsonata-string-escaping.md"""
    from moto.stepfunctions.parser.asl.jsonata.jsonata import encode_jsonata_variable_declarations

    declarations = encode_jsonata_variable_declarations({"$note": 'say "hi"', "$path": "C:\\temp"})

    assert declarations == '$note:="say "hi"";$path:="C:\\temp";'
    # What a JSONata string literal (JSON's rules) needs: the quote and the backslash escaped.
    assert json.dumps('say "hi"') == '"say \\"hi\\""'
