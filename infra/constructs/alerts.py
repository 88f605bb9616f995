"""Where alarms go: one encrypted SNS topic per stack that has alarms."""

from __future__ import annotations

from aws_cdk import Duration
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_cloudwatch_actions as cw_actions
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sqs as sqs
from constructs import Construct

from schemas.stages import StageConfig


class AlertsTopic(Construct):
    """An SNS topic encrypted with its own rotating key that CloudWatch alarms may publish to."""

    def __init__(self, scope: Construct, construct_id: str) -> None:
        super().__init__(scope, construct_id)
        self.key = kms.Key(self, "Key", enable_key_rotation=True, description="Encrypts the orchestrator's alerts")
        # CloudWatch publishes alarm notifications itself, so it needs the key (an AWS-managed SNS key refuses it).
        self.key.add_to_resource_policy(
            iam.PolicyStatement(
                actions=["kms:Decrypt", "kms:GenerateDataKey*"],
                principals=[iam.ServicePrincipal("cloudwatch.amazonaws.com")],
                resources=["*"],
            )
        )
        self.topic = sns.Topic(self, "Topic", master_key=self.key, enforce_ssl=True)


class AlarmedQueue(Construct):
    """An encrypted queue that raises an alarm as soon as messages wait in it: dead letters and quarantine."""

    def __init__(
        self, scope: Construct, construct_id: str, *, config: StageConfig, alerts: AlertsTopic, threshold: int
    ) -> None:
        super().__init__(scope, construct_id)
        self.queue = sqs.Queue(
            self,
            "Queue",
            # SSE-SQS, because EventBridge cannot deliver to a queue encrypted with the AWS-managed KMS key.
            encryption=sqs.QueueEncryption.SQS_MANAGED,
            enforce_ssl=True,
            retention_period=Duration.days(14),
        )
        self.alarm = cloudwatch.Alarm(
            self,
            "DepthAlarm",
            metric=self.queue.metric_approximate_number_of_messages_visible(
                period=Duration.seconds(config.alarms.period_seconds)
            ),
            threshold=threshold,
            evaluation_periods=config.alarms.evaluation_periods,
            comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
            treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
            alarm_description=f"Messages are waiting in {construct_id}: look at them, fix the cause, redrive.",
        )
        self.alarm.add_alarm_action(cw_actions.SnsAction(alerts.topic))
