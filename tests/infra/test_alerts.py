"""Alarms that arrive (issue 17, item 6), walked over the synthesized stacks.

Every alarm notifies its stack's alerts topic, which has the stage's subscriptions and a policy letting this account's
CloudWatch alarms publish; every function alarms on its errors and throttles, every API on its 5XX; the bus has its
own dead-letter queue, alarmed and writable by EventBridge for that bus only; a production stage keeps its queues and
tables, and is refused when no one would hear its alarms.

The walks run on the prod stage synthesized with subscriptions (the shipped file names none) and on the session's dev
synth.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from aws_cdk import App, Stack
from aws_cdk.assertions import Annotations, Match

from infra.app import build_stacks
from infra.constructs.alerts import AlertsTopic
from schemas.stages import AlertSubscriptions, StageConfig, load_stage
from tests.infra.helpers import logical_id, resources

Templates = dict[str, dict[str, Any]]

EMAIL = "on-call@example.com"
HOOK = "https://alerts.example.com/orchestrator"
ON_CALL_TOPIC = "arn:aws:sns:us-east-1:111122223333:on-call"
SUBSCRIBED = AlertSubscriptions(emails=[EMAIL], https_endpoints=[HOOK], sns_topic_arns=[ON_CALL_TOPIC])
PROD = load_stage("prod").model_copy(update={"alert_subscriptions": SUBSCRIBED})
THIS_ACCOUNT = {"Ref": "AWS::AccountId"}


def _stacks(outdir: Path) -> Templates:
    return {
        path.name.removesuffix(".template.json").split("-", 2)[2]: json.loads(path.read_text(encoding="utf-8"))
        for path in sorted(outdir.glob("*.template.json"))
    }


@pytest.fixture(scope="module")
def prod(tmp_path_factory: pytest.TempPathFactory) -> Templates:
    """The prod stage with an email, an HTTPS endpoint and an on-call topic to alert, by short stack name."""
    outdir = tmp_path_factory.mktemp("cdk.out.prod")
    app = App(outdir=str(outdir))
    build_stacks(app, PROD)
    app.synth()
    return _stacks(outdir)


@pytest.fixture(scope="module")
def dev(assembly_dir: Path) -> Templates:
    """Every stack of the session's dev synth, the Control stack included."""
    return _stacks(assembly_dir)


def _alarms(template: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {k: a["Properties"] for k, a in resources(template, "AWS::CloudWatch::Alarm").items()}


def _cloudwatch_may_publish(template: dict[str, Any], topic: str) -> bool:
    """The topic's policy lets CloudWatch publish to it, for this account's alarms only."""
    for policy in resources(template, "AWS::SNS::TopicPolicy").values():
        if {"Ref": topic} not in policy["Properties"]["Topics"]:
            continue
        for statement in policy["Properties"]["PolicyDocument"]["Statement"]:
            if (statement["Effect"], statement.get("Principal"), statement["Action"]) != (
                "Allow",
                {"Service": "cloudwatch.amazonaws.com"},
                "sns:Publish",
            ):
                continue
            condition = statement.get("Condition", {})
            source_arn = json.dumps(condition.get("ArnLike", {}).get("aws:SourceArn"))
            if condition.get("StringEquals", {}).get("aws:SourceAccount") == THIS_ACCOUNT and ":alarm:*" in source_arn:
                return True
    return False


def _subscriptions(template: dict[str, Any], topic: str) -> set[tuple[str, str]]:
    return {
        (s["Properties"]["Protocol"], s["Properties"]["Endpoint"])
        for s in resources(template, "AWS::SNS::Subscription").values()
        if s["Properties"]["TopicArn"] == {"Ref": topic}
    }


def test_every_alarm_notifies_a_subscribed_topic_that_this_accounts_cloudwatch_may_publish_to(
    prod: Templates,
) -> None:
    walked = 0
    for name, template in prod.items():
        topics = set(resources(template, "AWS::SNS::Topic"))
        for alarm_id, alarm in _alarms(template).items():
            own = [logical_id(a) for a in alarm["AlarmActions"] if isinstance(a, dict) and "Ref" in a]
            forwarded = [a for a in alarm["AlarmActions"] if isinstance(a, str)]
            assert len(own) == 1 and set(own) <= topics, f"{name}/{alarm_id}: {alarm['AlarmActions']}"
            assert forwarded == [ON_CALL_TOPIC], f"{name}/{alarm_id} does not reach the on-call topic"
            (topic,) = own
            assert _subscriptions(template, topic) == {("email", EMAIL), ("https", HOOK)}, f"{name}/{topic}"
            assert _cloudwatch_may_publish(template, topic), f"{name}/{topic}: CloudWatch may not publish"
            walked += 1

    assert {name for name, template in prod.items() if _alarms(template)} == {
        "EventPlane",
        "Ingestion",
        "Workflows",
        "Control",
    }
    assert walked == sum(len(_alarms(t)) for t in prod.values()) > 0


def test_each_alerts_key_lets_cloudwatch_use_it_for_this_accounts_alarms_only(prod: Templates) -> None:
    for name, template in prod.items():
        for topic in resources(template, "AWS::SNS::Topic").values():
            key = template["Resources"][logical_id(topic["Properties"]["KmsMasterKeyId"])]
            (statement,) = [
                s
                for s in key["Properties"]["KeyPolicy"]["Statement"]
                if s.get("Principal") == {"Service": "cloudwatch.amazonaws.com"}
            ]
            assert statement["Condition"] == {"StringEquals": {"aws:SourceAccount": THIS_ACCOUNT}}, name
            assert set(statement["Action"]) == {"kms:Decrypt", "kms:GenerateDataKey*"}


@pytest.mark.parametrize("stage", ["dev", "prod"])
def test_every_function_alarms_on_its_errors_and_its_throttles(dev: Templates, prod: Templates, stage: str) -> None:
    config: StageConfig = PROD if stage == "prod" else load_stage("dev")
    thresholds = {"Errors": config.alarms.function_errors, "Throttles": config.alarms.function_throttles}
    templates = prod if stage == "prod" else dev
    functions = 0
    for name, template in templates.items():
        alarmed: dict[tuple[str, str], dict[str, Any]] = {}
        for alarm in _alarms(template).values():
            if alarm.get("Namespace") == "AWS/Lambda":
                (dimension,) = alarm["Dimensions"]
                assert dimension["Name"] == "FunctionName"
                alarmed[logical_id(dimension["Value"]), alarm["MetricName"]] = alarm
        for function in resources(template, "AWS::Lambda::Function"):
            functions += 1
            for metric, threshold in thresholds.items():
                assert (function, metric) in alarmed, f"{name}/{function} has no {metric} alarm"
                alarm = alarmed[function, metric]
                assert (alarm["Statistic"], alarm["Threshold"], alarm["Period"]) == (
                    "Sum",
                    threshold,
                    config.alarms.period_seconds,
                )
        assert len(alarmed) == 2 * len(resources(template, "AWS::Lambda::Function")), "two alarms per function"

    assert functions == 17  # 14 of the app and each workflow's admission


def test_each_api_alarms_on_the_5xx_of_its_stage(prod: Templates) -> None:
    apis = 0
    for name, template in prod.items():
        stages = resources(template, "AWS::ApiGateway::Stage")
        for api_id, api in resources(template, "AWS::ApiGateway::RestApi").items():
            apis += 1
            (stage_id,) = [k for k, s in stages.items() if logical_id(s["Properties"]["RestApiId"]) == api_id]
            (alarm,) = [
                a
                for a in _alarms(template).values()
                if (a.get("Namespace"), a.get("MetricName")) == ("AWS/ApiGateway", "5XXError")
            ]
            assert alarm["Dimensions"] == [
                {"Name": "ApiName", "Value": api["Properties"]["Name"]},
                {"Name": "Stage", "Value": {"Ref": stage_id}},
            ], name
            assert (alarm["Statistic"], alarm["Threshold"]) == ("Sum", PROD.alarms.api_server_errors)

    assert apis == 2, "ingest and control"


def test_the_bus_has_a_dead_letter_queue_that_alarms_and_only_this_bus_may_write_to(prod: Templates) -> None:
    plane = prod["EventPlane"]
    ((bus_id, bus),) = resources(plane, "AWS::Events::EventBus").items()
    queue_id = logical_id(bus["Properties"]["DeadLetterConfig"]["Arn"])
    queue = plane["Resources"][queue_id]

    assert queue["Type"] == "AWS::SQS::Queue" and queue["Properties"]["SqsManagedSseEnabled"] is True
    depth = [
        a
        for a in _alarms(plane).values()
        if a.get("MetricName") == "ApproximateNumberOfMessagesVisible"
        and a["Dimensions"] == [{"Name": "QueueName", "Value": {"Fn::GetAtt": [queue_id, "QueueName"]}}]
    ]
    assert len(depth) == 1 and depth[0]["Threshold"] == PROD.alarms.dead_letter_depth
    allowed = [
        statement
        for policy in resources(plane, "AWS::SQS::QueuePolicy").values()
        if {"Ref": queue_id} in policy["Properties"]["Queues"]
        for statement in policy["Properties"]["PolicyDocument"]["Statement"]
        if statement["Effect"] == "Allow"
    ]
    assert allowed == [
        {
            "Action": "sqs:SendMessage",
            "Condition": {"ArnEquals": {"aws:SourceArn": {"Fn::GetAtt": [bus_id, "Arn"]}}},
            "Effect": "Allow",
            "Principal": {"Service": "events.amazonaws.com"},
            "Resource": {"Fn::GetAtt": [queue_id, "Arn"]},
            "Sid": "EventBridgeBusDeadLetters",
        }
    ]


@pytest.mark.parametrize(("stage", "policy"), [("prod", "Retain"), ("dev", "Delete")])
def test_a_stage_that_keeps_its_data_keeps_every_queue_and_table(
    dev: Templates, prod: Templates, stage: str, policy: str
) -> None:
    templates = prod if stage == "prod" else dev
    kept = {
        f"{name}/{k}": (r.get("DeletionPolicy"), r.get("UpdateReplacePolicy"))
        for name, template in templates.items()
        for k, r in template["Resources"].items()
        if r["Type"] in ("AWS::SQS::Queue", "AWS::DynamoDB::Table")
    }

    assert len(kept) == 32, "25 queues, 7 tables"
    assert {k: v for k, v in kept.items() if v != (policy, policy)} == {}


def _topic_annotations(config: StageConfig) -> Annotations:
    stack = Stack(App(), "Alerting")
    AlertsTopic(stack, "Alerts", config=config)
    return Annotations.from_stack(stack)


def test_a_stage_that_keeps_its_data_and_alerts_no_one_is_refused() -> None:
    shipped = load_stage("prod")
    assert shipped.alert_subscriptions.empty and not shipped.destroy_on_removal

    refused = _topic_annotations(shipped)
    refused.has_error("/Alerting/Alerts", Match.string_like_regexp("alert_subscriptions of stage prod"))


def test_a_stage_destroyed_with_its_stacks_is_only_warned_and_a_subscribed_one_not_at_all() -> None:
    dev = load_stage("dev")
    _topic_annotations(dev).has_warning("/Alerting/Alerts", Match.string_like_regexp("would notify no one"))
    subscribed = _topic_annotations(PROD)
    assert subscribed.find_error("*", Match.any_value()) == []
    assert subscribed.find_warning("*", Match.any_value()) == []


def test_the_control_function_is_not_told_who_hears_the_alarms(prod: Templates) -> None:
    (function,) = resources(prod["Control"], "AWS::Lambda::Function").values()
    settings = json.loads(function["Properties"]["Environment"]["Variables"]["STAGE_CONFIG"])
    assert "alert_subscriptions" not in settings
    assert StageConfig.model_validate(settings).alert_subscriptions.empty
