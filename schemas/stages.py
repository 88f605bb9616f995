"""Per-stage configuration: one file (`config/stages.json`) holds names, retention, retry and alarm settings.

The stage is chosen with CDK context (`cdk deploy -c stage=prod`, default `dev`). The file is validated once,
with errors that name the stage and the field.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints, ValidationError, model_validator

CONFIG_FILE = Path(__file__).resolve().parent.parent / "config" / "stages.json"
DEFAULT_STAGE = "dev"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class TargetRetry(_Strict):
    """Retry policy of every EventBridge rule target (then the target's DLQ)."""

    maximum_retry_attempts: int = Field(ge=0, le=185)
    maximum_event_age_seconds: int = Field(ge=60, le=86_400)


class Alarms(_Strict):
    """Thresholds of the alarms: messages waiting in a queue; workflow executions per period (Sum) that ended
    failed, timed out or aborted; each function's errors and throttled invocations per period (Sum); each API's
    5XX responses per period (Sum). Every alarm has the same period and evaluation periods."""

    quarantine_depth: int = Field(ge=1)
    dead_letter_depth: int = Field(ge=1)
    executions_failed: int = Field(ge=1)
    executions_timed_out: int = Field(ge=1)
    executions_aborted: int = Field(ge=1)
    # The saga's services raise their business failures (OutOfStock, a declined payment): Lambda counts those as
    # errors too, so the default lets a few through per period rather than paging on one declined card.
    function_errors: int = Field(default=5, ge=1)
    function_throttles: int = Field(default=1, ge=1)
    api_server_errors: int = Field(default=1, ge=1)
    evaluation_periods: int = Field(ge=1)
    period_seconds: int = Field(ge=10)


_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s.]+$")
_HTTPS = re.compile(r"^https://[^\s/?#]+[^\s]*$")
_SNS_TOPIC_ARN = re.compile(r"^arn:aws[a-z-]*:sns:[a-z0-9-]+:\d{12}:[A-Za-z0-9_-]{1,256}(\.fifo)?$")


def _matching(pattern: re.Pattern[str], what: str, example: str) -> AfterValidator:
    def check(value: str) -> str:
        if not pattern.fullmatch(value):
            raise ValueError(f"{value!r} is not {what} (like {example})")
        return value

    return AfterValidator(check)


Email = Annotated[str, _matching(_EMAIL, "an email address", "ops@example.com")]
HttpsEndpoint = Annotated[str, _matching(_HTTPS, "an https:// URL", "https://alerts.example.com/hook")]
SnsTopicArn = Annotated[
    str, _matching(_SNS_TOPIC_ARN, "an SNS topic ARN", "arn:aws:sns:eu-west-1:123456789012:on-call")
]


class AlertSubscriptions(_Strict):
    """Who hears the stage's alarms: every alerts topic of the stage (one per stack that has alarms) gets each of
    these as a subscription. An email address or HTTPS endpoint must confirm its subscription (AWS sends the
    confirmation at deploy); an SNS topic (of any account whose policy lets this one subscribe) needs none."""

    emails: list[Email] = Field(default_factory=list)
    https_endpoints: list[HttpsEndpoint] = Field(default_factory=list)
    sns_topic_arns: list[SnsTopicArn] = Field(default_factory=list)

    @property
    def empty(self) -> bool:
        """No one is subscribed: the stage's alarms would notify no one."""
        return not (self.emails or self.https_endpoints or self.sns_topic_arns)


class Throttling(_Strict):
    rate_limit: float = Field(gt=0)
    burst_limit: int = Field(ge=1)


class Functions(_Strict):
    memory_mb: int = Field(ge=128, le=10_240)
    timeout_seconds: int = Field(ge=1, le=900)
    log_level: str = Field(pattern=r"^(DEBUG|INFO|WARNING|ERROR)$")


class Consumers(_Strict):
    """SQS-backed consumers (agents, callbacks): messages per invocation, and receives before the DLQ."""

    batch_size: int = Field(ge=1, le=10)
    max_receive_count: int = Field(ge=1, le=1000)


class WorkflowBreaker(_Strict):
    """A circuit breaker around a call inside a workflow (asl/breaker_steps.py), with the rules of
    schemas/breaker_rules.py, as the handlers' library (functions/breaker): `failure_threshold` failures within
    `window_seconds` open it; after `cooldown_seconds` one probe goes through; a probe silent for
    `probe_timeout_seconds` may be claimed again."""

    failure_threshold: int = Field(ge=1, le=1000)
    window_seconds: int = Field(ge=1, le=86_400)
    cooldown_seconds: int = Field(ge=1, le=86_400)
    probe_timeout_seconds: int = Field(ge=1, le=86_400)


class AgentPipeline(_Strict):
    """The support-ticket agent pipeline: how long a specialist may work and how often it must show it is alive,
    the breaker that stops dispatching to a failing specialist, and how long a drafted reply waits for approval."""

    # Bounds of AgentTaskRequested.timeout_seconds / heartbeat_seconds, which carry these values to the agents.
    agent_timeout_seconds: int = Field(ge=1, le=31_536_000)
    agent_heartbeat_seconds: int = Field(ge=1, le=31_536_000)
    max_concurrency: int = Field(ge=1, le=40)
    # Which `Reasoner` the agents think with (`functions.agents.reasoning.REASONERS`); `offline` is deterministic.
    reasoner: Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9-]{0,31}$")]
    # One breaker per specialist (`agent:<name>`); an open one skips the specialist (fallback record).
    specialist_breaker: WorkflowBreaker
    # How long a drafted reply waits for ApprovalDecided before the ticket is escalated.
    approval_timeout_seconds: int = Field(ge=1, le=31_536_000)

    @model_validator(mode="after")
    def _heartbeat_within_timeout(self) -> AgentPipeline:
        # A heartbeat interval as long as the timeout can never fire first: Step Functions would only ever time out.
        if self.agent_heartbeat_seconds >= self.agent_timeout_seconds:
            raise ValueError("agent_heartbeat_seconds must be less than agent_timeout_seconds")
        return self


class SagaRetry(_Strict):
    """A Retry of the order saga: the first interval, how many attempts, and the longest wait between two (the
    interval doubles each attempt, with full jitter)."""

    interval_seconds: int = Field(ge=1, le=3600)
    max_attempts: int = Field(ge=0, le=99_999_999)
    max_delay_seconds: int = Field(ge=1, le=31_622_400)

    @model_validator(mode="after")
    def _delay_at_least_interval(self) -> SagaRetry:
        if self.max_delay_seconds < self.interval_seconds:
            raise ValueError("max_delay_seconds must be at least interval_seconds")
        return self


class OrderSaga(_Strict):
    """The order saga: retries of its steps' transient failures, and of its compensations before they escalate."""

    transient_retry: SagaRetry
    compensation_retry: SagaRetry


class Correlation(_Strict):
    """The correlator (functions/correlator): how long a message nobody waits for yet stays buffered."""

    message_ttl_seconds: int = Field(ge=1, le=31_536_000)


class StageConfig(_Strict):
    stage: str
    bus_name: Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9._\-]{1,256}$")]
    archive_retention_days: int = Field(ge=0)
    # How long the event store keeps an event (its items' TTL, from when it was appended). dev 30: long enough to look
    # back on a month of test runs, short enough that nothing piles up; prod 365: as long as the bus archive keeps the
    # events it could replay, so a replayed process can still be read from the store (`orch history`, replay-test).
    event_store_retention_days: int = Field(ge=1, le=3650)
    trusted_account_ids: list[Annotated[str, StringConstraints(pattern=r"^\d{12}$")]] = Field(default_factory=list)
    trusted_organization_id: Annotated[str, StringConstraints(pattern=r"^o-[a-z0-9]{10,32}$")] | None = None
    log_retention_days: int = Field(ge=1)
    destroy_on_removal: bool
    target_retry: TargetRetry
    alarms: Alarms
    alert_subscriptions: AlertSubscriptions = Field(default_factory=AlertSubscriptions)
    ingest_throttling: Throttling
    functions: Functions
    consumers: Consumers
    agent_pipeline: AgentPipeline
    order_saga: OrderSaga
    correlation: Correlation
    powertools_version: Annotated[str, StringConstraints(pattern=r"^\d+\.\d+\.\d+$")]

    @property
    def prefix(self) -> str:
        """Prefix of the stage's stack names."""
        return f"Orchestrator-{self.stage}"

    @property
    def metrics_namespace(self) -> str:
        """The CloudWatch namespace of the stage's own metrics: the functions' (Powertools) and the workflows'."""
        return f"Orchestrator/{self.stage}"

    @property
    def consumer_visibility_timeout_seconds(self) -> int:
        """An SQS consumer's queue visibility timeout: AWS's advice for an event source, six times the function's
        timeout, so a message is not handed to another poller while its batch is still being processed."""
        return 6 * self.functions.timeout_seconds

    @property
    def idempotency_expiry_seconds(self) -> int:
        """How long the functions' idempotency records live (Powertools `expires_after_seconds`): at least the
        longest window in which a caller may retry or redeliver the same call, rounded up to the hour. The saga
        retries a service call over its retry policy (each attempt up to the function's timeout); an event reaches
        an agent's consumer again as long as EventBridge retries its delivery, or its queue hands it out again."""
        timeout = self.functions.timeout_seconds
        saga = max(
            retry_window_seconds(p.max_attempts, p.interval_seconds, 2.0, p.max_delay_seconds)
            + (p.max_attempts + 1) * timeout
            for p in (self.order_saga.transient_retry, self.order_saga.compensation_retry)
        )
        consumers = max(
            self.target_retry.maximum_event_age_seconds,
            self.consumers.max_receive_count * self.consumer_visibility_timeout_seconds,
        )
        return -(-max(saga, consumers) // 3600) * 3600


def retry_window_seconds(max_attempts: int, interval: float, backoff: float, max_delay: float) -> int:
    """The longest a Step Functions Retry waits in all: each retry's delay grows by `backoff` from `interval`,
    capped at `max_delay` (full jitter waits less, never more)."""
    return int(sum(min(interval * backoff**attempt, max_delay) for attempt in range(max_attempts)) + 0.999)


class ConfigError(ValueError):
    """The stage configuration is missing or invalid."""


def load_stage(stage: str = DEFAULT_STAGE, path: Path = CONFIG_FILE) -> StageConfig:
    """The validated configuration of `stage` from `path`."""
    stages = json.loads(path.read_text(encoding="utf-8"))
    if stage not in stages:
        raise ConfigError(f"{path.name}: no stage {stage!r}; stages: {', '.join(sorted(stages))}")
    try:
        return StageConfig.model_validate({"stage": stage, **stages[stage]})
    except ValidationError as error:
        fields = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in error.errors())
        raise ConfigError(f"{path.name}: stage {stage!r}: {fields}") from None
