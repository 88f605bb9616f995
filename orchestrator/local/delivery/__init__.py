"""EventBridge rule delivery as AWS does it, where moto 5.2.5 falls short.

moto delivers every matched event in `moto.events.models.Rule.send_to_targets` (PutEvents, archive replays and S3
notifications all go through it), and there it delivers for DISABLED rules, matches every event with a schedule-only
rule, ignores a target's input settings, raises NotImplementedError for Step Functions and Lambda targets, and ignores
`RetryPolicy` and `DeadLetterConfig`. This package, through one seam declared in orchestrator/local/seams:

- `inputs`: the event and each target's input (`Input`, `InputPath`, `InputTransformer`) as EventBridge builds them;
- `targets`: one attempt at sending an event to a target, by the kind its ARN names;
- `retries`: the RetryPolicy, backoff with jitter on the runtime clock, which failures are retried, dead letters'
  attributes;
- `adapter`: `Delivery`, which installs the seam and takes each matched event to its outcome (`DeliveryRecord`);
- `rules`: `RulePatterns`, whose two seams make PutRule refuse a malformed pattern and TestEventPattern answer, both by
  the local pattern engine (orchestrator/local/patterns.py), the one that delivery matches with.
"""

from __future__ import annotations

from orchestrator.local.delivery.adapter import Delivery, DeliveryRecord, Outcome
from orchestrator.local.delivery.inputs import event_json, render_template, select, target_input
from orchestrator.local.delivery.retries import (
    BACKOFF_BASE_SECONDS,
    BACKOFF_CAP_SECONDS,
    DEFAULT_MAXIMUM_EVENT_AGE_SECONDS,
    DEFAULT_MAXIMUM_RETRY_ATTEMPTS,
    NOT_RETRIED,
    DeliveryFailure,
    RetryPolicy,
)
from orchestrator.local.delivery.rules import RulePatterns, event_pattern_result, pattern_error
from orchestrator.local.delivery.targets import ASYNCHRONOUS_TARGETS, TargetKind, target_kind

__all__ = [
    "ASYNCHRONOUS_TARGETS",
    "BACKOFF_BASE_SECONDS",
    "BACKOFF_CAP_SECONDS",
    "DEFAULT_MAXIMUM_EVENT_AGE_SECONDS",
    "DEFAULT_MAXIMUM_RETRY_ATTEMPTS",
    "NOT_RETRIED",
    "Delivery",
    "DeliveryFailure",
    "DeliveryRecord",
    "Outcome",
    "RetryPolicy",
    "RulePatterns",
    "TargetKind",
    "event_json",
    "pattern_error",
    "render_template",
    "select",
    "target_input",
    "target_kind",
    "event_pattern_result",
]
