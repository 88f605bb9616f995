"""Every rule target gets an explicit retry policy from the stage config and its own alarmed dead-letter queue."""

from __future__ import annotations

from typing import Any

from aws_cdk import Duration
from constructs import Construct

from infra.constructs.alerts import AlarmedQueue, AlertsTopic
from schemas.stages import StageConfig


def reliable_target_options(
    scope: Construct, construct_id: str, *, config: StageConfig, alerts: AlertsTopic
) -> dict[str, Any]:
    """Keyword arguments for an `aws_events_targets` target: retries, maximum event age and a dead-letter queue."""
    dead_letters = AlarmedQueue(
        scope, construct_id, config=config, alerts=alerts, threshold=config.alarms.dead_letter_depth
    )
    return {
        "dead_letter_queue": dead_letters.queue,
        "retry_attempts": config.target_retry.maximum_retry_attempts,
        "max_event_age": Duration.seconds(config.target_retry.maximum_event_age_seconds),
    }
