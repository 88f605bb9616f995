"""One matched event sent to one rule target, by the kind of target its ARN names.

moto 5.2.5 raises NotImplementedError for Step Functions and Lambda targets, and its own `_send_to_sqs_queue` /
`_send_to_cw_log_group` take a dict and parse its `time` as a number, so they cannot carry a constant `Input`, a
string template or an ISO time. Here:
- SQS queues and log groups: sent through the runtime's boto3 clients with the target's input, synchronously (as moto
  does, so a queue holds the event when PutEvents returns);
- archives: the event stored in moto's archive (`Rule._send_to_events_archive`), the archive named by the target's
  input rendered here: moto's own path parses nine JSONPath expressions with a fresh PLY parser at every event;
- other buses and API destinations: handed back to moto's original method, one target at a time;
- Lambda functions: `LambdaPort.invoke(arn, event, "Event")`, synchronously like a queue. As on AWS, EventBridge
  invokes a function asynchronously: delivery succeeds once Lambda has queued the event, and what the handler does
  with it is Lambda's business: a failing handler is retried by Lambda's own asynchronous handling (twice, 1 then
  2 minutes later) and then lands in the function's dead-letter queue or on-failure destination. The rule target's
  RetryPolicy and DeadLetterConfig only cover failing to hand the event over (an unknown function: NO_RESOURCE);
- Step Functions state machines: StartExecution (on a background thread: `ASYNCHRONOUS_TARGETS`).
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Final, Literal

from moto.events import models as events_models
from moto.utilities.arns import parse_arn

from orchestrator.local.delivery.inputs import iso_time, target_input
from orchestrator.local.lambda_port import LambdaPort
from orchestrator.local.queues import queue_url
from orchestrator.local.runtime import Runtime

# "moto": other buses, API destinations, and what moto cannot deliver to (it raises NotImplementedError).
TargetKind = Literal["state-machine", "function", "queue", "log-group", "archive", "moto"]
# Lambda functions are not among them: handing an event to Lambda only queues it (InvocationType Event).
ASYNCHRONOUS_TARGETS: Final[frozenset[TargetKind]] = frozenset({"state-machine"})

SendToTargets = Callable[..., None]


EVENTS_PRINCIPAL: Final = "events.amazonaws.com"  # who EventBridge delivers as, to a resource policy


def target_kind(arn: str) -> TargetKind:
    """What a target ARN names, as far as delivery cares."""
    parts = arn.split(":", 5)
    service, resource = (parts[2], parts[5]) if len(parts) == 6 else ("", "")
    if service == "states" and resource.startswith("stateMachine:"):
        return "state-machine"
    if service == "lambda" and resource.startswith("function:"):
        return "function"
    if service == "sqs":
        return "queue"
    if service == "logs" and resource.startswith("log-group:"):
        return "log-group"
    if service == "events" and not resource.strip(":"):
        return "archive"  # moto's archive rule targets `arn:aws:events:<region>:::` (moto/events/models.py:1771)
    return "moto"


@dataclass(frozen=True)
class Job:
    """One matched event on its way to one target of a rule."""

    rule: Any  # moto's Rule
    target: Mapping[str, Any]
    event: dict[str, Any]  # as EventBridge sends it
    moto_event: Any  # moto's own form, for the targets handed back to moto
    transform_input: bool
    received_at: float  # on the runtime clock, for MaximumEventAgeInSeconds

    @property
    def target_arn(self) -> str:
        return str(self.target["Arn"])

    @property
    def work_name(self) -> str:
        return f"eventbridge {self.rule.name}/{self.target['Id']}"


class _OneTargetRule:
    """moto's Rule seen with a single target and no pattern: a delivery handed back to moto's own method."""

    _MATCH_ALL: Final = events_models.EventPattern(None, {})

    def __init__(self, rule: Any, target: Mapping[str, Any]) -> None:
        self._rule = rule
        self.targets = [dict(target)]
        self.event_pattern = self._MATCH_ALL

    def __getattr__(self, name: str) -> Any:
        return getattr(self._rule, name)


class Targets:
    """Sends a job to its target, once; raises what the target raised (the caller classifies and retries)."""

    def __init__(self, runtime: Runtime, lambdas: LambdaPort) -> None:
        self._runtime = runtime
        self._lambdas = lambdas
        self.moto_send: SendToTargets | None = None  # moto's own delivery, for the targets handed back to it

    def send(self, job: Job) -> None:
        """One attempt at delivering the job's event to its target."""
        kind = target_kind(job.target_arn)
        self._permitted(job, kind)
        if kind == "state-machine":
            self._runtime.client("stepfunctions").start_execution(
                stateMachineArn=job.target_arn, input=self._input(job)
            )
        elif kind == "function":
            self._invoke(job)
        elif kind == "queue":
            group = (job.target.get("SqsParameters") or {}).get("MessageGroupId")
            self.send_message(job.target_arn, self._input(job), **({"MessageGroupId": group} if group else {}))
        elif kind == "log-group":
            self._put_log_event(job)
        elif kind == "archive":
            archive = parse_arn(json.loads(self._input(job))["archive-arn"])
            job.rule._send_to_events_archive(archive.resource_id, job.moto_event)
        else:
            assert self.moto_send is not None, "Delivery.install() sets moto's original delivery"
            try:
                self.moto_send(_OneTargetRule(job.rule, job.target), job.moto_event, job.transform_input)
            except NotImplementedError as error:
                raise NotImplementedError(f"the local runtime cannot deliver to {job.target_arn}") from error

    def _permitted(self, job: Job, kind: TargetKind) -> None:
        """With IAM enforced, what AWS checks before EventBridge delivers: the target's role for a state machine
        (EventBridge assumes it), the resource's policy for a queue or a function (EventBridge acts as its service
        principal, for the rule). Raises the service's AccessDenied: a NO_PERMISSIONS failure, not retried."""
        access = self._runtime.access
        if access is None:
            return
        if kind == "state-machine":
            client = self._runtime.client("stepfunctions")
            access.permit_role(job.target.get("RoleArn"), "states:StartExecution", job.target_arn, client)
        elif kind == "queue":
            client = self._runtime.client("sqs")
            access.permit_delivery(EVENTS_PRINCIPAL, "sqs:SendMessage", job.target_arn, job.rule.arn, client)
        elif kind == "function":
            client = self._runtime.client("lambda")
            access.permit_delivery(EVENTS_PRINCIPAL, "lambda:InvokeFunction", job.target_arn, job.rule.arn, client)

    def send_message(self, queue_arn: str, body: str, **extra: Any) -> None:
        """SendMessage to a queue named by its ARN (a queue target, or a dead-letter queue)."""
        sqs = self._runtime.client("sqs")
        sqs.send_message(QueueUrl=queue_url(sqs, queue_arn), MessageBody=body, **extra)

    def _input(self, job: Job) -> str:
        ingested = job.moto_event.get("ingestion-time", job.received_at)
        variables = {
            "aws.events.rule-arn": job.rule.arn,
            "aws.events.rule-name": job.rule.name,
            "aws.events.event.ingestion-time": iso_time(ingested),
        }
        return target_input(job.target, job.event, variables)

    def _invoke(self, job: Job) -> None:
        """Queues the event with Lambda, as EventBridge does: the delivery is done once Lambda accepts it (202).
        A handler's failure is not seen here; Lambda's asynchronous retries and the function's DLQ deal with it.
        Raises when the event cannot be queued (an unknown function is NO_RESOURCE, see `retries.classify`)."""
        self._lambdas.invoke(job.target_arn, self._input(job).encode(), "Event")

    def _put_log_event(self, job: Job) -> None:
        logs = self._runtime.client("logs")
        group = job.target_arn.split(":log-group:", 1)[1].removesuffix(":*")
        stream = str(uuid.uuid4())
        # moto's logs reject events stamped over 2 hours ahead of real time, which the runtime clock may be:
        # stamp them with moto's own ingestion time, as moto's delivery does.
        stamp = job.moto_event.get("ingestion-time", job.received_at)
        logs.create_log_stream(logGroupName=group, logStreamName=stream)
        logs.put_log_events(
            logGroupName=group,
            logStreamName=stream,
            logEvents=[{"timestamp": int(float(stamp) * 1000), "message": self._input(job)}],
        )
