"""Executions started through a version's or an alias's ARN on the local runtime (orchestrator/local/stepfunctions/
qualified.py), as the Step Functions API reference describes them: the version's definition runs, an alias draws its
version by weight, and the execution stays its state machine's (described, listed, answered, stopped) while saying
which version and alias it was started with. Its versions and aliases come from a template as CloudFormation makes
them (definitions.py)."""

from __future__ import annotations

import json
import random
from collections.abc import Iterator
from typing import Any

import pytest
from botocore.exceptions import ClientError
from moto import mock_aws

from orchestrator.assembly import StackTemplate
from orchestrator.local import jsonata_engine
from orchestrator.local.provision import Provisioner
from orchestrator.local.runtime import MOTO_CONFIG
from orchestrator.local.stepfunctions import AliasRouter
from tests.integration.test_local_stepfunctions import ROLE_ARN, Local, local_runtime, wait_for_token_task

ONE = {"StartAt": "Answer", "States": {"Answer": {"Type": "Pass", "Result": "one", "End": True}}}
TWO = {"StartAt": "Answer", "States": {"Answer": {"Type": "Pass", "Result": "two", "End": True}}}


@pytest.fixture
def local(aws_credentials: None) -> Iterator[Local]:
    with mock_aws(config=MOTO_CONFIG), jsonata_engine.jsonata_enabled():
        local = local_runtime(random.Random(11))
        try:
            yield local
            assert local.runtime.activity.wait_idle(10), "status-change events still being sent"
            assert local.runtime.activity.failures == []
        finally:
            assert local.adapter.uninstall(), "a thread of the interpreter outlived uninstall()"


def versioned(local: Local, *definitions: dict[str, Any], name: str = "versioned") -> str:
    """A state machine with each definition published in turn (versions 1, 2, ...); its latest is the last one."""
    machine = local.machine(definitions[0], name=name)
    for definition in definitions:
        local.sfn.update_state_machine(stateMachineArn=machine, definition=json.dumps(definition), publish=True)
    return machine


def alias(local: Local, machine: str, routes: dict[int, int], name: str = "live") -> str:
    routing = [{"stateMachineVersionArn": f"{machine}:{n}", "weight": w} for n, w in routes.items()]
    return str(local.sfn.create_state_machine_alias(name=name, routingConfiguration=routing)["stateMachineAliasArn"])


def answer(local: Local, execution_arn: str) -> Any:
    return json.loads(local.finished(execution_arn)["output"])


# -- the draw -------------------------------------------------------------------------------------------------------


def routes(*weights: int) -> list[dict[str, Any]]:
    return [{"stateMachineVersionArn": f"m:{n}", "weight": w} for n, w in enumerate(weights, start=1)]


def test_an_alias_draws_by_weight_and_a_seeded_router_repeats_its_draws() -> None:
    router = AliasRouter(random.Random(3))
    assert {router.choose(routes(100)) for _ in range(50)} == {"m:1"}
    assert {router.choose(routes(0, 100)) for _ in range(50)} == {"m:2"}

    first = AliasRouter(random.Random(5))
    again = AliasRouter(random.Random(5))
    sequence = [first.choose(routes(90, 10)) for _ in range(200)]
    assert [again.choose(routes(90, 10)) for _ in range(200)] == sequence
    other = AliasRouter(random.Random(6))
    assert [other.choose(routes(90, 10)) for _ in range(200)] != sequence

    many = [first.choose(routes(90, 10)) for _ in range(5000)]
    assert 0.08 < many.count("m:2") / len(many) < 0.12  # 10 %, give or take sampling


# -- on the runtime ---------------------------------------------------------------------------------------------------


def test_a_version_runs_its_own_definition_and_stays_the_state_machines_execution(local: Local) -> None:
    machine = versioned(local, ONE, TWO)

    started = local.start(f"{machine}:1", name="of-version-1")
    latest = local.start(machine, name="latest")

    assert started == f"{machine.replace(':stateMachine:', ':execution:')}:of-version-1"
    assert answer(local, started) == "one"
    assert answer(local, latest) == "two"
    described = local.sfn.describe_execution(executionArn=started)
    assert described["stateMachineArn"] == machine
    assert described["stateMachineVersionArn"] == f"{machine}:1"
    assert "stateMachineAliasArn" not in described
    assert "stateMachineVersionArn" not in local.sfn.describe_execution(executionArn=latest)
    listed = {e["name"]: e for e in local.sfn.list_executions(stateMachineArn=machine)["executions"]}
    assert set(listed) == {"of-version-1", "latest"}
    assert listed["of-version-1"]["stateMachineVersionArn"] == f"{machine}:1"
    assert listed["of-version-1"]["stateMachineArn"] == machine
    assert "stateMachineVersionArn" not in listed["latest"]
    ran = local.sfn.describe_state_machine_for_execution(executionArn=started)
    assert (ran["stateMachineArn"], json.loads(ran["definition"])) == (machine, ONE)
    # The machine's execution names are one space: a version's execution takes its name.
    with pytest.raises(ClientError, match="ExecutionAlreadyExists"):
        local.start(f"{machine}:2", name="of-version-1")


def test_an_alias_runs_the_version_it_routes_to_and_follows_its_updates(local: Local) -> None:
    machine = versioned(local, ONE, TWO)
    live = alias(local, machine, {1: 100})

    on_one = local.start(live, name="on-one")
    local.sfn.update_state_machine_alias(
        stateMachineAliasArn=live, routingConfiguration=[{"stateMachineVersionArn": f"{machine}:2", "weight": 100}]
    )
    on_two = local.start(live, name="on-two")

    assert (answer(local, on_one), answer(local, on_two)) == ("one", "two")
    for arn, version in ((on_one, 1), (on_two, 2)):
        described = local.sfn.describe_execution(executionArn=arn)
        assert described["stateMachineArn"] == machine
        assert described["stateMachineVersionArn"] == f"{machine}:{version}"
        assert described["stateMachineAliasArn"] == live


def test_a_canary_alias_splits_its_executions_between_its_versions(local: Local) -> None:
    machine = versioned(local, ONE, TWO)
    canary = alias(local, machine, {1: 50, 2: 50})

    executions = [local.start(canary, name=f"run-{n}") for n in range(20)]

    answers = [answer(local, arn) for arn in executions]
    versions = [local.sfn.describe_execution(executionArn=arn)["stateMachineVersionArn"] for arn in executions]
    assert set(answers) == {"one", "two"}  # seeded: the same split every run
    assert [v.rsplit(":", 1)[1] for v in versions] == ["1" if a == "one" else "2" for a in answers]


def test_an_alias_executions_task_is_answered_and_stopped_as_the_state_machines(local: Local) -> None:
    inbox, _ = local.queue("inbox")
    waits = {"StartAt": "Wait", "States": {"Wait": {**wait_for_token_task(inbox), "End": True}}}
    machine = versioned(local, waits, name="waits")
    live = alias(local, machine, {1: 100})

    answered = local.start(live, {"order": "o-1"}, name="answered")
    token = local.next_message(inbox)["token"]
    local.sfn.send_task_success(taskToken=token, output=json.dumps({"ok": True}))
    stopped = local.start(live, {"order": "o-2"}, name="stopped")
    local.next_message(inbox)
    local.sfn.stop_execution(executionArn=stopped)

    assert answer(local, answered) == {"ok": True}
    assert local.finished(stopped)["status"] == "ABORTED"


def test_status_change_events_name_the_version_and_the_alias(local: Local) -> None:
    tap_url, tap_arn = local.queue("status-changes")
    pattern = {"source": ["aws.states"], "detail-type": ["Step Functions Execution Status Change"]}
    local.events.put_rule(Name="status-changes", EventPattern=json.dumps(pattern))
    local.events.put_targets(Rule="status-changes", Targets=[{"Id": "tap", "Arn": tap_arn}])
    machine = versioned(local, ONE)
    live = alias(local, machine, {1: 100})

    local.finished(local.start(live, name="through-live"))
    assert local.runtime.activity.wait_idle(10)

    details = [local.next_message(tap_url)["detail"] for _ in range(2)]
    assert [d["status"] for d in details] == ["RUNNING", "SUCCEEDED"]
    for detail in details:
        assert detail["stateMachineArn"] == machine
        assert (detail["stateMachineVersionArn"], detail["stateMachineAliasArn"]) == (f"{machine}:1", live)


def test_an_unknown_alias_or_version_is_an_unknown_state_machine_and_bad_input_is_refused(local: Local) -> None:
    machine = versioned(local, ONE)
    live = alias(local, machine, {1: 100})

    for missing in (f"{machine}:beta", f"{machine}:7"):
        with pytest.raises(ClientError) as raised:
            local.start(missing)
        assert raised.value.response["Error"]["Code"] == "StateMachineDoesNotExist"
    with pytest.raises(ClientError) as refused:
        local.sfn.start_execution(stateMachineArn=live, input="{not json")
    assert refused.value.response["Error"]["Code"] == "InvalidExecutionInput"
    assert local.sfn.list_executions(stateMachineArn=machine)["executions"] == []


# -- from a template ------------------------------------------------------------------------------------------------

TEMPLATE = {
    "Resources": {
        "Machine": {
            "Type": "AWS::StepFunctions::StateMachine",
            "Properties": {"RoleArn": ROLE_ARN, "DefinitionString": json.dumps(ONE)},
        },
        "Version": {
            "Type": "AWS::StepFunctions::StateMachineVersion",
            "Properties": {
                "StateMachineArn": {"Ref": "Machine"},
                "StateMachineRevisionId": {"Fn::GetAtt": ["Machine", "StateMachineRevisionId"]},
                "Description": "published by the deploy",
            },
        },
        "Alias": {
            "Type": "AWS::StepFunctions::StateMachineAlias",
            "Properties": {
                "Name": "live",
                "RoutingConfiguration": [{"StateMachineVersionArn": {"Fn::GetAtt": ["Version", "Arn"]}, "Weight": 100}],
            },
        },
    }
}


def provisioned(local: Local, template: dict[str, Any]) -> dict[str, Any]:
    provisioner = Provisioner(local.runtime.session, creators=local.adapter.creators())
    provisioner.provision_stack(StackTemplate("Stack", template))
    return provisioner.resources["Stack"]


def test_a_version_and_an_alias_are_created_from_a_template_as_cloudformation_makes_them(local: Local) -> None:
    created = provisioned(local, TEMPLATE)
    machine = created["Machine"].ref

    assert created["Version"].ref == created["Version"].attributes["Arn"] == f"{machine}:1"
    assert local.sfn.describe_state_machine(stateMachineArn=f"{machine}:1")["description"] == "published by the deploy"
    assert created["Alias"].ref == created["Alias"].attributes["Arn"] == f"{machine}:live"
    described = local.sfn.describe_state_machine_alias(stateMachineAliasArn=f"{machine}:live")
    assert described["routingConfiguration"] == [{"stateMachineVersionArn": f"{machine}:1", "weight": 100}]
    assert answer(local, local.start(f"{machine}:live")) == "one"


def test_a_version_of_a_revision_that_is_not_the_current_one_is_refused(local: Local) -> None:
    stale = json.loads(json.dumps(TEMPLATE))
    stale["Resources"]["Version"]["Properties"]["StateMachineRevisionId"] = "a-revision-long-gone"

    with pytest.raises(ValueError, match="StateMachineRevisionId a-revision-long-gone is not"):
        provisioned(local, stale)
