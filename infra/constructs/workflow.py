"""What every workflow of the project sets up the same way: its state machine and the rule that starts it.

A workflow's definition is a JSONata ASL file under `state_machines/`. Its `"${Name}"` placeholders are filled two
ways: numbers from the stage config are written in at synth time (`with_numbers`), because ASL wants numbers there and
CloudFormation substitutes only strings; what is known at deploy time only (the functions' ARNs, the bus name) is a
definition substitution. Every execution logs ALL and is traced; the role may invoke the workflow's functions and put
events on the bus, nothing else. Each deploy publishes the definition as a version behind the workflow's `live` alias
(infra/constructs/live_alias.py); an event on the bus starts an execution through that alias (rule target with
retries and a DLQ), so that shifting the alias (canary, rollback) decides what events run.
Executions that end failed, timed out or aborted raise alarms on the alerts topic (`execution_alarms`, set up with
the start rule, which is where a workflow meets its alerts topic).
A definition that writes metrics itself (a direct `aws-sdk:cloudwatch:putMetricData` task, no Lambda) names their
namespace `"${MetricsNamespace}"`: it is filled with the stage's namespace, and then only, the role may put metric
data, in that namespace only.

These are functions on the workflow's own construct rather than a construct of their own, so the resources keep the
construct ids (and the logical ids) they had in each workflow.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from aws_cdk import Duration, Tags
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_events as events
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from aws_cdk import aws_stepfunctions as sfn
from constructs import Construct

from asl.admission import PLACEHOLDER as ADMISSION
from asl.pause_points import functions_checking
from infra.constructs.alerts import AlertsTopic, threshold_alarm
from infra.constructs.emitting import grant_emit_entries
from infra.constructs.lambda_function import PythonFunction, log_group
from infra.constructs.live_alias import live_alias
from infra.constructs.rule_targets import reliable_target_options
from schemas.stages import StageConfig
from schemas.tables import PAUSE_PARTITION_PREFIX, PAUSE_TABLE_VARIABLE, claim_prefix

# The tag naming a workflow's state machine (orchestrator/control/discovery.py `WORKFLOW_TAG`; a test ties them).
WORKFLOW_TAG = "workflow"
# The placeholder of a definition's metrics namespace (see the module docstring).
METRICS_NAMESPACE = "MetricsNamespace"


def with_numbers(definition: str, values: Mapping[str, int]) -> str:
    """`definition` with every `"${Name}"` of `values` replaced by the bare number (the quotes go too)."""
    for name, value in values.items():
        placeholder = f'"${{{name}}}"'
        if placeholder not in definition:
            raise ValueError(f"the definition has no {placeholder} placeholder")
        definition = definition.replace(placeholder, str(int(value)))
    return definition


def workflow_state_machine(
    scope: Construct,
    *,
    workflow: str,
    config: StageConfig,
    bus: events.IEventBus,
    definition_file: Path | None = None,
    numbers: Mapping[str, int] | None = None,
    functions: Mapping[str, lambda_.IFunction],
    substitutions: Mapping[str, str] | None = None,
    transform: Callable[[dict[str, Any]], dict[str, Any]] | None = None,
    definition: dict[str, Any] | None = None,
    pause_records: dynamodb.ITable | None = None,
    start_claims: dynamodb.ITable | None = None,
) -> tuple[logs.LogGroup, sfn.StateMachine]:
    """The state machine `ExecutionLogs` + `StateMachine` in `scope`, calling `functions` by placeholder name.

    `functions` maps a definition placeholder (`TriageFunctionArn`) to the function whose ARN fills it; the bus
    fills `EventBusName`, the stage's metrics namespace `MetricsNamespace` where the definition has it;
    `substitutions` fills other placeholders (a table's name). `transform` rewrites the parsed definition before it
    is written (a circuit breaker wrapping a state, asl/breaker_steps.py). A definition built in code
    (compiled from a DAG spec, infra/constructs/dag.py) is given as `definition` instead of `definition_file`.
    The state machine is tagged `workflow=<workflow>`: the name the control plane knows it by
    (orchestrator/control/discovery.py). A definition with pause points (asl/pause_points.py) names the table of
    the pause records, `pause_records`: the state machine, and each of `functions` that checks for a pause itself,
    may read them (`grant_pause_checks`). A workflow started by events is admitted by a function of its own
    (asl/admission.py, functions/admission) keeping its start claims in `start_claims` (the Idempotency table).
    """
    if definition is not None:
        text = json.dumps(definition, indent=2)
    elif definition_file is not None:
        text = with_numbers(definition_file.read_text(encoding="utf-8"), numbers or {})
    else:
        raise ValueError("a workflow needs a definition_file or a definition")
    if transform is not None:
        text = json.dumps(transform(json.loads(text)), indent=2)
    if start_claims is not None:
        functions = {
            **functions,
            ADMISSION: admission_function(scope, config=config, workflow=workflow, table=start_claims),
        }
    execution_logs = log_group(scope, "ExecutionLogs", config=config)
    writes_metrics = f"${{{METRICS_NAMESPACE}}}" in text
    state_machine = sfn.StateMachine(
        scope,
        "StateMachine",
        # The file is the source, read here into DefinitionString. `DefinitionBody.from_file` would stage it as
        # an S3 asset (DefinitionS3Location), which cfn-lint cannot check, template tests cannot read and the
        # local runtime cannot provision without S3 uploads.
        definition_body=sfn.DefinitionBody.from_string(text),
        definition_substitutions={
            **{name: function.function_arn for name, function in functions.items()},
            **(substitutions or {}),
            "EventBusName": bus.event_bus_name,
            **({METRICS_NAMESPACE: config.metrics_namespace} if writes_metrics else {}),
        },
        state_machine_type=sfn.StateMachineType.STANDARD,
        logs=sfn.LogOptions(destination=execution_logs, level=sfn.LogLevel.ALL, include_execution_data=True),
        tracing_enabled=True,
    )
    Tags.of(state_machine).add(WORKFLOW_TAG, workflow)
    live_alias(state_machine)  # every workflow, started by events or not: `orch start` starts it through the alias
    if pause_records is not None:
        checking = [_placeholder(name) for name in functions_checking(json.loads(text))]
        unknown = sorted(set(checking) - set(functions))
        if unknown:
            raise ValueError(f"pause points call functions the workflow was not given: {unknown}")
        grant_pause_checks(pause_records, state_machine, [functions[name] for name in checking])
    if functions:  # a workflow of direct integrations only calls no function
        # The unqualified ARNs only, as the definition calls them: no version or alias wildcard.
        state_machine.add_to_role_policy(
            iam.PolicyStatement(
                actions=["lambda:InvokeFunction"], resources=[function.function_arn for function in functions.values()]
            )
        )
    grant_emit_entries(bus, state_machine, json.loads(text))
    if writes_metrics:
        # PutMetricData has no resource-level permissions: the namespace condition is what narrows it.
        state_machine.add_to_role_policy(
            iam.PolicyStatement(
                actions=["cloudwatch:PutMetricData"],
                resources=["*"],
                conditions={"StringEquals": {"cloudwatch:namespace": config.metrics_namespace}},
            )
        )
    return execution_logs, state_machine


def admission_function(
    scope: Construct, *, config: StageConfig, workflow: str, table: dynamodb.ITable
) -> lambda_.IFunction:
    """`workflow`'s admission (functions/admission): validates its start events and claims them once per business
    id in `table`, under the workflow's own keys only (`dynamodb:LeadingKeys`): Powertools' records of the
    functions, and the other workflows' claims, have other keys."""
    function = PythonFunction(
        scope,
        "Admission",
        config=config,
        handler="functions.admission.handler.handler",
        service=f"{workflow}-admission",
        description=f"Admits {workflow}'s start events: valid, and once per business id",
        environment={"IDEMPOTENCY_TABLE": table.table_name},
    ).function
    function.add_to_role_policy(
        iam.PolicyStatement(
            actions=["dynamodb:PutItem"],
            resources=[table.table_arn],
            conditions={"ForAllValues:StringLike": {"dynamodb:LeadingKeys": [f"{claim_prefix(workflow)}*"]}},
        )
    )
    return function


def start_rule(
    scope: Construct,
    construct_id: str,
    *,
    config: StageConfig,
    bus: events.IEventBus,
    alerts: AlertsTopic,
    state_machine: sfn.StateMachine,
    description: str,
    source: str,
    detail_types: Sequence[str],
) -> events.Rule:
    """A rule that starts `state_machine` through its `live` alias for every event of `source` and `detail_types`
    (dead letters alarmed)."""
    rule = events.Rule(
        scope,
        construct_id,
        event_bus=bus,
        description=description,
        event_pattern=events.EventPattern(source=[source], detail_type=list(detail_types)),
    )
    rule.add_target(
        live_alias(state_machine).start_target(
            **reliable_target_options(scope, "StartDeadLetters", config=config, alerts=alerts)
        )
    )
    execution_alarms(scope, state_machine, alerts=alerts, config=config)
    return rule


def execution_alarms(
    scope: Construct, state_machine: sfn.IStateMachine, *, alerts: AlertsTopic, config: StageConfig
) -> list[cloudwatch.Alarm]:
    """Alarms `ExecutionsFailedAlarm`, `ExecutionsTimedOutAlarm`, `ExecutionsAbortedAlarm` in `scope`: the Sum of
    `state_machine`'s executions that ended so (AWS/States, by StateMachineArn) reaches the stage's threshold."""
    settings = config.alarms
    period = Duration.seconds(settings.period_seconds)
    watched = {
        "ExecutionsFailed": (state_machine.metric_failed, settings.executions_failed, "failed"),
        "ExecutionsTimedOut": (state_machine.metric_timed_out, settings.executions_timed_out, "timed out"),
        "ExecutionsAborted": (state_machine.metric_aborted, settings.executions_aborted, "were aborted"),
    }
    return [
        threshold_alarm(
            scope,
            f"{name}Alarm",
            alerts=alerts,
            config=config,
            metric=metric(period=period, statistic=cloudwatch.Stats.SUM),
            threshold=threshold,
            description=f"Executions of {scope.node.path} {ended}: read their histories (and the ALL-level "
            "execution logs), fix the cause, start them again.",
        )
        for name, (metric, threshold, ended) in watched.items()
    ]


def _placeholder(function_name: str) -> str:
    """`TriageFunctionArn` of a definition's `"${TriageFunctionArn}"`."""
    if not (function_name.startswith("${") and function_name.endswith("}")):
        raise ValueError(f"a pause point calls {function_name!r}, not a function of the workflow's placeholders")
    return function_name[2:-1]


def grant_pause_checks(
    table: dynamodb.ITable, state_machine: sfn.StateMachine, functions: Sequence[lambda_.IFunction]
) -> None:
    """The state machine's pause checks (asl/pause_points.py: a ConditionCheck, and a GetItem once paused) may read
    the pause records, nothing else of the table (the correlator's items); so may `functions`, the Lambda tasks
    that check for a pause themselves (functions/pause_check.py), which get the table's name in their environment."""
    pause_records = {"ForAllValues:StringLike": {"dynamodb:LeadingKeys": [f"{PAUSE_PARTITION_PREFIX}*"]}}
    state_machine.add_to_role_policy(
        iam.PolicyStatement(
            actions=["dynamodb:ConditionCheckItem", "dynamodb:GetItem"],
            resources=[table.table_arn],
            conditions=pause_records,
        )
    )
    for function in functions:
        if not isinstance(function, lambda_.Function):
            raise TypeError(f"{function.node.path}: a pause check's function needs its environment set here")
        function.add_environment(PAUSE_TABLE_VARIABLE, table.table_name)
        function.add_to_role_policy(
            iam.PolicyStatement(actions=["dynamodb:GetItem"], resources=[table.table_arn], conditions=pause_records)
        )


def grant_breaker_steps(state_machine: sfn.StateMachine, table: dynamodb.ITable, key_prefix: str) -> None:
    """The state machine's breaker steps (asl/breaker_steps.py) may read and write the items of its breakers (ids
    starting with `key_prefix`), nothing else on the table: the handlers' breakers share it."""
    state_machine.add_to_role_policy(
        iam.PolicyStatement(
            actions=["dynamodb:GetItem", "dynamodb:PutItem"],
            resources=[table.table_arn],
            conditions={"ForAllValues:StringLike": {"dynamodb:LeadingKeys": [f"{key_prefix}*"]}},
        )
    )
