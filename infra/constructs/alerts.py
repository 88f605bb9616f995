"""Where alarms go, and the alarms every function, API and dead-letter queue gets.

One encrypted SNS topic per stack that has alarms (`alerts_topic`), subscribed by the stage's `alert_subscriptions`
(config/stages.json) and publishable by CloudWatch alarms of this account only. Every alarm is wired through
`AlertsTopic.notify`, which also names the stage's existing SNS topics (an on-call or chat topic) as actions.

A stage that keeps its data (`destroy_on_removal: false`: production) and subscribes no one is refused: an error
annotation on each of its alerts topics, so `cdk synth` and `cdk deploy` stop with the field to set, while the
assembly written by `python app.py` still serves the local runtime and the tests. A warning would scroll past in a
deploy log, and alarms that reach no one are exactly what issue 17 found; a stage destroyed with its stack (dev) only
gets a warning, since a developer may watch the console instead.
"""

from __future__ import annotations

from aws_cdk import Annotations, ArnFormat, Aws, Duration, Stack
from aws_cdk import aws_apigateway as apigw
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_cloudwatch_actions as cw_actions
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sns_subscriptions as subscriptions
from aws_cdk import aws_sqs as sqs
from constructs import Construct

from infra.constructs.removal import removal_policy
from schemas.stages import StageConfig

_ALERTS_ID = "Alerts"
NO_SUBSCRIPTION = (
    "alert_subscriptions of stage {stage} (config/stages.json) names no email, HTTPS endpoint or SNS topic: "
    "this stack's alarms would notify no one"
)


class AlertsTopic(Construct):
    """An SNS topic encrypted with its own rotating key, that this account's CloudWatch alarms may publish to and
    the stage's subscribers hear."""

    def __init__(self, scope: Construct, construct_id: str, *, config: StageConfig) -> None:
        super().__init__(scope, construct_id)
        stack = Stack.of(self)
        self._config = config
        self.key = kms.Key(
            self,
            "Key",
            enable_key_rotation=True,
            description="Encrypts the orchestrator's alerts",
            removal_policy=removal_policy(config),
        )
        # CloudWatch publishes alarm notifications itself, so it needs the key (an AWS-managed SNS key refuses it);
        # on behalf of this account's alarms only.
        self.key.add_to_resource_policy(
            iam.PolicyStatement(
                sid="CloudWatchAlarmsOfThisAccount",
                actions=["kms:Decrypt", "kms:GenerateDataKey*"],
                principals=[iam.ServicePrincipal("cloudwatch.amazonaws.com")],
                resources=["*"],  # in a key policy, the key itself
                conditions={"StringEquals": {"aws:SourceAccount": Aws.ACCOUNT_ID}},
            )
        )
        self.topic = sns.Topic(self, "Topic", master_key=self.key, enforce_ssl=True)
        self.topic.add_to_resource_policy(
            iam.PolicyStatement(
                sid="CloudWatchAlarmsOfThisAccount",
                actions=["sns:Publish"],
                principals=[iam.ServicePrincipal("cloudwatch.amazonaws.com")],
                resources=[self.topic.topic_arn],
                conditions={
                    "StringEquals": {"aws:SourceAccount": Aws.ACCOUNT_ID},
                    "ArnLike": {
                        "aws:SourceArn": stack.format_arn(
                            service="cloudwatch",
                            resource="alarm",
                            resource_name="*",
                            arn_format=ArnFormat.COLON_RESOURCE_NAME,
                        )
                    },
                },
            )
        )
        self._subscribe(config)
        # Other teams' topics (on-call, chat) are named as alarm actions: SNS cannot subscribe a topic to a topic.
        self._forwarded = [
            sns.Topic.from_topic_arn(self, f"Forward{index}", arn)
            for index, arn in enumerate(config.alert_subscriptions.sns_topic_arns)
        ]

    def _subscribe(self, config: StageConfig) -> None:
        wanted = config.alert_subscriptions
        for email in wanted.emails:
            self.topic.add_subscription(subscriptions.EmailSubscription(email))
        for url in wanted.https_endpoints:
            self.topic.add_subscription(subscriptions.UrlSubscription(url, protocol=sns.SubscriptionProtocol.HTTPS))
        if wanted.empty:
            message = NO_SUBSCRIPTION.format(stage=config.stage)
            if config.destroy_on_removal:
                Annotations.of(self).add_warning_v2("orchestrator:no-alert-subscription", message)
            else:
                Annotations.of(self).add_error(f"{message}; a stage that keeps its data must name one")

    def notify(self, alarm: cloudwatch.Alarm) -> cloudwatch.Alarm:
        """`alarm` publishes to this topic and to the stage's forwarded topics when it goes into ALARM."""
        alarm.add_alarm_action(cw_actions.SnsAction(self.topic))
        for topic in self._forwarded:
            alarm.add_alarm_action(cw_actions.SnsAction(topic))
        return alarm


def alerts_topic(scope: Construct, config: StageConfig) -> AlertsTopic:
    """The alerts topic of `scope`'s stack (one per stack, made on first use, like the stack's logs key)."""
    stack = Stack.of(scope)
    existing = stack.node.try_find_child(_ALERTS_ID)
    if isinstance(existing, AlertsTopic):
        return existing
    return AlertsTopic(stack, _ALERTS_ID, config=config)


def threshold_alarm(
    scope: Construct,
    construct_id: str,
    *,
    alerts: AlertsTopic,
    config: StageConfig,
    metric: cloudwatch.IMetric,
    threshold: int,
    description: str,
) -> cloudwatch.Alarm:
    """An alarm at `threshold` or more of `metric`, with the stage's evaluation periods, quiet without data, sent to
    `alerts`: every alarm of the app is made here."""
    alarm = cloudwatch.Alarm(
        scope,
        construct_id,
        metric=metric,
        threshold=threshold,
        evaluation_periods=config.alarms.evaluation_periods,
        comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        # No data point: nothing was invoked, requested, queued or ended in the period, and nothing is wrong.
        treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
        alarm_description=description,
    )
    return alerts.notify(alarm)


def _alarm(
    scope: Construct,
    construct_id: str,
    *,
    config: StageConfig,
    metric: cloudwatch.IMetric,
    threshold: int,
    description: str,
) -> cloudwatch.Alarm:
    """A `threshold_alarm` sent to the alerts topic of `scope`'s stack."""
    return threshold_alarm(
        scope,
        construct_id,
        alerts=alerts_topic(scope, config),
        config=config,
        metric=metric,
        threshold=threshold,
        description=description,
    )


def function_alarms(scope: Construct, function: lambda_.Function, *, config: StageConfig) -> list[cloudwatch.Alarm]:
    """`ErrorsAlarm` and `ThrottlesAlarm` in `scope`: the Sum of `function`'s errors (its code raised or timed out)
    and of its throttled invocations per period reach the stage's thresholds."""
    period = Duration.seconds(config.alarms.period_seconds)
    name = scope.node.path
    return [
        _alarm(
            scope,
            "ErrorsAlarm",
            config=config,
            metric=function.metric_errors(period=period, statistic=cloudwatch.Stats.SUM),
            threshold=config.alarms.function_errors,
            description=f"{name} failed invocations: read its logs (correlation_id on every line), fix the cause.",
        ),
        _alarm(
            scope,
            "ThrottlesAlarm",
            config=config,
            metric=function.metric_throttles(period=period, statistic=cloudwatch.Stats.SUM),
            threshold=config.alarms.function_throttles,
            description=f"{name} was throttled: the account's or its reserved concurrency is exhausted.",
        ),
    ]


def api_alarm(api: apigw.RestApi, *, config: StageConfig) -> cloudwatch.Alarm:
    """`ServerErrorsAlarm` in `api`: the Sum of `api`'s 5XX responses (its stage's) per period reaches the stage's
    threshold. 4XX are the callers' mistakes and are not alarmed."""
    metric = api.deployment_stage.metric_server_error(
        period=Duration.seconds(config.alarms.period_seconds), statistic=cloudwatch.Stats.SUM
    )
    return _alarm(
        api,
        "ServerErrorsAlarm",
        config=config,
        metric=metric,
        threshold=config.alarms.api_server_errors,
        description=f"{api.node.path} answered 5XX: read its access logs and its function's logs.",
    )


class AlarmedQueue(Construct):
    """An encrypted queue that raises an alarm as soon as messages wait in it: dead letters and quarantine. Kept
    when its stack is deleted unless the stage is destroyed with it (what waits in it has not been handled)."""

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
            removal_policy=removal_policy(config),
        )
        self.alarm = threshold_alarm(
            self,
            "DepthAlarm",
            alerts=alerts,
            config=config,
            metric=self.queue.metric_approximate_number_of_messages_visible(
                period=Duration.seconds(config.alarms.period_seconds)
            ),
            threshold=threshold,
            description=f"Messages are waiting in {construct_id}: look at them, fix the cause, redrive.",
        )
