"""A Python Lambda function of this project: one shared code asset, the managed Powertools layer, traced."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from aws_cdk import ArnFormat, Duration, Fn, Stack
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from aws_cdk import aws_sqs as sqs
from constructs import Construct

from infra.constructs.alerts import function_alarms
from infra.constructs.removal import removal_policy
from schemas.stages import StageConfig

PROJECT_ROOT = Path(__file__).resolve().parents[2]
RUNTIME = lambda_.Runtime.PYTHON_3_13

# The asset holds `functions/` and `schemas/` only, so imports are identical on AWS and locally; third-party
# packages (Powertools, pydantic, aws-xray-sdk) come from the AWS-managed Powertools layer.
_ASSET_EXCLUDES = [
    "*",
    ".*",
    "**/.*",
    "!functions",
    "!functions/**",
    "!schemas",
    "!schemas/**",
    "**/__pycache__",
    "**/*.pyc",
]


def code_asset(include: Sequence[str] = ()) -> lambda_.Code:
    """The one code asset every function of the project runs from (CDK stages it once per content hash); `include`
    adds project paths (files or folders) for a function that needs more than `functions/` and `schemas/` (the
    control API): each one's parent folders are let in, but none of their other contents."""
    parents = sorted({"/".join(path.split("/")[:depth]) for path in include for depth in range(1, path.count("/") + 1)})
    opened = [pattern for parent in parents for pattern in (f"!{parent}", f"{parent}/*")]
    added = [pattern for path in include for pattern in (f"!{path}", f"!{path}/**")]
    excludes = [*_ASSET_EXCLUDES[:-2], *opened, *added, *_ASSET_EXCLUDES[-2:]]
    return lambda_.Code.from_asset(str(PROJECT_ROOT), exclude=excludes)


def powertools_layer(scope: Construct, version: str) -> lambda_.ILayerVersion:
    """The AWS-managed Powertools layer of `version`, resolved from its public SSM parameter at deploy time."""
    parameter = f"/aws/service/powertools/python/x86_64/{RUNTIME.name}/{version}"
    return lambda_.LayerVersion.from_layer_version_arn(scope, "PowertoolsLayer", f"{{{{resolve:ssm:{parameter}}}}}")


class PythonFunction(Construct):
    """A function whose handler is named as a string (`functions.ingest.handler.handler`); infra never imports it.
    Its errors and throttles are alarmed on its stack's alerts topic."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        config: StageConfig,
        handler: str,
        service: str,
        description: str,
        environment: dict[str, str] | None = None,
        dead_letter_queue: sqs.IQueue | None = None,
        include: Sequence[str] = (),
    ) -> None:
        super().__init__(scope, construct_id)
        self.log_group = log_group(self, "Logs", config=config)
        self.function = lambda_.Function(
            self,
            "Function",
            runtime=RUNTIME,
            architecture=lambda_.Architecture.X86_64,
            handler=handler,
            code=code_asset(include),
            description=description,
            memory_size=config.functions.memory_mb,
            timeout=Duration.seconds(config.functions.timeout_seconds),
            tracing=lambda_.Tracing.ACTIVE,
            log_group=self.log_group,
            dead_letter_queue=dead_letter_queue,
            layers=[_shared_layer(scope, config.powertools_version)],
            environment={
                "POWERTOOLS_SERVICE_NAME": service,
                "POWERTOOLS_METRICS_NAMESPACE": config.metrics_namespace,
                "POWERTOOLS_LOG_LEVEL": config.functions.log_level,
                "STAGE": config.stage,
                # No pydantic plugin is used: without this, pydantic's first model scans every installed package's
                # entry points for plugins, ~20 ms of each cold start (bench/imports.py).
                "PYDANTIC_DISABLE_PLUGINS": "__all__",
                **(environment or {}),
            },
        )
        self.alarms = function_alarms(self, self.function, config=config)


def _shared_layer(scope: Construct, version: str) -> lambda_.ILayerVersion:
    """One layer reference per stack, however many functions the stack has."""
    stack = Stack.of(scope)
    existing = stack.node.try_find_child("PowertoolsLayer")
    if existing is not None:
        return existing  # type: ignore[return-value]
    return powertools_layer(stack, version)


_RETENTIONS = {
    1: logs.RetentionDays.ONE_DAY,
    3: logs.RetentionDays.THREE_DAYS,
    5: logs.RetentionDays.FIVE_DAYS,
    7: logs.RetentionDays.ONE_WEEK,
    14: logs.RetentionDays.TWO_WEEKS,
    30: logs.RetentionDays.ONE_MONTH,
    60: logs.RetentionDays.TWO_MONTHS,
    90: logs.RetentionDays.THREE_MONTHS,
    180: logs.RetentionDays.SIX_MONTHS,
    365: logs.RetentionDays.ONE_YEAR,
    731: logs.RetentionDays.TWO_YEARS,
    1827: logs.RetentionDays.FIVE_YEARS,
    3653: logs.RetentionDays.TEN_YEARS,
}


def log_group(scope: Construct, construct_id: str, *, config: StageConfig) -> logs.LogGroup:
    """A log group kept as long as the stage says, destroyed with the stack only where the stage allows it, and
    encrypted with the stack's logs key."""
    return logs.LogGroup(
        scope,
        construct_id,
        retention=log_retention(config.log_retention_days),
        removal_policy=removal_policy(config),
        encryption_key=logs_key(scope, config),
    )


def logs_key(scope: Construct, config: StageConfig) -> kms.Key:
    """The KMS key of every log group of `scope`'s stack (one per stack), usable by CloudWatch Logs for this
    account's log groups only. Logs may carry event data: a key of our own lets the platform team say who reads it."""
    stack = Stack.of(scope)
    existing = stack.node.try_find_child(_LOGS_KEY_ID)
    if isinstance(existing, kms.Key):
        return existing
    key = kms.Key(
        stack,
        _LOGS_KEY_ID,
        enable_key_rotation=True,
        description="Encrypts the stack's CloudWatch log groups",
        removal_policy=removal_policy(config),
    )
    key.add_to_resource_policy(
        iam.PolicyStatement(
            sid="CloudWatchLogsOfThisAccount",
            principals=[iam.ServicePrincipal(f"logs.{stack.region}.amazonaws.com")],
            actions=["kms:Encrypt*", "kms:Decrypt*", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:Describe*"],
            resources=["*"],  # in a key policy, the key itself
            conditions={
                "ArnLike": {
                    "kms:EncryptionContext:aws:logs:arn": stack.format_arn(
                        service="logs",
                        resource="log-group",
                        resource_name="*",
                        arn_format=ArnFormat.COLON_RESOURCE_NAME,
                    )
                }
            },
        )
    )
    return key


_LOGS_KEY_ID = "LogsKey"


def log_retention(days: int) -> logs.RetentionDays:
    """The shortest CloudWatch Logs retention that keeps logs at least `days` days."""
    return next((r for d, r in sorted(_RETENTIONS.items()) if d >= days), logs.RetentionDays.TEN_YEARS)


def grant_idempotency_records(
    function: lambda_.Function, table: dynamodb.ITable, actions: Sequence[str], config: StageConfig
) -> None:
    """`function` may call `actions` on its own Powertools idempotency records in `table`, nobody else's: their keys
    start with the function's name (`<function name>.<handler>#<hash>`, Powertools' DynamoDB persistence layer), so
    the grant is conditioned on `dynamodb:LeadingKeys`. A policy of its own, not the role's default one: the
    function depends on its role's default policy, and this one names the function. The records live the stage's
    `idempotency_expiry_seconds` (functions/idempotency.py), longer than any retry of their callers."""
    assert function.role is not None  # a Function made by PythonFunction always has its role
    function.add_environment("IDEMPOTENCY_EXPIRY_SECONDS", str(config.idempotency_expiry_seconds))
    iam.Policy(
        function,
        "IdempotencyRecords",
        roles=[function.role],
        statements=[
            iam.PolicyStatement(
                actions=list(actions),
                resources=[table.table_arn],
                conditions={
                    "ForAllValues:StringLike": {"dynamodb:LeadingKeys": [Fn.join("", [function.function_name, ".*"])]}
                },
            )
        ],
    )
