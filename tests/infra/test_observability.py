"""Alarms as deployed: every queue where messages end up unprocessed, and every workflow's ended-badly executions,
raise an alarm on the stack's alerts topic, with the thresholds of the stage config."""

from __future__ import annotations

from typing import Any

import pytest

from infra.config import load_stage
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

    assert len(machines) == 2, "the agent pipeline and the order saga"
    assert set(found) == {(machine, metric) for machine in machines for metric in thresholds}
    for (_, metric), alarm in found.items():
        assert (alarm["Statistic"], alarm["ComparisonOperator"]) == ("Sum", "GreaterThanOrEqualToThreshold")
        assert alarm["Threshold"] == thresholds[metric]
        assert (alarm["Period"], alarm["EvaluationPeriods"]) == PERIODS
        assert alarm["TreatMissingData"] == "notBreaching", "no execution ended: nothing is wrong"
