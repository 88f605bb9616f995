"""Alarms as deployed: every queue where messages end up unprocessed, and every workflow's ended-badly executions,
raise an alarm on the stack's alerts topic, with the thresholds of the stage config."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from aws_cdk import App, Stack
from aws_cdk import aws_events as events
from aws_cdk.assertions import Template

from infra.constructs.workflow import METRICS_NAMESPACE, workflow_state_machine
from schemas.stages import load_stage
from tests.infra.helpers import logical_id, resources

DEV = load_stage("dev")
PERIODS = (DEV.alarms.period_seconds, DEV.alarms.evaluation_periods)

# Every stack that has alarms, and the outputs that name its queues of unprocessed messages beyond the dead letters.
ALARMED_STACKS = {"EventPlane": ["QuarantineQueueUrl"], "Workflows": ["OrderSagaEscalationsQueueUrl"]}


def _dead_letter_queues(template: dict[str, Any]) -> set[str]:
    """Every queue that some queue redrives to, some rule target or some function sends its dead letters to."""
    redrives = {
        logical_id(q["Properties"]["RedrivePolicy"]["deadLetterTargetArn"])
        for q in resources(template, "AWS::SQS::Queue").values()
        if "RedrivePolicy" in q["Properties"]
    }
    rule_targets = {
        logical_id(target["DeadLetterConfig"]["Arn"])
        for rule in resources(template, "AWS::Events::Rule").values()
        for target in rule["Properties"].get("Targets", [])
        if "DeadLetterConfig" in target
    }
    functions = {
        logical_id(f["Properties"]["DeadLetterConfig"]["TargetArn"])
        for f in resources(template, "AWS::Lambda::Function").values()
        if "DeadLetterConfig" in f["Properties"]
    }
    return redrives | rule_targets | functions


def _alarms_on_topic(template: dict[str, Any]) -> list[dict[str, Any]]:
    """The properties of every alarm whose one action is the stack's alerts topic."""
    (topic,) = resources(template, "AWS::SNS::Topic")
    alarms = [a["Properties"] for a in resources(template, "AWS::CloudWatch::Alarm").values()]
    assert all(a["AlarmActions"] == [{"Ref": topic}] for a in alarms), "every alarm notifies the alerts topic"
    return alarms


def _depth_alarms(template: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Queue logical id -> the alarm on its visible messages."""
    return {
        logical_id(alarm["Dimensions"][0]["Value"]): alarm
        for alarm in _alarms_on_topic(template)
        if (alarm["Namespace"], alarm["MetricName"]) == ("AWS/SQS", "ApproximateNumberOfMessagesVisible")
    }


@pytest.mark.parametrize(("stack", "outputs"), ALARMED_STACKS.items(), ids=list(ALARMED_STACKS))
def test_every_dead_letter_quarantine_and_escalation_queue_alarms_on_the_first_waiting_message(
    templates: dict[str, dict[str, Any]], stack: str, outputs: list[str]
) -> None:
    template = templates[stack]
    named = {logical_id(template["Outputs"][output]["Value"]) for output in outputs}
    dead_letters = _dead_letter_queues(template)
    depth = _depth_alarms(template)

    assert dead_letters, "the walk found the dead-letter queues"
    assert dead_letters | named <= set(depth), f"queues without an alarm: {sorted(dead_letters | named - set(depth))}"
    for queue in dead_letters | named:
        alarm = depth[queue]
        assert alarm["Dimensions"] == [{"Name": "QueueName", "Value": {"Fn::GetAtt": [queue, "QueueName"]}}]
        assert (alarm["ComparisonOperator"], alarm["Threshold"]) == ("GreaterThanOrEqualToThreshold", 1)
        assert (alarm["Period"], alarm["EvaluationPeriods"]) == PERIODS


def test_the_stacks_with_dead_letter_queues_are_the_alarmed_ones(templates: dict[str, dict[str, Any]]) -> None:
    with_dead_letters = {name for name, template in templates.items() if _dead_letter_queues(template)}
    with_queues = {name for name, template in templates.items() if resources(template, "AWS::SQS::Queue")}

    assert with_dead_letters == with_queues == set(ALARMED_STACKS)


def test_each_workflow_alarms_on_failed_timed_out_and_aborted_executions(templates: dict[str, dict[str, Any]]) -> None:
    workflows = templates["Workflows"]
    machines = set(resources(workflows, "AWS::StepFunctions::StateMachine"))
    thresholds = {
        "ExecutionsFailed": DEV.alarms.executions_failed,
        "ExecutionsTimedOut": DEV.alarms.executions_timed_out,
        "ExecutionsAborted": DEV.alarms.executions_aborted,
    }
    found: dict[tuple[str, str], dict[str, Any]] = {}
    for alarm in _alarms_on_topic(workflows):
        if alarm["Namespace"] == "AWS/States":
            (dimension,) = alarm["Dimensions"]
            assert dimension["Name"] == "StateMachineArn"
            found[logical_id(dimension["Value"]), alarm["MetricName"]] = alarm

    assert len(machines) == 3, "the agent pipeline, the order saga and the customer-onboarding DAG"
    assert set(found) == {(machine, metric) for machine in machines for metric in thresholds}
    for (_, metric), alarm in found.items():
        assert (alarm["Statistic"], alarm["ComparisonOperator"]) == ("Sum", "GreaterThanOrEqualToThreshold")
        assert alarm["Threshold"] == thresholds[metric]
        assert (alarm["Period"], alarm["EvaluationPeriods"]) == PERIODS
        assert alarm["TreatMissingData"] == "notBreaching", "no execution ended: nothing is wrong"


def _one_workflow(tmp_path: Path, definition: dict[str, Any]) -> dict[str, Any]:
    """The template of a stack holding one workflow set up by `workflow_state_machine` from `definition`."""
    definition_file = tmp_path / "workflow.asl.json"
    definition_file.write_text(json.dumps(definition), encoding="utf-8")
    stack = Stack(App(), "OneWorkflow")
    bus = events.EventBus.from_event_bus_name(stack, "Bus", DEV.bus_name)
    workflow_state_machine(
        stack, workflow="one", config=DEV, bus=bus, definition_file=definition_file, numbers={}, functions={}
    )
    return dict(Template.from_stack(stack).to_json())


def _counting(metric: str) -> dict[str, Any]:
    count = {
        "Type": "Task",
        "Resource": "arn:aws:states:::aws-sdk:cloudwatch:putMetricData",
        "Arguments": {"Namespace": f"${{{METRICS_NAMESPACE}}}", "MetricData": [{"MetricName": metric, "Value": 1}]},
        "End": True,
    }
    return {"QueryLanguage": "JSONata", "StartAt": "Count", "States": {"Count": count}}


def _metric_statements(template: dict[str, Any]) -> list[dict[str, Any]]:
    return [
        statement
        for policy in resources(template, "AWS::IAM::Policy").values()
        for statement in policy["Properties"]["PolicyDocument"]["Statement"]
        if "cloudwatch:PutMetricData" in json.dumps(statement["Action"])
    ]


def test_a_workflow_that_writes_metrics_gets_the_stages_namespace_and_may_write_there_only(tmp_path: Path) -> None:
    template = _one_workflow(tmp_path, _counting("OrdersCompleted"))

    (machine,) = (m["Properties"] for m in resources(template, "AWS::StepFunctions::StateMachine").values())
    assert machine["DefinitionSubstitutions"][METRICS_NAMESPACE] == DEV.metrics_namespace == "Orchestrator/dev"
    assert _metric_statements(template) == [
        {
            "Action": "cloudwatch:PutMetricData",
            "Condition": {"StringEquals": {"cloudwatch:namespace": DEV.metrics_namespace}},
            "Effect": "Allow",
            "Resource": "*",
        }
    ]


def test_a_workflow_that_writes_no_metrics_may_not_write_any(tmp_path: Path) -> None:
    quiet = {"QueryLanguage": "JSONata", "StartAt": "Done", "States": {"Done": {"Type": "Succeed"}}}

    template = _one_workflow(tmp_path, quiet)

    (machine,) = (m["Properties"] for m in resources(template, "AWS::StepFunctions::StateMachine").values())
    assert METRICS_NAMESPACE not in machine["DefinitionSubstitutions"]
    assert _metric_statements(template) == []


def test_functions_and_workflows_share_the_stages_metrics_namespace(templates: dict[str, dict[str, Any]]) -> None:
    namespaces = {
        f["Properties"]["Environment"]["Variables"]["POWERTOOLS_METRICS_NAMESPACE"]
        for template in templates.values()
        for f in resources(template, "AWS::Lambda::Function").values()
        if "POWERTOOLS_METRICS_NAMESPACE" in f["Properties"].get("Environment", {}).get("Variables", {})
    }

    assert namespaces == {DEV.metrics_namespace}
