"""Data builders: valid sample events of every type, as producers send them and as EventBridge delivers them; and a
function in moto's Lambda backend."""

from __future__ import annotations

import copy
import io
import json
import zipfile
from pathlib import Path
from typing import Any

import boto3

SAMPLES = Path(__file__).parent / "samples"
SAMPLE_DATA: dict[str, dict[str, Any]] = json.loads((SAMPLES / "event_data.json").read_text(encoding="utf-8"))


def sample_data(detail_type: str) -> dict[str, Any]:
    """A fresh copy of a valid `data` for `detail_type`."""
    return copy.deepcopy(SAMPLE_DATA[detail_type])


def sample_event(name: str) -> dict[str, Any]:
    """A whole EventBridge event from `tests/samples/<name>.event.json`."""
    loaded: dict[str, Any] = json.loads((SAMPLES / f"{name}.event.json").read_text(encoding="utf-8"))
    return loaded


def delivered_event(
    detail_type: str, source: str, data: dict[str, Any] | None = None, **metadata: Any
) -> dict[str, Any]:
    """An event as a rule target receives it, with valid metadata unless overridden."""
    meta = {
        "event_id": "evt-1",
        "correlation_id": "corr-1",
        "causation_id": None,
        "idempotency_key": "idem-1",
        "schema_version": 1,
        "occurred_at": "2026-11-25T12:00:00Z",
        "producer": "tests",
        **metadata,
    }
    return {
        "version": "0",
        "id": "eb-1",
        "detail-type": detail_type,
        "source": source,
        "account": "123456789012",
        "time": "2026-11-25T12:00:00Z",
        "region": "us-east-1",
        "resources": [],
        "detail": {"metadata": meta, "data": sample_data(detail_type) if data is None else data},
    }


def api_request(body: str | None, method: str = "POST", path: str = "/events") -> dict[str, Any]:
    """An API Gateway REST (v1) proxy event, as IAM-authorized requests reach the ingestion function."""
    return {
        "resource": path,
        "path": path,
        "httpMethod": method,
        "headers": {"content-type": "application/json"},
        "multiValueHeaders": {"content-type": ["application/json"]},
        "queryStringParameters": None,
        "multiValueQueryStringParameters": None,
        "pathParameters": None,
        "stageVariables": None,
        "body": body,
        "isBase64Encoded": False,
        "requestContext": {
            "accountId": "123456789012",
            "apiId": "api1",
            "httpMethod": method,
            "path": f"/dev{path}",
            "resourcePath": path,
            "stage": "dev",
            "requestId": "req-1",
            "identity": {"userArn": "arn:aws:iam::123456789012:user/webhook", "sourceIp": "127.0.0.1"},
        },
    }


class LambdaContext:
    """The attributes of a Lambda context that Powertools reads."""

    function_name = "tests-function"
    function_version = "$LATEST"
    memory_limit_in_mb = 256
    invoked_function_arn = "arn:aws:lambda:us-east-1:123456789012:function:tests-function"
    aws_request_id = "request-1"

    def get_remaining_time_in_millis(self) -> int:
        return 10_000


def sqs_event(bodies: list[str], queue_arn: str = "arn:aws:sqs:us-east-1:123456789012:consumer") -> dict[str, Any]:
    """An SQS event source batch as Lambda receives it, one record per body; message ids are `m-0`, `m-1`, ..."""
    return {
        "Records": [
            {
                "messageId": f"m-{index}",
                "receiptHandle": f"handle-{index}",
                "body": body,
                "attributes": {
                    "ApproximateReceiveCount": "1",
                    "SentTimestamp": "1764072000000",
                    "SenderId": "AIDAEXAMPLE",
                    "ApproximateFirstReceiveTimestamp": "1764072000001",
                },
                "messageAttributes": {},
                "md5OfBody": "",
                "eventSource": "aws:sqs",
                "eventSourceARN": queue_arn,
                "awsRegion": "us-east-1",
            }
            for index, body in enumerate(bodies)
        ]
    }


def ticket(ticket_id: str = "ticket-2001", body: str | None = None, **fields: Any) -> dict[str, Any]:
    """A valid TicketSubmitted `data`, with another body or fields when given."""
    data = sample_data("TicketSubmitted")
    data["ticket_id"] = ticket_id
    if body is not None:
        data["body"] = body
    return {**data, **fields}


def agent_task_request(
    agent: str = "billing", task_input: dict[str, Any] | None = None, heartbeat_seconds: int | None = 60, **data: Any
) -> dict[str, Any]:
    """AgentTaskRequested as the agents queue delivers it (the workflow's envelope), for the support pipeline."""
    fields = {
        "task_id": "task-1",
        "agent": agent,
        "task_token": "token-1",
        "input": {"ticket": ticket()} if task_input is None else task_input,
        "timeout_seconds": 300,
        "heartbeat_seconds": heartbeat_seconds,
        **data,
    }
    return delivered_event(
        "AgentTaskRequested",
        "orchestrator.workflows",
        fields,
        event_id="request-1",
        correlation_id="ticket-2001",
        producer="agent-pipeline",
    )


def create_function(name: str) -> None:
    """A function in moto's Lambda backend (inside `mock_aws`), as the local Lambda runtime creates one: what
    event-source mappings and permissions refer to."""
    role = boto3.client("iam").create_role(RoleName=f"{name}-role", AssumeRolePolicyDocument="{}")["Role"]["Arn"]
    code = io.BytesIO()
    with zipfile.ZipFile(code, "w") as archive:
        archive.writestr("handler.py", "def handler(event, context):\n    return None\n")
    boto3.client("lambda").create_function(
        FunctionName=name, Runtime="python3.11", Role=role, Handler="handler.handler", Code={"ZipFile": code.getvalue()}
    )
