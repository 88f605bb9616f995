"""The event plane as deployed: bus, archive, bus policy, schema guard, quarantine, DLQs and retry policies."""

from __future__ import annotations

from typing import Any

from schemas.stages import load_stage
from tests.infra.helpers import logical_id, only, resources

DEV = load_stage("dev")


def test_one_custom_bus_encrypted_with_a_rotating_key(templates: dict[str, Any]) -> None:
    plane = templates["EventPlane"]
    bus = only(plane, "AWS::Events::EventBus")
    assert bus["Name"] == DEV.bus_name
    key = plane["Resources"][logical_id(bus["KmsKeyIdentifier"])]
    assert key["Type"] == "AWS::KMS::Key"
    assert key["Properties"]["EnableKeyRotation"] is True


def test_archive_keeps_every_event_of_the_account_for_the_configured_retention(templates: dict[str, Any]) -> None:
    plane = templates["EventPlane"]
    archive = only(plane, "AWS::Events::Archive")
    assert archive["RetentionDays"] == DEV.archive_retention_days
    assert archive["EventPattern"] == {"account": [{"Ref": "AWS::AccountId"}]}
    assert archive["SourceArn"]["Fn::GetAtt"][0] == next(iter(resources(plane, "AWS::Events::EventBus")))


def test_bus_policy_lets_only_this_account_put_events(templates: dict[str, Any]) -> None:
    policies = resources(templates["EventPlane"], "AWS::Events::EventBusPolicy")
    statements = [p["Properties"]["Statement"] for p in policies.values()]
    assert len(statements) == 1, "dev trusts no other account or organization"
    (statement,) = statements
    assert statement["Effect"] == "Allow"
    assert statement["Action"] == "events:PutEvents"
    principal = statement["Principal"]["AWS"]["Fn::Join"][1]
    assert {"Ref": "AWS::AccountId"} in principal and principal[-1] == ":root"


def test_every_rule_target_has_a_dead_letter_queue_and_an_explicit_retry_policy(templates: dict[str, Any]) -> None:
    targets = [
        (stack, target)
        for stack, template in templates.items()
        for rule in resources(template, "AWS::Events::Rule").values()
        for target in rule["Properties"]["Targets"]
    ]
    assert targets, "the app has at least the schema guard's rule"
    for stack, target in targets:
        queues = resources(templates[stack], "AWS::SQS::Queue")
        assert logical_id(target["DeadLetterConfig"]["Arn"]) in queues
        assert target["RetryPolicy"] == {
            "MaximumRetryAttempts": DEV.target_retry.maximum_retry_attempts,
            "MaximumEventAgeInSeconds": DEV.target_retry.maximum_event_age_seconds,
        }


def test_schema_guard_rule_catches_every_event_not_from_an_aws_service(templates: dict[str, Any]) -> None:
    plane = templates["EventPlane"]
    (rule,) = [r for k, r in resources(plane, "AWS::Events::Rule").items() if k.startswith("SchemaGuard")]
    assert rule["Properties"]["EventPattern"] == {"source": [{"anything-but": {"prefix": "aws."}}]}
    (target,) = rule["Properties"]["Targets"]
    function = plane["Resources"][logical_id(target["Arn"])]["Properties"]
    assert function["Handler"] == "functions.schema_guard.handler.handler"
    quarantine = logical_id(function["Environment"]["Variables"]["QUARANTINE_QUEUE_URL"])
    assert plane["Resources"][quarantine]["Type"] == "AWS::SQS::Queue"
    # An event the validator keeps failing on (after Lambda's asynchronous retries) is kept, not dropped.
    failures = logical_id(function["DeadLetterConfig"]["TargetArn"])
    assert plane["Resources"][failures]["Type"] == "AWS::SQS::Queue"
    assert failures not in (quarantine, logical_id(target["DeadLetterConfig"]["Arn"]))


def test_quarantine_and_dead_letter_queues_are_encrypted_and_alarmed(templates: dict[str, Any]) -> None:
    plane = templates["EventPlane"]
    # The event store appender's own queue is a working queue, not one that holds what failed (tests/event_store).
    queues = {k: q for k, q in resources(plane, "AWS::SQS::Queue").items() if not k.startswith("EventStoreAppenderQ")}
    assert len(queues) == 7, (
        "the bus's DLQ, quarantine, the guard's 2 DLQs; the event store's: its queue's and its 2 rule targets'"
    )
    alarmed = {
        logical_id(dimension["Value"])
        for alarm in resources(plane, "AWS::CloudWatch::Alarm").values()
        for dimension in alarm["Properties"]["Dimensions"]
    }
    for queue_id, queue in queues.items():
        assert queue["Properties"]["SqsManagedSseEnabled"] is True
        assert queue_id in alarmed, f"{queue_id} has no depth alarm"
    alarm_topics = {
        logical_id(action)
        for alarm in resources(plane, "AWS::CloudWatch::Alarm").values()
        for action in alarm["Properties"]["AlarmActions"]
    }
    assert alarm_topics == set(resources(plane, "AWS::SNS::Topic"))
    assert "KmsMasterKeyId" in only(plane, "AWS::SNS::Topic")


def test_functions_run_the_shared_asset_with_the_pinned_powertools_layer(templates: dict[str, Any]) -> None:
    functions = [f for t in templates.values() for f in resources(t, "AWS::Lambda::Function").values()]
    # schema guard, event store, ingest, triage, synthesis, agents, callback, 3 saga services, the correlator's 2,
    # the onboarding agents (of the customer-onboarding DAG), and each of the three workflows' admission
    assert len(functions) == 16
    keys = {f["Properties"]["Code"]["S3Key"] for f in functions}
    assert len(keys) == 1, "one code asset holds functions/ and schemas/"
    for function in functions:
        props = function["Properties"]
        assert props["Layers"] == [
            f"{{{{resolve:ssm:/aws/service/powertools/python/x86_64/python3.13/{DEV.powertools_version}}}}}"
        ]
        assert props["TracingConfig"] == {"Mode": "Active"}
