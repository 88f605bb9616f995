"""Every function's idempotency records outlive the retries of their callers (functions/idempotency.py): read from
the synthesized template (the saga's Retry fields, the consumers' rule targets and queues), not from the config."""

from __future__ import annotations

import json
from typing import Any

import pytest

from schemas.stages import load_stage, retry_window_seconds
from tests.infra.helpers import logical_id, resources


def expiry(function: dict[str, Any]) -> int:
    return int(function["Properties"]["Environment"]["Variables"]["IDEMPOTENCY_EXPIRY_SECONDS"])


def test_the_saga_services_records_outlive_every_retry_of_the_saga(templates: dict[str, Any]) -> None:
    workflows = templates["Workflows"]
    functions = resources(workflows, "AWS::Lambda::Function")
    (saga,) = [
        m["Properties"] for k, m in resources(workflows, "AWS::StepFunctions::StateMachine").items() if "OrderSaga" in k
    ]
    substitutions = saga["DefinitionSubstitutions"]
    windows: dict[str, int] = {}
    for state in json.loads(saga["DefinitionString"])["States"].values():
        name = str(state.get("Arguments", {}).get("FunctionName", ""))
        if not name.startswith("${") or "Admission" in name:
            continue
        function = functions[logical_id(substitutions[name[2:-1]])]
        if "IDEMPOTENCY_EXPIRY_SECONDS" not in function["Properties"]["Environment"]["Variables"]:
            continue  # keeps no idempotency records (the correlator's Register, when a pause holds the saga)
        timeout = function["Properties"]["Timeout"]
        for retrier in state.get("Retry", []):
            # ASL's defaults where a field is left out: 3 attempts, 1 s apart, doubling, no cap.
            attempts = retrier.get("MaxAttempts", 3)
            delays = retry_window_seconds(
                attempts,
                retrier.get("IntervalSeconds", 1),
                retrier.get("BackoffRate", 2.0),
                retrier.get("MaxDelaySeconds", 10**9),
            )
            window = delays + (attempts + 1) * timeout
            key = logical_id(substitutions[name[2:-1]])
            windows[key] = max(windows.get(key, 0), window)
    assert len(windows) == 3  # inventory, payments, shipping
    for function_id, window in windows.items():
        assert expiry(functions[function_id]) >= window, function_id


def test_the_consumers_records_outlive_every_redelivery_of_their_events(templates: dict[str, Any]) -> None:
    workflows = templates["Workflows"]
    queues = resources(workflows, "AWS::SQS::Queue")
    mappings = resources(workflows, "AWS::Lambda::EventSourceMapping")
    functions = resources(workflows, "AWS::Lambda::Function")
    targets = {
        logical_id(t["Arn"]): t
        for rule in resources(workflows, "AWS::Events::Rule").values()
        for t in rule["Properties"]["Targets"]
        if "Arn" in t and "Fn::GetAtt" in t["Arn"]
    }
    checked = 0
    for mapping in mappings.values():
        function = functions[logical_id(mapping["Properties"]["FunctionName"])]
        if "IDEMPOTENCY_EXPIRY_SECONDS" not in function["Properties"]["Environment"]["Variables"]:
            continue  # keeps no records (the correlator's deliveries: its items are its own)
        queue_id = logical_id(mapping["Properties"]["EventSourceArn"])
        queue = queues[queue_id]["Properties"]
        handed_out = queue["RedrivePolicy"]["maxReceiveCount"] * queue["VisibilityTimeout"]
        event_age = targets[queue_id]["RetryPolicy"]["MaximumEventAgeInSeconds"]
        assert expiry(function) >= max(handed_out, event_age), queue_id
        checked += 1
    assert checked == 3  # the agents, the callbacks, the onboarding agents


@pytest.mark.parametrize("stage", ["dev", "prod"])
def test_each_stage_keeps_records_past_its_longest_retry(stage: str) -> None:
    config = load_stage(stage)
    compensation = config.order_saga.compensation_retry
    longest_saga_retry = retry_window_seconds(
        compensation.max_attempts, compensation.interval_seconds, 2, compensation.max_delay_seconds
    )
    assert config.idempotency_expiry_seconds >= longest_saga_retry
    assert config.idempotency_expiry_seconds >= config.target_retry.maximum_event_age_seconds
    # prod: 20 refund attempts up to an hour apart (about 11.4 h), and EventBridge retrying a delivery for a day.
    assert (stage, config.idempotency_expiry_seconds) in {("dev", 3600), ("prod", 86_400)}
