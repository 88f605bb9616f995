"""The Workflows stack as deployed: the agent pipeline's state machine, its start rule, the agent consumers."""

from __future__ import annotations

import importlib
import json
import re
from typing import Any

import pytest
from cfnlint.api import lint

import functions.correlator.messages as correlated
from functions.correlator.logic import Subject
from infra.constructs.correlator import PARTITION_PREFIX
from infra.constructs.workflow import WORKFLOW_TAG, with_numbers
from infra.stacks.workflows import SPECIALISTS
from orchestrator.control import discovery
from schemas.agents import AgentTaskCompleted, AgentTaskFailed, AgentTaskRequested
from schemas.stages import load_stage
from schemas.support import TicketResolved, TicketSubmitted
from schemas.tables import ONBOARDING_AGENT_PREFIX as ONBOARDING_PREFIX
from tests.infra.helpers import logical_id, resources, start_live_statement, started_through_live

DEV = load_stage("dev")


@pytest.fixture(scope="module")
def workflows(templates: dict[str, Any]) -> dict[str, Any]:
    template: dict[str, Any] = templates["Workflows"]
    return template


def _function_id(template: dict[str, Any], handler: str) -> str:
    (found,) = [
        k for k, f in resources(template, "AWS::Lambda::Function").items() if f["Properties"]["Handler"] == handler
    ]
    return found


def _rule(template: dict[str, Any], detail_types: list[str], detail: dict[str, Any] | None = None) -> dict[str, Any]:
    """The rule on `detail_types` (and, where several rules share them, on the `detail` filter)."""
    rules: list[dict[str, Any]] = [
        r["Properties"]
        for r in resources(template, "AWS::Events::Rule").values()
        if r["Properties"]["EventPattern"]["detail-type"] == detail_types
        and r["Properties"]["EventPattern"].get("detail") == detail
    ]
    (rule,) = rules
    return rule


def _pipeline_id(template: dict[str, Any]) -> str:
    """The agent pipeline's state machine (the order saga's has tests/infra/test_order_saga_stack.py)."""
    (found,) = [k for k in resources(template, "AWS::StepFunctions::StateMachine") if k.startswith("AgentPipeline")]
    return found


def _pipeline(template: dict[str, Any]) -> dict[str, Any]:
    properties: dict[str, Any] = template["Resources"][_pipeline_id(template)]["Properties"]
    return properties


def _definition(template: dict[str, Any]) -> dict[str, Any]:
    definition: dict[str, Any] = json.loads(_pipeline(template)["DefinitionString"])
    return definition


def _statements(template: dict[str, Any], role_prefix: str) -> list[dict[str, Any]]:
    return [
        statement
        for policy in resources(template, "AWS::IAM::Policy").values()
        if any(logical_id(role).startswith(role_prefix) for role in policy["Properties"]["Roles"])
        for statement in policy["Properties"]["PolicyDocument"]["Statement"]
    ]


def test_a_submitted_ticket_starts_the_pipeline_with_retries_and_a_dead_letter_queue(workflows: dict[str, Any]) -> None:
    rule = _rule(workflows, [TicketSubmitted.DETAIL_TYPE])
    (target,) = rule["Targets"]

    assert rule["EventPattern"] == {"source": [TicketSubmitted.SOURCE], "detail-type": [TicketSubmitted.DETAIL_TYPE]}
    assert rule["EventBusName"]["Fn::ImportValue"].startswith("Orchestrator-dev-EventPlane:")
    assert started_through_live(workflows, target) == _pipeline_id(workflows)
    assert workflows["Resources"][logical_id(target["DeadLetterConfig"]["Arn"])]["Type"] == "AWS::SQS::Queue"
    assert target["RetryPolicy"] == {
        "MaximumRetryAttempts": DEV.target_retry.maximum_retry_attempts,
        "MaximumEventAgeInSeconds": DEV.target_retry.maximum_event_age_seconds,
    }
    starter = _statements(workflows, logical_id(target["RoleArn"]))
    assert starter == [start_live_statement(_pipeline_id(workflows))]


@pytest.mark.parametrize(
    ("detail_types", "detail", "source", "handler"),
    [
        (
            [AgentTaskRequested.DETAIL_TYPE],
            {"data": {"agent": list(SPECIALISTS)}},
            AgentTaskRequested.SOURCE,
            "functions.agents.handler.handler",
        ),
        (
            [AgentTaskRequested.DETAIL_TYPE],
            {"data": {"agent": [{"prefix": ONBOARDING_PREFIX}]}},
            AgentTaskRequested.SOURCE,
            "functions.onboarding.handler.handler",
        ),
        (
            [AgentTaskCompleted.DETAIL_TYPE, AgentTaskFailed.DETAIL_TYPE],
            None,
            AgentTaskCompleted.SOURCE,
            "functions.callback.handler.handler",
        ),
    ],
    ids=["agents", "onboarding-agents", "callback"],
)
def test_each_consumer_is_a_rule_to_a_queue_with_a_dlq_drained_by_its_function_in_batches(
    workflows: dict[str, Any], detail_types: list[str], detail: dict[str, Any] | None, source: str, handler: str
) -> None:
    assert AgentTaskFailed.SOURCE == AgentTaskCompleted.SOURCE
    rule = _rule(workflows, detail_types, detail)
    (target,) = rule["Targets"]
    queue_id = logical_id(target["Arn"])
    queue = workflows["Resources"][queue_id]["Properties"]

    assert rule["EventPattern"]["source"] == [source]
    assert logical_id(target["DeadLetterConfig"]["Arn"]) != queue_id
    assert target["RetryPolicy"]["MaximumRetryAttempts"] == DEV.target_retry.maximum_retry_attempts
    assert queue["RedrivePolicy"]["maxReceiveCount"] == DEV.consumers.max_receive_count
    assert logical_id(queue["RedrivePolicy"]["deadLetterTargetArn"]) in resources(workflows, "AWS::SQS::Queue")
    assert queue["VisibilityTimeout"] == 6 * DEV.functions.timeout_seconds  # AWS's advice for an event source
    assert queue["SqsManagedSseEnabled"] is True
    (mapping,) = [
        m["Properties"]
        for m in resources(workflows, "AWS::Lambda::EventSourceMapping").values()
        if logical_id(m["Properties"]["EventSourceArn"]) == queue_id
    ]
    assert mapping["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    assert mapping["BatchSize"] == DEV.consumers.batch_size
    assert logical_id(mapping["FunctionName"]) == _function_id(workflows, handler)


def test_every_queue_but_the_consumers_own_is_a_dead_letter_queue_with_an_alarm(workflows: dict[str, Any]) -> None:
    queues = resources(workflows, "AWS::SQS::Queue")
    drained = {
        logical_id(q["Properties"]["RedrivePolicy"]["deadLetterTargetArn"])
        for q in queues.values()
        if "RedrivePolicy" in q["Properties"]
    }
    consumed = {k for k, q in queues.items() if "RedrivePolicy" in q["Properties"]}
    alarmed = {
        logical_id(dimension["Value"])
        for alarm in resources(workflows, "AWS::CloudWatch::Alarm").values()
        if alarm["Properties"]["Namespace"] == "AWS/SQS"
        for dimension in alarm["Properties"]["Dimensions"]
    }

    assert len(consumed) == 4, "the agents', the onboarding agents', the callback's and the correlator's queues"
    assert alarmed == set(queues) - consumed
    assert drained <= alarmed
    # the onboarding agents add a redrive and a rule-target DLQ, the onboarding DAG's start rule a rule-target DLQ
    assert len(alarmed) == 13, "four redrive DLQs, eight rule-target DLQs, the order saga's escalations"


def test_the_state_machine_is_the_asl_file_with_the_stages_numbers_and_every_placeholder_substituted(
    workflows: dict[str, Any],
) -> None:
    machine = _pipeline(workflows)
    text = machine["DefinitionString"]
    definition = json.loads(text)
    dispatch = definition["States"]["Specialists"]["ItemProcessor"]["States"]["Dispatch"]
    data = dispatch["Arguments"]["Entries"][0]["Detail"]["data"]
    substitutions = machine["DefinitionSubstitutions"]

    assert definition["QueryLanguage"] == "JSONata"
    assert set(re.findall(r"\$\{(\w+)\}", text)) == set(substitutions)
    assert logical_id(substitutions["TriageFunctionArn"]) == _function_id(workflows, "functions.triage.handler.handler")
    assert logical_id(substitutions["SynthesisFunctionArn"]) == _function_id(
        workflows, "functions.synthesis.handler.handler"
    )
    assert substitutions["EventBusName"]["Fn::ImportValue"].startswith("Orchestrator-dev-EventPlane:")
    pipeline = DEV.agent_pipeline
    assert (dispatch["TimeoutSeconds"], dispatch["HeartbeatSeconds"]) == (
        pipeline.agent_timeout_seconds,
        pipeline.agent_heartbeat_seconds,
    )
    assert (data["timeout_seconds"], data["heartbeat_seconds"]) == (
        dispatch["TimeoutSeconds"],
        dispatch["HeartbeatSeconds"],
    )
    assert definition["States"]["Specialists"]["MaxConcurrency"] == pipeline.max_concurrency
    assert dispatch["Resource"] == "arn:aws:states:::events:putEvents.waitForTaskToken"
    entry = dispatch["Arguments"]["Entries"][0]
    assert (entry["Source"], entry["DetailType"]) == (AgentTaskRequested.SOURCE, AgentTaskRequested.DETAIL_TYPE)
    assert data["task_token"] == "{% $states.context.Task.Token %}"
    published = definition["States"]["PublishResolved"]["Arguments"]["Entries"][0]
    assert (published["Source"], published["DetailType"]) == (TicketResolved.SOURCE, TicketResolved.DETAIL_TYPE)


def test_an_agents_failure_or_silence_is_caught_and_transient_lambda_errors_are_retried_with_jitter(
    workflows: dict[str, Any],
) -> None:
    states = _definition(workflows)["States"]
    dispatch = states["Specialists"]["ItemProcessor"]["States"]["Dispatch"]

    assert [c["ErrorEquals"] for c in dispatch["Catch"]] == [
        ["States.Timeout", "States.HeartbeatTimeout"],
        ["States.ALL"],
    ]
    # Through the circuit breaker's failure count, then on to where the catchers went in the ASL file.
    assert [c["Next"] for c in dispatch["Catch"]] == ["DispatchFailed", "DispatchFailed"]
    assert [c["Assign"]["breaker_next"] for c in dispatch["Catch"]] == ["AgentTimedOut", "AgentFailed"]
    for name in ("Triage", "Synthesis"):
        # First, the pause check's error, never retried (asl/pause_points.py); then the transient errors.
        paused, retry = states[name]["Retry"]
        assert paused == {"ErrorEquals": ["PauseInForce"], "MaxAttempts": 0}
        assert "Lambda.TooManyRequestsException" in retry["ErrorEquals"]
        assert "Lambda.ServiceException" in retry["ErrorEquals"]
        assert retry["JitterStrategy"] == "FULL"
        assert retry["BackoffRate"] > 1


def test_the_state_machine_logs_all_with_execution_data_and_is_traced(workflows: dict[str, Any]) -> None:
    machine = _pipeline(workflows)
    logging = machine["LoggingConfiguration"]

    assert (logging["Level"], logging["IncludeExecutionData"]) == ("ALL", True)
    (destination,) = logging["Destinations"]
    log_group = logical_id(destination["CloudWatchLogsLogGroup"]["LogGroupArn"])
    assert workflows["Resources"][log_group]["Type"] == "AWS::Logs::LogGroup"
    assert machine["TracingConfiguration"] == {"Enabled": True}
    assert machine["StateMachineType"] == "STANDARD"


def test_the_state_machine_may_invoke_its_three_functions_put_events_and_use_its_own_items_only(
    workflows: dict[str, Any],
) -> None:
    machine = _pipeline(workflows)
    statements = _statements(workflows, logical_id(machine["RoleArn"]))
    by_action = {json.dumps(s["Action"]): s["Resource"] for s in statements if s["Resource"] != "*"}

    breakers = by_action.pop('["dynamodb:GetItem","dynamodb:PutItem"]'.replace(",", ", "))
    assert "CircuitBreakers" in breakers["Fn::ImportValue"]
    # No start claim of its own: its admission function's (tests/infra/test_admission.py).
    assert not [s for s in statements if s["Action"] == "dynamodb:PutItem"]
    by_action.pop('["dynamodb:ConditionCheckItem", "dynamodb:GetItem"]')  # the pause records (test_pause_points.py)
    assert set(by_action) == {'"lambda:InvokeFunction"', '"events:PutEvents"'}
    assert {logical_id(r) for r in by_action['"lambda:InvokeFunction"']} == {
        _function_id(workflows, "functions.triage.handler.handler"),
        _function_id(workflows, "functions.synthesis.handler.handler"),
        _function_id(workflows, "functions.correlator.register.handler"),
        *[k for k in resources(workflows, "AWS::Lambda::Function") if k.startswith("AgentPipelineAdmission")],
    }
    assert by_action['"events:PutEvents"']["Fn::ImportValue"].startswith("Orchestrator-dev-EventPlane:")
    wildcard = [s for s in statements if s["Resource"] == "*"]
    wildcard_actions = {a for s in wildcard for a in ([s["Action"]] if isinstance(s["Action"], str) else s["Action"])}
    assert {a.split(":")[0] for a in wildcard_actions} == {"logs", "xray", "cloudwatch"}, "logs, tracing, metrics"
    (metrics,) = [s for s in wildcard if s["Action"] == "cloudwatch:PutMetricData"]
    assert metrics["Condition"] == {"StringEquals": {"cloudwatch:namespace": DEV.metrics_namespace}}


# The workflows whose tasks a function answers: the specialists the pipeline's, the onboarding agents the DAGs',
# the callback both's; the correlator also resumes the saga's held executions (pause points).
PIPELINE, DAGS, CORRELATED = ("AgentPipeline",), ("AgentPipeline", "Dag"), ("AgentPipeline", "Dag", "OrderSaga")


@pytest.mark.parametrize(
    ("handler", "granted", "serves"),
    [
        ("functions.agents.handler.handler", {"states:SendTaskHeartbeat", "events:PutEvents"}, PIPELINE),
        ("functions.onboarding.handler.handler", {"states:SendTaskHeartbeat", "events:PutEvents"}, ("Dag",)),
        ("functions.callback.handler.handler", {"states:SendTaskSuccess", "states:SendTaskFailure"}, DAGS),
        ("functions.triage.handler.handler", set(), ()),
        ("functions.synthesis.handler.handler", set(), ()),
        ("functions.correlator.register.handler", {"states:SendTaskSuccess"}, CORRELATED),
        ("functions.correlator.handler.handler", {"states:SendTaskSuccess"}, CORRELATED),
    ],
)
def test_each_function_may_do_what_it_needs_on_its_own_resources_only(
    workflows: dict[str, Any], handler: str, granted: set[str], serves: tuple[str, ...]
) -> None:
    function = workflows["Resources"][_function_id(workflows, handler)]["Properties"]
    statements = _statements(workflows, logical_id(function["Role"]))
    machines = {k for k in resources(workflows, "AWS::StepFunctions::StateMachine") if k.startswith(serves or ("-",))}
    served: set[str] = set()
    actions: set[str] = set()
    for statement in statements:
        for action in [statement["Action"]] if isinstance(statement["Action"], str) else statement["Action"]:
            if action.startswith(("states:", "events:")):
                actions.add(action)
                if action.startswith("states:"):
                    assert logical_id(statement["Resource"]) in machines
                    served.add(logical_id(statement["Resource"]))
                else:
                    assert statement["Resource"]["Fn::ImportValue"].startswith("Orchestrator-dev-EventPlane:")

    assert actions == granted
    assert served == machines


@pytest.mark.parametrize(
    ("handler", "environment"),
    [
        ("functions.triage.handler.handler", {"REASONER": DEV.agent_pipeline.reasoner}),
        ("functions.synthesis.handler.handler", {"REASONER": DEV.agent_pipeline.reasoner}),
        (
            "functions.agents.handler.handler",
            {"REASONER": DEV.agent_pipeline.reasoner, "EVENT_BUS_NAME": ..., "IDEMPOTENCY_TABLE": ...},
        ),
        ("functions.callback.handler.handler", {"IDEMPOTENCY_TABLE": ...}),
        ("functions.correlator.register.handler", {"WORKFLOW_CONTROL_TABLE": ...}),
        (
            "functions.correlator.handler.handler",
            {"WORKFLOW_CONTROL_TABLE": ..., "MESSAGE_TTL_SECONDS": str(DEV.correlation.message_ttl_seconds)},
        ),
    ],
)
def test_every_handler_named_in_the_stack_exists_and_gets_its_settings(
    workflows: dict[str, Any], handler: str, environment: dict[str, Any]
) -> None:
    module, attribute = handler.rsplit(".", 1)
    assert callable(getattr(importlib.import_module(module), attribute))
    variables = workflows["Resources"][_function_id(workflows, handler)]["Properties"]["Environment"]["Variables"]
    for name, value in environment.items():
        assert name in variables
        if value is not ...:
            assert variables[name] == value


def test_only_the_handlers_with_side_effects_and_the_workflows_get_the_idempotency_table_and_only_what_they_call(
    workflows: dict[str, Any], templates: dict[str, Any]
) -> None:
    (table_id,) = [k for k in resources(templates["State"], "AWS::DynamoDB::Table") if k.startswith("Idempotency")]
    table = templates["State"]["Resources"][table_id]["Properties"]
    # Powertools' DynamoDBPersistenceLayer defaults: partition key `id`, expiry `expiration`.
    assert table["KeySchema"] == [{"AttributeName": "id", "KeyType": "HASH"}]
    assert table["TimeToLiveSpecification"] == {"AttributeName": "expiration", "Enabled": True}
    state_exports = {
        output["Export"]["Name"]: output["Value"]
        for output in templates["State"].get("Outputs", {}).values()
        if "Export" in output
    }

    def imports_of_the_table(value: Any) -> bool:
        name = value.get("Fn::ImportValue") if isinstance(value, dict) else None
        return name in state_exports and table_id in json.dumps(state_exports[name])

    handlers = (
        "functions.agents.handler.handler",
        "functions.onboarding.handler.handler",
        "functions.callback.handler.handler",
        "functions.inventory.handler.handler",
        "functions.payments.handler.handler",
        "functions.shipping.handler.handler",
    )
    consumers = [workflows["Resources"][_function_id(workflows, handler)]["Properties"] for handler in handlers]
    admissions = [
        f["Properties"]["Role"]
        for f in resources(workflows, "AWS::Lambda::Function").values()
        if f["Properties"]["Handler"] == "functions.admission.handler.handler"
    ]
    assert len(admissions) == len(resources(workflows, "AWS::StepFunctions::StateMachine"))
    for function in consumers:
        assert imports_of_the_table(function["Environment"]["Variables"]["IDEMPOTENCY_TABLE"])
    granted: dict[str, set[str]] = {}
    for policy in resources(workflows, "AWS::IAM::Policy").values():
        for statement in policy["Properties"]["PolicyDocument"]["Statement"]:
            targets = statement["Resource"] if isinstance(statement["Resource"], list) else [statement["Resource"]]
            if any(imports_of_the_table(t) for t in targets):
                role = logical_id(policy["Properties"]["Roles"][0])
                actions = [statement["Action"]] if isinstance(statement["Action"], str) else statement["Action"]
                granted.setdefault(role, set()).update(actions)

    powertools_calls = {"dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem"}
    assert granted == {
        **{logical_id(function["Role"]): powertools_calls for function in consumers},
        # Every workflow's admission (the DAGs' too) claims its start events with a conditional put.
        **{logical_id(role): {"dynamodb:PutItem"} for role in admissions},
    }


def test_cfn_lint_checks_the_definition_itself(workflows: dict[str, Any]) -> None:
    broken = json.loads(json.dumps(workflows))
    machine = broken["Resources"][_pipeline_id(broken)]
    definition = json.loads(machine["Properties"]["DefinitionString"])
    definition["States"]["Synthesis"]["Type"] = "Teleport"
    machine["Properties"]["DefinitionString"] = json.dumps(definition)

    errors = [m.message for m in lint(json.dumps(broken)) if m.rule.id == "E3601"]

    assert any("Synthesis" in e for e in errors), errors


def test_numbers_are_written_in_only_where_the_definition_has_their_placeholder() -> None:
    assert with_numbers('{"TimeoutSeconds": "${Timeout}", "Name": "${Other}"}', {"Timeout": 30}) == (
        '{"TimeoutSeconds": 30, "Name": "${Other}"}'
    )
    with pytest.raises(ValueError, match=r'no "\$\{Missing\}" placeholder'):
        with_numbers('{"TimeoutSeconds": 1}', {"Missing": 1})


def test_the_correlators_rule_routes_exactly_the_events_it_correlates(workflows: dict[str, Any]) -> None:
    rule = _rule(workflows, list(correlated.CORRELATED_DETAIL_TYPES))

    assert rule["EventPattern"] == {
        "source": list(correlated.CORRELATED_SOURCES),
        "detail-type": list(correlated.CORRELATED_DETAIL_TYPES),
    }
    queue_target = rule["Targets"][0]
    assert "DeadLetterConfig" in queue_target and "RetryPolicy" in queue_target


@pytest.mark.parametrize(
    ("table", "prefixes"), [("WorkflowControl", ("msg#", "dag#", "pause#")), ("CircuitBreakers", ("agent:",))]
)
def test_shared_tables_are_granted_on_their_own_items_only(
    workflows: dict[str, Any], table: str, prefixes: tuple[str, ...]
) -> None:
    """The correlator's items and the DAGs' completion records share WorkflowControl with the pause records the
    workflows read; the workflows' breakers share CircuitBreakers with the handlers' breakers: every grant on them is
    limited to one kind of key."""
    grants = [
        statement
        for policy in resources(workflows, "AWS::IAM::Policy").values()
        for statement in policy["Properties"]["PolicyDocument"]["Statement"]
        if table in json.dumps(statement["Resource"])
    ]

    assert grants, f"something is granted on {table}"
    granted_prefixes = set()
    for statement in grants:
        (prefix,) = statement["Condition"]["ForAllValues:StringLike"]["dynamodb:LeadingKeys"]
        assert statement["Condition"] == {"ForAllValues:StringLike": {"dynamodb:LeadingKeys": [prefix]}}
        granted_prefixes.add(prefix.removesuffix("*"))
    assert granted_prefixes == set(prefixes)
    assert Subject("ApprovalDecided", "k").partition.startswith(PARTITION_PREFIX)


def test_every_state_machine_is_tagged_with_the_workflow_name_the_control_plane_knows(
    workflows: dict[str, Any],
) -> None:
    names = []
    for machine in resources(workflows, "AWS::StepFunctions::StateMachine").values():
        tags = {t["Key"]: t["Value"] for t in machine["Properties"]["Tags"]}
        names.append(tags[discovery.WORKFLOW_TAG])
    assert WORKFLOW_TAG == discovery.WORKFLOW_TAG
    assert sorted(names) == ["agent-pipeline", "customer-onboarding", "order-saga"]
