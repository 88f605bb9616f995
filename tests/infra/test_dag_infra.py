"""The CDK app deploys every `state_machines/*.dag.yaml` like a hand-written workflow: the compiled definition,
logs ALL and tracing, the start rule on the spec's event, grants on its own items only."""

from __future__ import annotations

import json
from typing import Any

from asl.dag import load
from asl.dag.deploy import deployed_definition
from functions.agents.reasoning import SPECIALISTS
from functions.onboarding.logic import AGENTS, PREFIX
from infra.stacks.workflows import SPECIALISTS as ROUTED_SPECIALISTS
from schemas.stages import load_stage
from tests.dag.test_spec import SHIPPED
from tests.infra.helpers import live_alias_of, logical_id, resources


def test_the_specialists_rule_and_the_onboarding_rule_split_the_agents_between_them() -> None:
    assert ROUTED_SPECIALISTS == SPECIALISTS
    assert all(agent.startswith(PREFIX) for agent in AGENTS)
    assert not any(agent.startswith(PREFIX) for agent in SPECIALISTS)
    for path in SHIPPED:
        for task in load(path).tasks:
            agents = [task.agent] + ([task.compensation.agent] if task.compensation else [])
            assert all(agent in AGENTS for agent in agents), f"{path.name}: {task.name} has no agent serving it"


def test_each_spec_is_deployed_with_its_compiled_definition_and_start_rule(templates: dict[str, Any]) -> None:
    workflows = templates["Workflows"]
    machines = resources(workflows, "AWS::StepFunctions::StateMachine")
    rules = resources(workflows, "AWS::Events::Rule")
    settings = load_stage("dev").agent_pipeline.specialist_breaker
    for path in SHIPPED:
        spec = load(path)
        machine_id = next(
            k for k in machines if k.startswith("Dag" + "".join(p.title() for p in path.name.split(".")[0].split("_")))
        )
        properties = machines[machine_id]["Properties"]

        assert json.loads(properties["DefinitionString"]) == deployed_definition(spec, settings)
        assert properties["LoggingConfiguration"]["Level"] == "ALL"
        assert properties["TracingConfiguration"] == {"Enabled": True}
        (rule,) = [
            r["Properties"]
            for r in rules.values()
            if any(logical_id(t["Arn"]) == live_alias_of(workflows, machine_id) for t in r["Properties"]["Targets"])
        ]
        assert rule["EventPattern"] == {"source": [spec.start.source], "detail-type": [spec.start.detail_type]}
        # Its start claims are its admission function's (`Begin`, tests/infra/test_admission.py), not its own.
        policies = [
            p["Properties"]["PolicyDocument"]["Statement"]
            for p in resources(workflows, "AWS::IAM::Policy").values()
            if [logical_id(r) for r in p["Properties"]["Roles"]] == [logical_id(properties["RoleArn"])]
        ]
        assert not [s for statements in policies for s in statements if "Idempotency" in json.dumps(s["Resource"])]
