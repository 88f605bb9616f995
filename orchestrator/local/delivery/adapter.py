"""`Delivery`: moto's rule delivery routed through this package, and each delivery's lifecycle to its outcome.

moto 5.2.5 delivers every matched event in `moto.events.models.Rule.send_to_targets`, the one seam that PutEvents,
archive replays and S3 notifications all go through, and there it delivers for DISABLED rules too, and a rule with
only a ScheduleExpression matches every event. `Delivery.install()` wraps that method (a seam declared in
orchestrator/local/seams/services.py); rules match with the local pattern engine (orchestrator/local/patterns.py, the
one PutRule and TestEventPattern use: `rules.RulePatterns`), not moto's. Per matched event and target it sends the
event (`targets`), retries a failed attempt and dead-letters what is given up (`retries`). Once the runtime stops
(`Activity.stopping`), a delivery still waiting for a retry, or not yet started, is abandoned without reaching its
target: it must not outlive the runtime and write into the next one's moto.
Every outcome is recorded in `Delivery.deliveries`.
"""

from __future__ import annotations

import functools
import logging
import random
import threading
from dataclasses import dataclass
from typing import Any, Literal

from orchestrator.local.delivery.inputs import dumps, event_json
from orchestrator.local.delivery.retries import (
    DeliveryFailure,
    RetryPolicy,
    backoff,
    classify,
    dead_letter_attributes,
)
from orchestrator.local.delivery.targets import ASYNCHRONOUS_TARGETS, Job, SendToTargets, Targets, target_kind
from orchestrator.local.lambda_port import LambdaPort
from orchestrator.local.patterns import InvalidEventPattern, compile_pattern
from orchestrator.local.provision import Creator
from orchestrator.local.runtime import Runtime
from orchestrator.local.seams import SeamAdapter, SeamSet
from orchestrator.local.seams import services as declared

logger = logging.getLogger(__name__)

# "abandoned": the runtime stopped before the event reached its target (it was neither delivered nor given up).
Outcome = Literal["delivered", "dead-lettered", "dropped", "abandoned"]


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


class Delivery(SeamAdapter):
    """Delivers what EventBridge rules match, to every kind of target the local runtime runs. Once uninstalled,
    deliveries already under way finish."""

    def __init__(self, runtime: Runtime, lambdas: LambdaPort, *, rng: random.Random | None = None) -> None:
        self._runtime = runtime
        self._targets = Targets(runtime, lambdas)
        self._rng = rng or random.Random()
        self._lock = threading.Lock()
        self._deliveries: list[DeliveryRecord] = []

    @property
    def deliveries(self) -> list[DeliveryRecord]:
        """Every delivery that has ended so far, in the order they ended."""
        with self._lock:
            return list(self._deliveries)

    def creators(self) -> dict[str, Creator]:
        """Rules and targets are provisioned as they are; delivery needs no resource of its own."""
        return {}

    def _seam_set(self) -> SeamSet:
        """moto's rule delivery routed through this adapter; one Delivery is installed at a time."""

        def delivering(original: SendToTargets) -> SendToTargets:
            self._targets.moto_send = original

            def send_to_targets(rule: Any, original_event: Any, transform_input: bool = True) -> None:
                self._on_event(rule, original_event, transform_input)

            return send_to_targets

        seam_set = SeamSet("Delivery", exclusive=True)
        seam_set.wrap(declared.EVENTS_DELIVERY, delivering)
        return seam_set

    def _on_event(self, rule: Any, moto_event: Any, transform_input: bool) -> None:
        if rule.state == "DISABLED":
            return
        pattern = rule.event_pattern.get_pattern()
        if not pattern and rule.scheduled_expression:
            return  # a schedule-only rule runs on its schedule; it matches no event
        event = event_json(moto_event)
        if pattern and not self._matches(rule, event):
            return
        received_at = self._runtime.clock.now()
        faults = self._runtime.faults
        for target in list(rule.targets):
            job = Job(rule, target, event, moto_event, transform_input, received_at)
            # Injected faults may deliver an event twice, or late (orchestrator/local/faults.py).
            for delay in [0.0] if faults is None else faults.event_delays(rule.name, job.target_arn, event):
                if delay > 0:
                    self._runtime.clock.call_later(delay, functools.partial(self._dispatch, job))
                else:
                    self._dispatch(job)

    @staticmethod
    def _matches(rule: Any, event: dict[str, Any]) -> bool:
        """The local pattern engine's answer (orchestrator/local/patterns.py), not moto's."""
        try:
            return compile_pattern(rule.event_pattern.dump() or "{}").matches(event)
        except InvalidEventPattern as invalid:  # a rule from before the PutRule seam: it matches nothing, as on AWS
            logger.warning("eventbridge rule %s has an invalid pattern: %s", rule.name, invalid.reason)
            return False

    def _dispatch(self, job: Job) -> None:
        """Delivers now to a synchronous target, on a background thread to an asynchronous one."""
        if target_kind(job.target_arn) not in ASYNCHRONOUS_TARGETS:
            self._deliver(job, may_wait=False)
        elif not self._runtime.activity.submit(job.work_name, self._deliver, job):
            self._record(job, 0, "abandoned")

    def _deliver(self, job: Job, *, may_wait: bool = True) -> None:
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

    def _retry(self, job: Job, failure: DeliveryFailure) -> None:
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
            if clock.wait(stopping, min(backoff(attempts, self._rng), deadline - clock.now())):
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

    def _attempt(self, job: Job) -> DeliveryFailure | None:
        try:
            self._targets.send(job)
        except DeliveryFailure as failure:
            return failure
        except NotImplementedError:
            raise  # a target moto cannot deliver to (SNS, Kinesis, ...): as loud as moto makes it
        except Exception as error:  # noqa: BLE001 - every error of a target is a failed delivery, recorded
            classified = classify(error)
            logger.warning("eventbridge delivery to %s failed: %s", job.target_arn, classified, exc_info=error)
            return classified
        return None

    def _give_up(self, job: Job, attempts: int, failure: DeliveryFailure, exhausted: str | None) -> None:
        dead_letter_arn = (job.target.get("DeadLetterConfig") or {}).get("Arn")
        if not dead_letter_arn:
            self._record(job, attempts, "dropped", failure)
            return
        attributes = dead_letter_attributes(job.rule.arn, job.target_arn, attempts, failure, exhausted)
        try:
            self._targets.send_message(dead_letter_arn, dumps(job.event), MessageAttributes=attributes)
        except Exception as error:  # noqa: BLE001 - AWS counts it (InvocationsFailedToBeSentToDLQ) and drops the event
            logger.warning("eventbridge dead letter to %s failed", dead_letter_arn, exc_info=error)
            lost = DeliveryFailure(failure.code, f"{failure.message}; not dead-lettered: {error}")
            self._record(job, attempts, "dropped", lost)
            return
        self._record(job, attempts, "dead-lettered", failure)

    def _record(self, job: Job, attempts: int, outcome: Outcome, failure: DeliveryFailure | None = None) -> None:
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
