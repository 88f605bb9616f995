"""Every workflow's `live` alias (infra/constructs/live_alias.py): each deploy publishes a version and routes `live` all
to it, and every rule that starts a workflow starts it through `live`, with a role that may start it that way only."""

from __future__ import annotations

from typing import Any

from infra.constructs.live_alias import LIVE_ALIAS
from orchestrator.control.definitions import DEFAULT_ALIAS
from tests.conftest import STACKS
from tests.infra.helpers import logical_id, resources, role_statements, start_live_statement, started_through_live

VERSION = "AWS::StepFunctions::StateMachineVersion"
ALIAS = "AWS::StepFunctions::StateMachineAlias"


def _step_functions_targets(template: dict[str, Any]) -> list[dict[str, Any]]:
    """Every rule target of the template that names a Step Functions resource of it."""
    kinds = {"AWS::StepFunctions::StateMachine", VERSION, ALIAS}
    return [
        target
        for rule in resources(template, "AWS::Events::Rule").values()
        for target in rule["Properties"].get("Targets", [])
        if isinstance(target["Arn"], dict) and template["Resources"][logical_id(target["Arn"])]["Type"] in kinds
    ]


def test_every_workflow_publishes_a_version_at_deploy_and_routes_live_all_to_it(templates: dict[str, Any]) -> None:
    workflows = templates["Workflows"]
    machines = set(resources(workflows, "AWS::StepFunctions::StateMachine"))
    versions = resources(workflows, VERSION)
    aliases = resources(workflows, ALIAS)

    published = {logical_id(v["Properties"]["StateMachineArn"]): k for k, v in versions.items()}
    assert set(published) == machines and len(versions) == len(machines), "one version per state machine"
    for machine, version_id in published.items():
        version = versions[version_id]
        # Published anew whenever the state machine's revision changes, and the replaced one kept.
        assert version["Properties"]["StateMachineRevisionId"] == {"Fn::GetAtt": [machine, "StateMachineRevisionId"]}
        assert version["UpdateReplacePolicy"] == "Retain"
    assert len(aliases) == len(machines)
    for alias in aliases.values():
        assert alias["Properties"]["Name"] == LIVE_ALIAS
        (route,) = alias["Properties"]["RoutingConfiguration"]
        assert route == {"StateMachineVersionArn": {"Fn::GetAtt": [logical_id(route["StateMachineVersionArn"]), "Arn"]},
                         "Weight": 100}  # fmt: skip
        assert logical_id(route["StateMachineVersionArn"]) in versions


def test_every_rule_starting_a_workflow_starts_it_through_live_as_a_role_allowed_that_only(
    templates: dict[str, Any],
) -> None:
    started: list[str] = []
    for stack in STACKS:
        template = templates[stack]
        for target in _step_functions_targets(template):
            machine = started_through_live(template, target)  # never the state machine's own ARN
            role = template["Resources"][logical_id(target["RoleArn"])]
            principals = [s["Principal"] for s in role["Properties"]["AssumeRolePolicyDocument"]["Statement"]]
            assert principals == [{"Service": "events.amazonaws.com"}]
            assert role_statements(template, logical_id(target["RoleArn"])) == [start_live_statement(machine)]
            started.append(machine)

    assert sorted(started) == sorted(resources(templates["Workflows"], "AWS::StepFunctions::StateMachine"))


def test_the_alias_the_deploy_creates_is_the_one_the_control_plane_shifts() -> None:
    assert LIVE_ALIAS == DEFAULT_ALIAS
