"""`orch definitions`: on a deployed workflow (version 1 published and `live` routed to it by the deploy), publish two
versions, shift `live` to one by 10 % then 100 %, roll back; checked on the service's own alias
(DescribeStateMachineAlias), not only on what the CLI prints. tests/control/test_canary.py shows events following it."""

from __future__ import annotations

from typing import Any

from orchestrator.local.cloud import LocalCloud
from tests.control.conftest import Orch

WORKFLOW = "order-saga"


def routing(cloud: LocalCloud, machine: str, alias: str = "live") -> list[tuple[int, int]]:
    described: dict[str, Any] = cloud.client("stepfunctions").describe_state_machine_alias(
        stateMachineAliasArn=f"{machine}:{alias}"
    )
    return [
        (int(r["stateMachineVersionArn"].rsplit(":", 1)[1]), r["weight"]) for r in described["routingConfiguration"]
    ]


def test_publish_shift_canary_then_all_then_roll_back(orch: Orch, cloud: LocalCloud) -> None:
    deployed = orch("definitions", "list", WORKFLOW, "--output", "json").json()
    machine = deployed["state_machine_arn"]
    assert [(v["number"], v["description"]) for v in deployed["versions"]] == [(1, "published by the deploy")]
    assert routing(cloud, machine) == [(1, 100)]

    second = orch("definitions", "publish", WORKFLOW, "--description", "second", "--output", "json")
    assert second.code == 0, second.err
    assert second.json()["number"] == 2
    assert second.json()["arn"] == f"{machine}:2"
    third = orch("definitions", "publish", WORKFLOW, "--description", "third")
    assert third.code == 0, third.err
    assert third.out.splitlines()[0].split() == ["published", "3"]

    canary = orch("definitions", "shift", WORKFLOW, "--to", "2", "--weight", "10")
    assert canary.code == 0, canary.err
    assert canary.out.splitlines() == ["alias  live", "was    v1 100%", "now    v1 90%, v2 10%"]
    assert routing(cloud, machine) == [(1, 90), (2, 10)]

    listed = orch("definitions", "list", WORKFLOW, "--output", "json").json()
    assert [(v["number"], v["description"]) for v in listed["versions"]] == [
        (1, "published by the deploy"), (2, "second"), (3, "third"),
    ]  # fmt: skip
    assert [(a["name"], a["routing"]) for a in listed["aliases"]] == [
        ("live", [{"version": 1, "weight": 90}, {"version": 2, "weight": 10}])
    ]
    table = orch("definitions", "list", WORKFLOW).out.splitlines()
    assert table[0].split() == ["KIND", "NAME", "WHAT", "CREATED", "(UTC)"]
    assert [line.split()[:3] for line in table[2:]] == [
        ["version", "1", "published"],
        ["version", "2", "second"],
        ["version", "3", "third"],
        ["alias", "live", "v1"],
    ]

    assert orch("definitions", "shift", WORKFLOW, "--to", "2", "--weight", "100").code == 0
    assert routing(cloud, machine) == [(2, 100)]

    back = orch("definitions", "rollback", WORKFLOW)
    assert back.code == 0, back.err
    assert back.out.splitlines()[1:] == ["was    v2 100%", "now    v1 100%"]
    assert routing(cloud, machine) == [(1, 100)]

    # A canary rolls back to its stable (first) entry.
    assert orch("definitions", "shift", WORKFLOW, "--to", "3", "--weight", "30").code == 0
    assert routing(cloud, machine) == [(1, 70), (3, 30)]
    assert orch("definitions", "rollback", WORKFLOW).code == 0
    assert routing(cloud, machine) == [(1, 100)]

    # Another alias is created by its first shift, all of it on one version.
    created = orch("definitions", "shift", WORKFLOW, "--to", "3", "--weight", "100", "--alias", "beta")
    assert created.code == 0, created.err
    assert routing(cloud, machine, "beta") == [(3, 100)]


def test_unknown_workflow_is_not_found(orch: Orch) -> None:
    ran = orch("definitions", "list", "no-such-workflow")
    assert ran.code == 3
    assert ran.error_lines() == [
        "orch: no workflow 'no-such-workflow'; use one of: agent-pipeline, customer-onboarding, order-saga",
    ]
    assert orch("definitions", "rollback", "no-such-workflow").code == 3


def test_bad_weight_is_a_usage_error_naming_the_field(orch: Orch) -> None:
    assert orch("definitions", "publish", "agent-pipeline").code == 0
    ran = orch("definitions", "shift", "agent-pipeline", "--to", "1", "--weight", "150")
    assert ran.code == 2
    (line,) = ran.error_lines()
    assert line.startswith("orch: invalid input (weight): weight 150 is not a percentage from 1 to 100")

    first_canary = orch("definitions", "shift", "agent-pipeline", "--to", "1", "--weight", "10", "--alias", "new")
    assert first_canary.code == 2
    assert first_canary.error_lines()[0].startswith("orch: invalid input (weight): alias 'new' does not exist yet")

    missing = orch("definitions", "shift", "agent-pipeline", "--to", "99", "--weight", "100")
    assert missing.code == 3
    assert "no version 99" in missing.err
