"""EventBridge rule delivery as AWS does it, where moto 5.2.5 falls short.

Why: moto delivers every matched event in `moto.events.models.Rule.send_to_targets`, the one seam that PutEvents,
archive replays and S3 notifications all go through, and there it
- delivers for DISABLED rules too, and a rule with only a ScheduleExpression matches every event;
- ignores a target's `Input` and `InputPath`; of `InputTransformer` it knows only `<aws.events.event.json>` and
  `<aws.events.event.ingestion-time>`, and it `json.loads` the rendered template, so `<aws.events.rule-arn>` or a
  string template that is not JSON fails PutEvents itself;
- sends its default event without `account` (its default template drops it);
- raises NotImplementedError for Step Functions and Lambda targets;
- ignores `RetryPolicy` and `DeadLetterConfig`: a failing target fails PutEvents instead.

`Delivery.install()` wraps `Rule.send_to_targets` (a seam declared in orchestrator/local/seams/services.py). Per
matched event and target it computes the input as EventBridge does, then:
- SQS queues and log groups: sent through the runtime's boto3 clients with that input, synchronously (as moto does,
  so a queue holds the event when PutEvents returns). moto's own `_send_to_sqs_queue` / `_send_to_cw_log_group` take a
  dict and parse its `time` as a number, so they cannot carry a constant `Input`, a string template or an ISO time;
- archives, other buses and API destinations: handed back to moto's original method, one target at a time;
- Lambda functions: `LambdaPort.invoke(arn, event, "Event")`, synchronously like a queue. As on AWS, EventBridge
  invokes a function asynchronously: delivery succeeds once Lambda has queued the event, and what the handler does
  with it is Lambda's business: a failing handler is retried by Lambda's own asynchronous handling (twice, 1 then
  2 minutes later) and then lands in the function's dead-letter queue or on-failure destination. The rule target's
  RetryPolicy and DeadLetterConfig only cover failing to hand the event over (an unknown function: NO_RESOURCE);
- Step Functions state machines: StartExecution, on a background thread (EventBridge targets are asynchronous).

A failed delivery is retried with exponential backoff and jitter on the runtime clock until the target's RetryPolicy
is spent (MaximumRetryAttempts, default 185; MaximumEventAgeInSeconds, default 86400). A missing resource or missing
permission is not retried, as on AWS. The event then goes to the target's DeadLetterConfig queue with the message
attributes EventBridge sets, or is dropped. Once the runtime stops (`Activity.stopping`), a delivery still waiting
for a retry, or not yet started, is abandoned without reaching its target: it must not outlive the runtime and
write into the next one's moto. Every outcome is recorded in `Delivery.deliveries`.

Left at ~560 lines for now: the natural seam is between building a target's input (`event_json`, `target_input`,
`render_template`: pure functions, ~150 lines) and delivering it (`Delivery`); not split in the seams change.
"""

from __future__ import annotations

import functools
import json
import logging
import random
import re
import threading
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Final, Literal

from botocore.exceptions import ClientError
from jsonpath_ng.jsonpath import JSONPath
from jsonpath_ng.parser import parse as parse_json_path
from moto.events import models as events_models

from orchestrator.local.lambda_port import LambdaPort
from orchestrator.local.provision import Creator
from orchestrator.local.queues import queue_url
from orchestrator.local.runtime import Runtime
from orchestrator.local.seams import SeamSet
from orchestrator.local.seams import services as declared

logger = logging.getLogger(__name__)

DEFAULT_MAXIMUM_RETRY_ATTEMPTS: Final[int] = 185
DEFAULT_MAXIMUM_EVENT_AGE_SECONDS: Final[float] = 86_400.0
# AWS documents "exponential back off and jitter" but not its schedule: the first retry comes after 0.5-1 s and each
# one waits up to twice as long as the one before, at most 5 minutes.
BACKOFF_BASE_SECONDS: Final[float] = 1.0
BACKOFF_CAP_SECONDS: Final[float] = 300.0

# EventBridge does not retry these: they fail the same way until someone changes the target.
NOT_RETRIED: Final[frozenset[str]] = frozenset({"NO_RESOURCE", "NO_PERMISSIONS", "INVALID_JSON"})

# "abandoned": the runtime stopped before the event reached its target (it was neither delivered nor given up).
Outcome = Literal["delivered", "dead-lettered", "dropped", "abandoned"]
# "moto": archives, other buses, API destinations, and what moto cannot deliver to (it raises NotImplementedError).
TargetKind = Literal["state-machine", "function", "queue", "log-group", "moto"]
# Lambda functions are not among them: handing an event to Lambda only queues it (InvocationType Event).
ASYNCHRONOUS_TARGETS: Final[frozenset[TargetKind]] = frozenset({"state-machine"})


@dataclass(frozen=True)
class DeliveryRecord:
    """How the delivery of one event to one rule target ended."""

    rule: str
    target_id: str
    target_arn: str
    event_id: str
    attempts: int
    outcome: Outcome
    error_code: str | None = None
    error: str | None = None


@dataclass(frozen=True)
class RetryPolicy:
    maximum_retry_attempts: int = DEFAULT_MAXIMUM_RETRY_ATTEMPTS
    maximum_event_age_seconds: float = DEFAULT_MAXIMUM_EVENT_AGE_SECONDS

    @classmethod
    def of(cls, target: Mapping[str, Any]) -> RetryPolicy:
        """The target's RetryPolicy, with EventBridge's defaults for what it leaves out."""
        policy = target.get("RetryPolicy") or {}
        return cls(
            int(policy.get("MaximumRetryAttempts", DEFAULT_MAXIMUM_RETRY_ATTEMPTS)),
            float(policy.get("MaximumEventAgeInSeconds", DEFAULT_MAXIMUM_EVENT_AGE_SECONDS)),
        )


class DeliveryFailure(Exception):
    """A delivery attempt failed; `code` is one of the ERROR_CODE values EventBridge puts on dead letters."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message

    @property
    def retryable(self) -> bool:
        return self.code not in NOT_RETRIED


# --- The event and the target input, as EventBridge builds them ---------------------------------------------------


def event_json(moto_event: Mapping[str, Any]) -> dict[str, Any]:
    """The event EventBridge sends, from moto's internal one (whose `time` is a unix number, with extra keys)."""
    event: dict[str, Any] = {
        "version": moto_event.get("version", "0"),
        "id": moto_event["id"],
        "detail-type": moto_event["detail-type"],
        "source": moto_event["source"],
        "account": moto_event.get("account", ""),
        "time": _iso_time(moto_event.get("time")),
        "region": moto_event.get("region", ""),
        "resources": list(moto_event.get("resources") or []),
        "detail": moto_event.get("detail", {}),
    }
    if "replay-name" in moto_event:  # replayed events carry it on AWS too
        event["replay-name"] = moto_event["replay-name"]
    return event


def target_input(target: Mapping[str, Any], event: Mapping[str, Any], variables: Mapping[str, str]) -> str:
    """The text a target receives: the event, or what its Input, InputPath or InputTransformer make of it.

    `variables` are the transformer's predefined string variables (`aws.events.rule-arn`, `aws.events.rule-name`,
    `aws.events.event.ingestion-time`)."""
    if target.get("Input") is not None:
        return str(target["Input"])
    if target.get("InputPath") is not None:
        return _dumps(select(event, target["InputPath"]))
    transformer = target.get("InputTransformer")
    if transformer:
        return render_template(transformer["InputTemplate"], transformer.get("InputPathsMap") or {}, event, variables)
    return _dumps(event)


def select(document: Any, path: str) -> Any:
    """A JSONPath of EventBridge's subset (dots, dashes, indices, wildcards): one value, a list, or None."""
    matches = [match.value for match in _json_path(path).find(document)]
    if "*" in path or len(matches) > 1:
        return matches
    return matches[0] if matches else None


_PLACEHOLDER = re.compile(r"<([A-Za-z0-9_.\-]+)>")
_MISSING = object()


def render_template(
    template: str, paths: Mapping[str, str], event: Mapping[str, Any], variables: Mapping[str, str]
) -> str:
    """An InputTemplate with its placeholders filled, as EventBridge fills them.

    Inside a JSON string a value is inserted as string content (escaped); outside one, as JSON in a JSON template
    (a template that is a JSON object) and as plain text in a string template. `<aws.events.event>` (the event without
    `detail`) and `<aws.events.event.json>` are inserted as JSON, unescaped, as AWS documents. A variable whose path
    matches nothing "isn't created and doesn't appear in the output": empty text, or `null` where a JSON template
    needs a value. A placeholder that names no variable is left as it is."""
    values: dict[str, Any] = dict.fromkeys(paths, _MISSING)
    values.update({name: value for name, path in paths.items() if (value := select(event, path)) is not None})
    values.update(variables)
    raw = {
        "aws.events.event": _dumps({key: value for key, value in event.items() if key != "detail"}),
        "aws.events.event.json": _dumps(event),
    }
    json_template = template.lstrip().startswith("{")
    pieces: list[str] = []
    in_string = False
    position = 0
    for match in _PLACEHOLDER.finditer(template):
        literal = template[position : match.start()]
        in_string = _inside_string_after(literal, in_string)
        pieces.append(literal)
        name = match.group(1)
        if name in raw:
            pieces.append(raw[name])
        elif name in values:
            pieces.append(_fill(values[name], in_string=in_string, json_template=json_template))
        else:
            pieces.append(match.group(0))
        position = match.end()
    rendered = "".join(pieces) + template[position:]
    if json_template:
        try:
            json.loads(rendered)
        except ValueError as error:
            raise DeliveryFailure("INVALID_JSON", f"the InputTemplate rendered invalid JSON: {error}") from error
    return rendered


def _fill(value: Any, *, in_string: bool, json_template: bool) -> str:
    if value is _MISSING:
        return "null" if json_template and not in_string else ""
    text = value if isinstance(value, str) else _dumps(value)
    if in_string:
        return json.dumps(text, ensure_ascii=False)[1:-1]
    return _dumps(value) if json_template else text


def _inside_string_after(text: str, in_string: bool) -> bool:
    """Whether a JSON string literal is open after `text`, given whether one was open before it."""
    escaped = False
    for char in text:
        if escaped:
            escaped = False
        elif char == "\\" and in_string:
            escaped = True
        elif char == '"':
            in_string = not in_string
    return in_string


@functools.lru_cache(maxsize=256)
def _json_path(path: str) -> JSONPath:
    return parse_json_path(path)


def _dumps(value: Any) -> str:
    # EventBridge sends compact JSON.
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


def _iso_time(value: Any) -> str:
    if isinstance(value, int | float):
        return datetime.fromtimestamp(value, tz=UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    return str(value or "")


# --- Delivery ------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Job:
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


SendToTargets = Callable[..., None]


class Delivery:
    """Delivers what EventBridge rules match, to every kind of target the local runtime runs."""

    def __init__(self, runtime: Runtime, lambdas: LambdaPort, *, rng: random.Random | None = None) -> None:
        self._runtime = runtime
        self._lambdas = lambdas
        self._rng = rng or random.Random()
        self._lock = threading.Lock()
        self._deliveries: list[DeliveryRecord] = []
        self._moto_send: SendToTargets | None = None
        self._seams: SeamSet | None = None

    @property
    def deliveries(self) -> list[DeliveryRecord]:
        """Every delivery that has ended so far, in the order they ended."""
        with self._lock:
            return list(self._deliveries)

    def creators(self) -> dict[str, Creator]:
        """Rules and targets are provisioned as they are; delivery needs no resource of its own."""
        return {}

    def install(self) -> None:
        """Route moto's rule delivery through this adapter (idempotent); one Delivery is installed at a time."""
        if self._seams is not None:
            return

        def delivering(original: SendToTargets) -> SendToTargets:
            self._moto_send = original

            def send_to_targets(rule: Any, original_event: Any, transform_input: bool = True) -> None:
                self._on_event(rule, original_event, transform_input)

            return send_to_targets

        seam_set = SeamSet("Delivery", exclusive=True)
        seam_set.wrap(declared.EVENTS_DELIVERY, delivering)
        seam_set.apply()
        self._seams = seam_set

    def uninstall(self) -> None:
        """Restore moto's own delivery (idempotent). Deliveries already under way finish."""
        if self._seams is not None:
            self._seams.undo()
            self._seams = None

    # -- per event ----------------------------------------------------------------------------------------------------

    def _on_event(self, rule: Any, moto_event: Any, transform_input: bool) -> None:
        if rule.state == "DISABLED":
            return
        pattern = rule.event_pattern.get_pattern()
        if not pattern and rule.scheduled_expression:
            return  # a schedule-only rule runs on its schedule; it matches no event
        event = event_json(moto_event)
        if not rule.event_pattern.matches_event(event):
            return
        received_at = self._runtime.clock.now()
        faults = self._runtime.faults
        for target in list(rule.targets):
            job = _Job(rule, target, event, moto_event, transform_input, received_at)
            # Injected faults may deliver an event twice, or late (orchestrator/local/faults.py).
            for delay in [0.0] if faults is None else faults.event_delays(rule.name, job.target_arn, event):
                if delay > 0:
                    self._runtime.clock.call_later(delay, functools.partial(self._dispatch, job))
                else:
                    self._dispatch(job)

    def _dispatch(self, job: _Job) -> None:
        """Delivers now to a synchronous target, on a background thread to an asynchronous one."""
        if target_kind(job.target_arn) not in ASYNCHRONOUS_TARGETS:
            self._deliver(job, may_wait=False)
        elif not self._runtime.activity.submit(job.work_name, self._deliver, job):
            self._record(job, 0, "abandoned")

    def _deliver(self, job: _Job, *, may_wait: bool = True) -> None:
        """The first attempt; on failure, the retries run on a background thread."""
        if self._runtime.activity.stopping.is_set():
            self._record(job, 0, "abandoned")
            return
        failure = self._attempt(job)
        if failure is None:
            self._record(job, 1, "delivered")
        elif may_wait:
            self._retry(job, failure)
        elif not self._runtime.activity.submit(job.work_name, self._retry, job, failure):
            self._record(job, 1, "abandoned", failure)

    def _retry(self, job: _Job, failure: DeliveryFailure) -> None:
        """Retries after a failed first attempt, per the target's RetryPolicy, then gives the event up."""
        clock, stopping = self._runtime.clock, self._runtime.activity.stopping
        policy = RetryPolicy.of(job.target)
        deadline = job.received_at + policy.maximum_event_age_seconds
        attempts = 1
        while True:
            if not failure.retryable:
                self._give_up(job, attempts, failure, None)
                return
            if attempts > policy.maximum_retry_attempts:
                self._give_up(job, attempts, failure, "MaximumRetryAttempts")
                return
            if clock.wait(stopping, min(self._backoff(attempts), deadline - clock.now())):
                self._record(job, attempts, "abandoned", failure)  # the runtime stopped: no more attempts
                return
            if clock.now() >= deadline:
                self._give_up(job, attempts, failure, "MaximumEventAgeInSeconds")
                return
            attempts += 1
            next_failure = self._attempt(job)
            if next_failure is None:
                self._record(job, attempts, "delivered")
                return
            failure = next_failure

    def _backoff(self, retry: int) -> float:
        """Exponential backoff with jitter: the wait before retry number `retry` (1 for the first retry)."""
        ceiling = min(BACKOFF_CAP_SECONDS, BACKOFF_BASE_SECONDS * 2.0 ** (retry - 1))
        return ceiling * self._rng.uniform(0.5, 1.0)

    def _attempt(self, job: _Job) -> DeliveryFailure | None:
        try:
            self._send(job)
        except DeliveryFailure as failure:
            return failure
        except NotImplementedError:
            raise  # a target moto cannot deliver to (SNS, Kinesis, ...): as loud as moto makes it
        except Exception as error:  # noqa: BLE001 - every error of a target is a failed delivery, recorded
            classified = _classify(error)
            logger.warning("eventbridge delivery to %s failed: %s", job.target_arn, classified, exc_info=error)
            return classified
        return None

    def _give_up(self, job: _Job, attempts: int, failure: DeliveryFailure, exhausted: str | None) -> None:
        dead_letter_arn = (job.target.get("DeadLetterConfig") or {}).get("Arn")
        if not dead_letter_arn:
            self._record(job, attempts, "dropped", failure)
            return
        attributes = {
            "RULE_ARN": job.rule.arn,
            "TARGET_ARN": job.target_arn,
            "ERROR_CODE": failure.code,
            "ERROR_MESSAGE": failure.message,
            "RETRY_ATTEMPTS": str(attempts - 1),
        }
        if exhausted:
            attributes["EXHAUSTED_RETRY_CONDITION"] = exhausted
        try:
            self._send_message(
                dead_letter_arn,
                _dumps(job.event),
                MessageAttributes={k: {"DataType": "String", "StringValue": v} for k, v in attributes.items()},
            )
        except Exception as error:  # noqa: BLE001 - AWS counts it (InvocationsFailedToBeSentToDLQ) and drops the event
            logger.warning("eventbridge dead letter to %s failed", dead_letter_arn, exc_info=error)
            lost = DeliveryFailure(failure.code, f"{failure.message}; not dead-lettered: {error}")
            self._record(job, attempts, "dropped", lost)
            return
        self._record(job, attempts, "dead-lettered", failure)

    def _record(self, job: _Job, attempts: int, outcome: Outcome, failure: DeliveryFailure | None = None) -> None:
        record = DeliveryRecord(
            rule=job.rule.name,
            target_id=str(job.target["Id"]),
            target_arn=job.target_arn,
            event_id=str(job.event["id"]),
            attempts=attempts,
            outcome=outcome,
            error_code=failure.code if failure else None,
            error=failure.message if failure else None,
        )
        with self._lock:
            self._deliveries.append(record)
        if outcome != "delivered":
            logger.warning(
                "eventbridge event %s %s after %d attempt(s): rule %s target %s: %s",
                record.event_id, outcome, attempts, record.rule, record.target_id, record.error,
            )  # fmt: skip

    # -- per target kind ----------------------------------------------------------------------------------------------

    def _send(self, job: _Job) -> None:
        kind = target_kind(job.target_arn)
        if kind == "state-machine":
            self._runtime.client("stepfunctions").start_execution(
                stateMachineArn=job.target_arn, input=self._input(job)
            )
        elif kind == "function":
            self._invoke(job)
        elif kind == "queue":
            group = (job.target.get("SqsParameters") or {}).get("MessageGroupId")
            self._send_message(job.target_arn, self._input(job), **({"MessageGroupId": group} if group else {}))
        elif kind == "log-group":
            self._put_log_event(job)
        else:
            assert self._moto_send is not None, "install() sets moto's original delivery"
            try:
                self._moto_send(_OneTargetRule(job.rule, job.target), job.moto_event, job.transform_input)
            except NotImplementedError as error:
                raise NotImplementedError(f"the local runtime cannot deliver to {job.target_arn}") from error

    def _input(self, job: _Job) -> str:
        ingested = job.moto_event.get("ingestion-time", job.received_at)
        variables = {
            "aws.events.rule-arn": job.rule.arn,
            "aws.events.rule-name": job.rule.name,
            "aws.events.event.ingestion-time": _iso_time(ingested),
        }
        return target_input(job.target, job.event, variables)

    def _invoke(self, job: _Job) -> None:
        """Queues the event with Lambda, as EventBridge does: the delivery is done once Lambda accepts it (202).
        A handler's failure is not seen here; Lambda's asynchronous retries and the function's DLQ deal with it.
        Raises when the event cannot be queued (an unknown function is NO_RESOURCE, see `_classify`)."""
        self._lambdas.invoke(job.target_arn, self._input(job).encode(), "Event")

    def _send_message(self, queue_arn: str, body: str, **extra: Any) -> None:
        sqs = self._runtime.client("sqs")
        sqs.send_message(QueueUrl=queue_url(sqs, queue_arn), MessageBody=body, **extra)

    def _put_log_event(self, job: _Job) -> None:
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


# --- helpers -------------------------------------------------------------------------------------------------------


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
    return "moto"


def _classify(error: Exception) -> DeliveryFailure:
    """A target's exception as the ERROR_CODE EventBridge would report."""
    if isinstance(error, ClientError):
        code = str(error.response.get("Error", {}).get("Code", ""))
        message = str(error.response.get("Error", {}).get("Message", "")) or str(error)
    else:
        code = str(getattr(error, "error_type", "") or getattr(error, "code", "") or type(error).__name__)
        message = str(getattr(error, "message", "") or error)
    lowered = code.lower()
    if any(word in lowered for word in ("notfound", "nosuch", "doesnotexist", "nonexistent")):
        return DeliveryFailure("NO_RESOURCE", f"{code}: {message}")
    if any(word in lowered for word in ("accessdenied", "unauthorized", "forbidden")):
        return DeliveryFailure("NO_PERMISSIONS", f"{code}: {message}")
    if any(word in lowered for word in ("throttl", "toomanyrequests")):
        return DeliveryFailure("THROTTLING", f"{code}: {message}")
    if isinstance(error, ClientError):
        return DeliveryFailure("SDK_CLIENT_ERROR", f"{code}: {message}")
    return DeliveryFailure("INTERNAL_ERROR", f"{code}: {message}")
