"""Event classes in the synthesized app: every PutEvents grant names exactly the sources and detail-types its principal
emits (schemas/envelope.py `EMITTED_BY`, infra/constructs/emitting.py), and other accounts may put external types
only. The local runtime enforces these conditions (tests/workflows/test_forged_events.py shows the forgeries denied).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk import aws_stepfunctions as sfn
from aws_cdk.assertions import Template

from asl.emitted import emitted_events
from infra.constructs.alerts import AlertsTopic
from infra.constructs.emitting import grant_emit_entries
from infra.constructs.event_bus import OrchestratorBus
from schemas.catalog import emitted_by
from schemas.envelope import Emitter, EventData
from schemas.stages import load_stage
from tests.infra.helpers import logical_id, resources, role_statements

DEV = load_stage("dev")
EMITTER_OF_HANDLER = {
    "functions.ingest.handler.handler": Emitter.PRODUCERS,
    "functions.agents.handler.handler": Emitter.AGENTS,
    "functions.onboarding.handler.handler": Emitter.AGENTS,
    "functions.control_api.handler.handler": Emitter.CONTROL,
}
Pair = tuple[str, str]


def pairs_of(types: tuple[type[EventData], ...]) -> set[Pair]:
    return {(t.SOURCE, t.DETAIL_TYPE) for t in types}


def granted_pairs(statements: list[dict[str, Any]]) -> set[Pair]:
    found: set[Pair] = set()
    for statement in statements:
        if "events:PutEvents" not in json.dumps(statement["Action"]):
            continue
        assert statement["Effect"] == "Allow"
        condition = statement["Condition"]["StringEquals"]  # never an unconditioned PutEvents
        source, detail_types = condition["events:source"], condition["events:detail-type"]
        assert isinstance(source, str), "one statement per source: both lists in one would allow their product"
        found |= {(source, d) for d in ([detail_types] if isinstance(detail_types, str) else detail_types)}
    return found


def definition_of(machine: dict[str, Any]) -> dict[str, Any]:
    """The definition with its substitutions (bus name, function ARNs) as placeholders."""
    body = machine["DefinitionString"]
    text = body if isinstance(body, str) else "".join(p if isinstance(p, str) else "X" for p in body["Fn::Join"][1])
    parsed: dict[str, Any] = json.loads(text)
    return parsed


@pytest.fixture(scope="module")
def app_templates(templates: dict[str, dict[str, Any]], assembly_dir: Path) -> dict[str, dict[str, Any]]:
    control = json.loads((assembly_dir / "Orchestrator-dev-Control.template.json").read_text(encoding="utf-8"))
    return {**templates, "Control": control}


def test_each_function_may_put_exactly_the_event_types_of_its_class(app_templates: dict[str, Any]) -> None:
    checked = set()
    for stack, template in app_templates.items():
        for function in resources(template, "AWS::Lambda::Function").values():
            handler = function["Properties"].get("Handler")
            granted = granted_pairs(role_statements(template, logical_id(function["Properties"]["Role"])))
            emitter = EMITTER_OF_HANDLER.get(handler)
            expected = set() if emitter is None else pairs_of(emitted_by(emitter))
            assert granted == expected, f"{stack}: {handler}"
            checked.add(handler)
    assert set(EMITTER_OF_HANDLER) <= checked
    # The classes themselves: ingest takes no event the app states about itself.
    assert ("orchestrator.approvals", "ApprovalDecided") not in pairs_of(emitted_by(Emitter.PRODUCERS))
    assert ("orchestrator.agents", "AgentTaskCompleted") not in pairs_of(emitted_by(Emitter.PRODUCERS))


def test_each_state_machine_may_put_exactly_the_entries_of_its_definition(app_templates: dict[str, Any]) -> None:
    machines = 0
    for stack, template in app_templates.items():
        for machine in resources(template, "AWS::StepFunctions::StateMachine").values():
            properties = machine["Properties"]
            entries = {(e.source, e.detail_type) for e in emitted_events(definition_of(properties))}
            assert entries, f"{stack}: every workflow of the app puts events"
            assert entries <= pairs_of(emitted_by(Emitter.WORKFLOWS))
            assert granted_pairs(role_statements(template, logical_id(properties["RoleArn"]))) == entries, stack
            machines += 1
    assert machines >= 3  # the saga, the agent pipeline, the onboarding DAG


def test_other_accounts_may_put_external_event_types_only() -> None:
    config = DEV.model_copy(update={"trusted_account_ids": ["111111111111"], "trusted_organization_id": "o-abc123"})
    stack = cdk.Stack(cdk.App(), "Plane")
    OrchestratorBus(stack, "Bus", config=config, alerts=AlertsTopic(stack, "Alerts", config=config))
    policies = Template.from_stack(stack).find_resources("AWS::Events::EventBusPolicy").values()
    statements = [p["Properties"]["Statement"] for p in policies]  # CDK makes a policy per statement
    outside = [s for s in statements if "OwnAccountPutEvents" not in s["Sid"]]
    by_sid = {s["Sid"]: s for s in outside}
    assert granted_pairs(outside) == pairs_of(emitted_by(Emitter.PRODUCERS))
    organization = [s for sid, s in by_sid.items() if "OrganizationPutEvents" in sid]
    accounts = [s for sid, s in by_sid.items() if "TrustedAccountsPutEvents" in sid]
    assert len(organization) == len(accounts) == len({s for s, _ in pairs_of(emitted_by(Emitter.PRODUCERS))})
    assert all(s["Condition"]["StringEquals"]["aws:PrincipalOrgID"] == "o-abc123" for s in organization)
    assert all("111111111111" in json.dumps(s["Principal"]) for s in accounts)


def put_task(entry: dict[str, Any]) -> dict[str, Any]:
    return {
        "StartAt": "Put",
        "States": {
            "Put": {
                "Type": "Task",
                "Resource": "arn:aws:states:::events:putEvents",
                "Arguments": {"Entries": [entry]},
                "End": True,
            }
        },
    }


@pytest.mark.parametrize(
    ("entry", "reason"),
    [
        ({"Source": "orchestrator.workflows", "DetailType": "{% $states.input.type %}"}, "computed"),
        ({"Source.$": "$.source", "DetailType": "AgentTaskRequested"}, "computed"),
        ({"Source": "shop.orders", "DetailType": "OrderPlaced"}, "which workflows do not emit"),
        ({"Source": "shop.orders", "DetailType": "TicketResolved"}, "comes from source"),
        ({"Source": "x.y", "DetailType": "NoSuchEvent"}, "unknown detail-type"),
    ],
)
def test_a_workflow_putting_what_it_may_not_emit_fails_the_synth(entry: dict[str, Any], reason: str) -> None:
    stack = cdk.Stack(cdk.App(), "Workflow")
    machine = sfn.StateMachine(
        stack, "Machine", definition_body=sfn.DefinitionBody.from_string(json.dumps(put_task(entry)))
    )
    bus = cdk.aws_events.EventBus(stack, "Bus")
    with pytest.raises(ValueError, match=reason):
        grant_emit_entries(bus, machine, put_task(entry))


def test_entries_are_found_inside_map_iterations_and_parallel_branches() -> None:
    inner = put_task({"Source": "orchestrator.workflows", "DetailType": "AgentTaskRequested"})
    definition = {
        "StartAt": "Fan",
        "States": {
            "Fan": {"Type": "Map", "ItemProcessor": inner, "Next": "Both"},
            "Both": {
                "Type": "Parallel",
                "Branches": [put_task({"Source": "shop.orders", "DetailType": "OrderCompleted"})],
                "End": True,
            },
        },
    }
    assert [(e.state, e.detail_type) for e in emitted_events(definition)] == [
        ("Put", "AgentTaskRequested"),
        ("Put", "OrderCompleted"),
    ]
