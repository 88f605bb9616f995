"""Provisioning the real assembly on moto: each supported resource type exists with its settings; the rest is named."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import boto3
import pytest
from moto import mock_aws

from orchestrator.assembly import CloudAssembly
from orchestrator.local.provision import Provisioner
from schemas.catalog import event_types
from tests.conftest import WHOLE_APP

pytestmark = WHOLE_APP

BUS = "orchestrator-dev"


@pytest.fixture
def provisioner(assembly_dir: Path, aws_credentials: None) -> Iterator[Provisioner]:
    with mock_aws():
        provisioner = Provisioner(boto3.Session())
        provisioner.provision(CloudAssembly(assembly_dir))
        yield provisioner


def test_bus_archive_and_guard_rule_with_its_target_retry_and_dlq(provisioner: Provisioner) -> None:
    events = boto3.client("events")
    assert BUS in [b["Name"] for b in events.list_event_buses()["EventBuses"]]
    (archive,) = events.list_archives()["Archives"]
    assert archive["EventSourceArn"].endswith(f":event-bus/{BUS}")
    assert archive["RetentionDays"] == 7
    rules = {r["Name"]: r for r in events.list_rules(EventBusName=BUS)["Rules"]}
    (guard,) = [name for name in rules if "SchemaGuardEveryEvent" in name]
    assert json.loads(rules[guard]["EventPattern"]) == {"source": [{"anything-but": {"prefix": "aws."}}]}
    (target,) = events.list_targets_by_rule(Rule=guard, EventBusName=BUS)["Targets"]
    assert target["RetryPolicy"] == {"MaximumRetryAttempts": 8, "MaximumEventAgeInSeconds": 3600}
    dlq_name = target["DeadLetterConfig"]["Arn"].rsplit(":", 1)[1]
    assert dlq_name in " ".join(boto3.client("sqs").list_queues()["QueueUrls"])


def test_tables_have_their_keys_and_ttl(provisioner: Provisioner) -> None:
    dynamodb = boto3.client("dynamodb")
    names = dynamodb.list_tables()["TableNames"]
    (control,) = [n for n in names if "WorkflowControl" in n]
    table = dynamodb.describe_table(TableName=control)["Table"]
    assert {k["AttributeName"]: k["KeyType"] for k in table["KeySchema"]} == {"pk": "HASH", "sk": "RANGE"}
    ttl = dynamodb.describe_time_to_live(TableName=control)["TimeToLiveDescription"]
    assert ttl == {"TimeToLiveStatus": "ENABLED", "AttributeName": "expires_at"}
    assert len([n for n in names if n.startswith("Orchestrator-dev-State-")]) == 4


def test_queues_topic_and_log_groups_exist(provisioner: Provisioner) -> None:
    urls = boto3.client("sqs").list_queues()["QueueUrls"]
    assert any("Quarantine" in u for u in urls) and any("DeadLetters" in u for u in urls)
    assert len(boto3.client("sns").list_topics()["Topics"]) == 4, "the alerts of each stack with alarms"
    groups = [g["logGroupName"] for g in boto3.client("logs").describe_log_groups()["logGroups"]]
    # 17 function log groups (3 of them the workflows' admissions), two APIs' access logs, three state machines'.
    assert len(groups) == 22


def test_cross_stack_exports_resolve_in_the_importing_stack(provisioner: Provisioner) -> None:
    exported = set(provisioner.exports.values())
    assert BUS in exported
    assert f"arn:aws:events:us-east-1:123456789012:event-bus/{BUS}" in exported


def test_every_resource_not_created_is_named_in_one_notice(provisioner: Provisioner, assembly_dir: Path) -> None:
    lines = provisioner.notice.lines()
    assert "skipped 25 x AWS::IAM::Role: roles are the IAM adapter's (orchestrator/local/iam)" in lines
    assert "skipped 9 x AWS::KMS::Key: data is not encrypted at rest locally" in lines  # 4 alerts, bus, 4 logs
    assert (
        "skipped 65 x AWS::CloudWatch::Alarm: no CloudWatch metrics are produced locally; count queue depths "
        "instead" in lines
    )  # 20 dead-letter, quarantine and escalation queues (the bus's DLQ too), 17 functions x 2, 3 workflows x 3, 2 APIs
    assert "not supported locally, not created: 17 x AWS::Lambda::Function" in lines
    assert f"not supported locally, not created: {len(event_types())} x AWS::EventSchemas::Schema" in lines
    # Every resource of every template is accounted for: created, or counted in the notice.
    total = sum(len(s.template["Resources"]) for s in CloudAssembly(assembly_dir).stacks())
    noticed = sum(provisioner.notice.skipped.values()) + sum(provisioner.notice.unsupported.values())
    created = sum(len(stack) for stack in provisioner.resources.values()) - noticed
    assert created == 71, "bus, archive, 11 rules, 25 queues, 4 topics, 7 tables, 22 log groups"
    assert created + noticed == total


def test_a_resource_whose_condition_is_false_is_not_created(tmp_path: Path, aws_credentials: None) -> None:
    template = {
        "Parameters": {"Stage": {"Type": "String", "Default": "dev"}},
        "Conditions": {"IsProd": {"Fn::Equals": [{"Ref": "Stage"}, "prod"]}},
        "Resources": {
            "Always": {"Type": "AWS::SQS::Queue", "Properties": {"QueueName": "always"}},
            "ProdOnly": {"Type": "AWS::SQS::Queue", "Condition": "IsProd", "Properties": {"QueueName": "prod-only"}},
        },
    }
    (tmp_path / "Conditional.template.json").write_text(json.dumps(template))
    stack = {"type": "aws:cloudformation:stack", "properties": {"templateFile": "Conditional.template.json"}}
    (tmp_path / "manifest.json").write_text(json.dumps({"artifacts": {"Conditional": stack}}))

    with mock_aws():
        provisioner = Provisioner(boto3.Session())
        provisioner.provision(CloudAssembly(tmp_path))
        urls = boto3.client("sqs").list_queues()["QueueUrls"]

    assert [url.rsplit("/", 1)[1] for url in urls] == ["always"]
    assert set(provisioner.resources["Conditional"]) == {"Always"}
