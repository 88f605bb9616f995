"""The agent pipeline's ASL on moto's interpreter, with the real handlers: triage and synthesis stand behind moto's
Lambda (a shim calls them in-process), the agents and callback handlers drain the queues the app's rules feed.

Until the local runtime runs the whole assembly, this is where the definition proves itself: every JSONata
expression evaluates, the dispatched AgentTaskRequested is a valid event the agents accept, callbacks resume the
right tasks, a failing or silent specialist is recorded and the pipeline goes on, TicketResolved is a valid event.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import boto3
import pytest
from moto import mock_aws
from moto.awslambda_simple.models import LambdaSimpleBackend

from functions.agents import handler as agents_handler
from functions.callback import handler as callback_handler
from functions.synthesis import handler as synthesis_handler
from functions.triage import handler as triage_handler
from infra.constructs.agent_pipeline import DEFINITION_FILE
from infra.constructs.workflow import with_numbers
from orchestrator.local import jsonata_engine
from orchestrator.local.runtime import MOTO_CONFIG
from schemas.envelope import EventDetail
from schemas.validation import validate_detail
from tests.builders import LambdaContext, delivered_event, sqs_event, ticket
from tests.infra.helpers import resources
from tests.integration.conftest import IDEMPOTENCY_TABLE, create_idempotency_table

BUS = "orchestrator-test"
ACCOUNT_REGION = "arn:aws:lambda:us-east-1:123456789012:function"
HANDLERS: dict[str, Callable[[dict[str, Any], Any], dict[str, Any]]] = {
    "triage": triage_handler.handler,
    "synthesis": synthesis_handler.handler,
}


def _invoke_in_process(self: Any, function_name: str, qualifier: Any, body: Any, *_: Any) -> bytes:
    """moto's Lambda without Docker, calling the project's handler named by the function instead of echoing."""
    handler = HANDLERS[function_name.rsplit(":", 1)[-1]]
    return json.dumps(handler(json.loads(body), LambdaContext())).encode()


@dataclass
class Pipeline:
    sfn: Any
    sqs: Any
    machine_arn: str
    queues: dict[str, str]

    def start(self, data: dict[str, Any], name: str = "run-1") -> str:
        event = delivered_event(
            "TicketSubmitted", "support.tickets", data, event_id="submitted-1", correlation_id="c-9"
        )
        return str(
            self.sfn.start_execution(stateMachineArn=self.machine_arn, name=name, input=json.dumps(event))[
                "executionArn"
            ]
        )

    def drain(self, queue: str, count: int) -> list[str]:
        """The bodies of `count` messages from `queue` (waits for them, a few seconds at most), deleted."""
        bodies: list[str] = []
        deadline = time.monotonic() + 5
        while len(bodies) < count and time.monotonic() < deadline:
            messages = self.sqs.receive_message(QueueUrl=self.queues[queue], MaxNumberOfMessages=10).get("Messages", [])
            for message in messages:
                bodies.append(message["Body"])
                self.sqs.delete_message(QueueUrl=self.queues[queue], ReceiptHandle=message["ReceiptHandle"])
            if not messages:
                time.sleep(0.02)
        assert len(bodies) == count, f"{queue}: expected {count} messages, got {len(bodies)}"
        return bodies

    def consume(self, queue: str, count: int, handler: Callable[[dict[str, Any], Any], dict[str, Any]]) -> None:
        """Hands `count` messages of `queue` to `handler` as one SQS batch; every one must succeed."""
        response = handler(sqs_event(self.drain(queue, count)), LambdaContext())
        assert response == {"batchItemFailures": []}

    def finished(self, execution_arn: str, timeout: float = 5) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            described: dict[str, Any] = self.sfn.describe_execution(executionArn=execution_arn)
            if described["status"] != "RUNNING":
                return described
            time.sleep(0.02)
        raise AssertionError(f"{execution_arn} still RUNNING after {timeout} s")

    def entered(self, execution_arn: str) -> list[str]:
        events = self.sfn.get_execution_history(executionArn=execution_arn, maxResults=1000)["events"]
        return [e["stateEnteredEventDetails"]["name"] for e in events if "stateEnteredEventDetails" in e]


@pytest.fixture
def pipeline(
    aws_credentials: None, monkeypatch: pytest.MonkeyPatch, templates: dict[str, Any], request: pytest.FixtureRequest
) -> Iterator[Pipeline]:
    heartbeat_seconds = getattr(request, "param", 10)
    monkeypatch.setattr(LambdaSimpleBackend, "invoke", _invoke_in_process)
    monkeypatch.setenv("EVENT_BUS_NAME", BUS)
    monkeypatch.setenv("REASONER", "offline")
    monkeypatch.setenv("IDEMPOTENCY_TABLE", IDEMPOTENCY_TABLE)
    caches = [
        agents_handler.dependencies,
        callback_handler.dependencies,
        triage_handler.reasoner,
        synthesis_handler.reasoner,
    ]
    with mock_aws(config=MOTO_CONFIG), jsonata_engine.jsonata_enabled():
        for cache in caches:
            cache.cache_clear()
        create_idempotency_table(IDEMPOTENCY_TABLE)
        events, sqs, sfn = boto3.client("events"), boto3.client("sqs"), boto3.client("stepfunctions")
        events.create_event_bus(Name=BUS)
        queues = {}
        # The app's own rules (patterns from the synthesized template) feed the consumers' queues; a tap gets the rest.
        patterns = {
            rule_id: rule["Properties"]["EventPattern"]
            for rule_id, rule in resources(templates["Workflows"], "AWS::Events::Rule").items()
        }
        wanted = {
            "agents": next(p for r, p in patterns.items() if r.startswith("AgentsRule")),
            "callbacks": next(p for r, p in patterns.items() if r.startswith("CallbacksRule")),
            "resolved": {"source": ["support.tickets"], "detail-type": ["TicketResolved"]},
        }
        for name, pattern in wanted.items():
            url = sqs.create_queue(QueueName=name)["QueueUrl"]
            arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
            events.put_rule(Name=name, EventBusName=BUS, EventPattern=json.dumps(pattern))
            events.put_targets(Rule=name, EventBusName=BUS, Targets=[{"Id": name, "Arn": arn}])
            queues[name] = url
        definition = with_numbers(
            DEFINITION_FILE.read_text(encoding="utf-8"),
            {"AgentTimeoutSeconds": 30, "AgentHeartbeatSeconds": heartbeat_seconds, "MaxConcurrency": 5},
        )
        for name, value in {
            "TriageFunctionArn": f"{ACCOUNT_REGION}:triage",
            "SynthesisFunctionArn": f"{ACCOUNT_REGION}:synthesis",
            "EventBusName": BUS,
        }.items():
            definition = definition.replace(f"${{{name}}}", value)
        machine_arn = sfn.create_state_machine(
            name="agent-pipeline", definition=definition, roleArn="arn:aws:iam::123456789012:role/pipeline"
        )["stateMachineArn"]
        yield Pipeline(sfn, sqs, machine_arn, queues)
        for cache in caches:
            cache.cache_clear()


def test_every_specialist_answers_and_the_ticket_is_resolved(pipeline: Pipeline) -> None:
    execution_arn = pipeline.start(ticket(subject="Charged twice", body="Charged twice and I cannot log in."))

    requests = pipeline.drain("agents", 2)
    dispatched: list[EventDetail[Any]] = [
        validate_detail("AgentTaskRequested", json.loads(b)["detail"], "orchestrator.workflows") for b in requests
    ]
    agents_handler.handler(sqs_event(requests), LambdaContext())
    pipeline.consume("callbacks", 2, callback_handler.handler)
    execution = pipeline.finished(execution_arn)

    assert execution["status"] == "SUCCEEDED"
    assert pipeline.entered(execution_arn) == [
        "Triage", "Specialists", "Dispatch", "Dispatch", "Synthesis", "PublishResolved", "Resolved",
    ]  # fmt: skip
    # The dispatched requests: one per chosen specialist, the project envelope, the task's token and the stage's times.
    assert sorted(d.data.agent for d in dispatched) == ["account", "billing"]
    for request in dispatched:
        assert request.metadata.correlation_id == "ticket-2001"
        assert request.metadata.causation_id == "submitted-1"
        assert request.metadata.idempotency_key == f"{execution_arn}/{request.data.agent}"
        assert (request.data.timeout_seconds, request.data.heartbeat_seconds) == (30, 10)
        assert request.data.input["ticket"]["ticket_id"] == "ticket-2001"
    assert len({d.data.task_token for d in dispatched}) == 2
    (resolved_body,) = pipeline.drain("resolved", 1)
    resolved: EventDetail[Any] = validate_detail(
        "TicketResolved", json.loads(resolved_body)["detail"], "support.tickets"
    )
    assert resolved.metadata.correlation_id == "ticket-2001"
    assert resolved.metadata.causation_id == "submitted-1"
    assert resolved.data.model_dump(mode="json") == json.loads(execution["output"])
    assert (resolved.data.resolution, resolved.data.agents_consulted) == ("answered", ["billing", "account"])
    assert "refund the duplicate charge" in resolved.data.reply


def test_a_specialist_that_fails_is_recorded_and_the_others_answer(pipeline: Pipeline) -> None:
    execution_arn = pipeline.start(ticket(subject="Charged twice", body="Charged twice, cannot log in. [fail:billing]"))

    pipeline.consume("agents", 2, agents_handler.handler)
    pipeline.consume("callbacks", 2, callback_handler.handler)
    execution = pipeline.finished(execution_arn)

    assert execution["status"] == "SUCCEEDED"
    assert "AgentFailed" in pipeline.entered(execution_arn)
    output = json.loads(execution["output"])
    assert (output["resolution"], output["agents_failed"]) == ("partial", ["billing"])
    assert "billing team could not finish" in output["reply"]
    history = pipeline.sfn.get_execution_history(executionArn=execution_arn, maxResults=1000)["events"]
    (failed,) = [e["taskFailedEventDetails"] for e in history if e["type"] == "TaskFailed"]
    assert failed["error"] == "AgentFailed"


@pytest.mark.parametrize("pipeline", [1], indirect=True)
def test_a_specialist_that_goes_silent_times_out_on_its_heartbeat(pipeline: Pipeline) -> None:
    execution_arn = pipeline.start(ticket(subject="Locked", body="My account is locked. [stall:account]"))

    pipeline.consume("agents", 1, agents_handler.handler)  # heartbeats once, then never answers
    execution = pipeline.finished(execution_arn, timeout=10)

    assert execution["status"] == "SUCCEEDED"
    assert pipeline.entered(execution_arn) == [
        "Triage", "Specialists", "Dispatch", "AgentTimedOut", "Synthesis", "PublishResolved", "Resolved",
    ]  # fmt: skip
    output = json.loads(execution["output"])
    assert (output["resolution"], output["agents_failed"]) == ("unanswered", ["account"])
