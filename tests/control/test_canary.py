"""Canary for events: executions that events start follow the workflow's `live` alias. On the real assembly (IAM
enforced), a new definition of the order saga is published as version 2 and `live` shifted to it by half, then all,
then rolled back; the OrderPlaced events put on the bus meanwhile run the version `live` sends them to, as
DescribeExecution's `stateMachineVersionArn` says and their histories show (version 2 begins with a state of its own).
The runtime is seeded: which of the canary's executions go to which version repeats from run to run."""

from __future__ import annotations

import json
import math
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from orchestrator.local.cloud import LocalCloud
from schemas.orders import OrderPlaced
from tests.builders import sample_data
from tests.control.conftest import Orch, running_cloud

WORKFLOW = "order-saga"
MARKER = "CanaryMarker"  # the state only version 2 has, first


@pytest.fixture(scope="module")
def cloud(assembly_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalCloud]:
    with running_cloud(assembly_dir, tmp_path_factory, seed=7) as local:
        yield local


class Saga:
    """The order saga's state machine in the local cloud, and the executions its events start."""

    def __init__(self, cloud: LocalCloud) -> None:
        self.cloud = cloud
        self.machine = cloud.physical_id("AWS::StepFunctions::StateMachine", "OrderSaga")
        self._orders = len(cloud.executions(self.machine))  # order ids go on from the earlier tests' orders
        self._seen = {e["executionArn"] for e in cloud.executions(self.machine)}  # theirs are not this test's

    def orders(self, count: int) -> list[dict[str, Any]]:
        """Puts `count` new orders on the bus; the executions they started, described, once all have ended."""
        for _ in range(count):
            self._orders += 1
            order_id = f"canary-{self._orders}"
            data = {**sample_data("OrderPlaced"), "order_id": order_id}
            self.cloud.put_event(OrderPlaced.model_validate(data), correlation_id=order_id)
        self.cloud.wait_until_quiet(advance_clock=True)
        return self.new_executions(count)

    def new_executions(self, count: int) -> list[dict[str, Any]]:
        """The executions of the saga started since the last look (`count` of them)."""
        new = [e for e in self.cloud.executions(self.machine) if e["executionArn"] not in self._seen]
        self._seen |= {e["executionArn"] for e in new}
        assert len(new) == count
        return new

    def path(self, execution: dict[str, Any]) -> list[str]:
        """The states the execution went through, in order."""
        return [visit.name for visit in self.cloud.stepfunctions.history_path(execution["executionArn"])]

    def runs_marker(self, execution: dict[str, Any]) -> bool:
        """Whether the execution went through version 2's own first state."""
        return self.path(execution)[0] == MARKER

    def version(self, number: int) -> str:
        return f"{self.machine}:{number}"


def with_marker(definition: str) -> str:
    """The definition with a Pass state of its own put first."""
    parsed = json.loads(definition)
    parsed["States"] = {MARKER: {"Type": "Pass", "Next": parsed["StartAt"]}, **parsed["States"]}
    parsed["StartAt"] = MARKER
    return json.dumps(parsed)


def test_event_started_executions_follow_the_live_alias_through_canary_shift_and_rollback(
    orch: Orch, cloud: LocalCloud
) -> None:
    saga = Saga(cloud)
    sfn = cloud.client("stepfunctions")
    live = f"{saga.machine}:live"

    # As deployed: version 1 behind live.
    (deployed,) = saga.orders(1)
    assert deployed["status"] == "SUCCEEDED"
    assert deployed["stateMachineArn"] == saga.machine
    assert (deployed["stateMachineVersionArn"], deployed["stateMachineAliasArn"]) == (saga.version(1), live)
    assert not saga.runs_marker(deployed)

    # A new definition, published as version 2; live sends half the executions to it.
    current = sfn.describe_state_machine(stateMachineArn=saga.machine)["definition"]
    sfn.update_state_machine(stateMachineArn=saga.machine, definition=with_marker(current))
    published = orch("definitions", "publish", WORKFLOW, "--description", "with a marker", "--output", "json")
    assert published.json()["number"] == 2
    assert orch("definitions", "shift", WORKFLOW, "--to", "2", "--weight", "50").code == 0

    canary = saga.orders(10)
    assert {e["stateMachineAliasArn"] for e in canary} == {live}
    on_two = [e for e in canary if e["stateMachineVersionArn"] == saga.version(2)]
    on_one = [e for e in canary if e["stateMachineVersionArn"] == saga.version(1)]
    assert on_two and on_one and len(on_two) + len(on_one) == len(canary), (len(on_two), len(on_one))
    assert all(saga.runs_marker(e) for e in on_two)
    assert not any(saga.runs_marker(e) for e in on_one)
    assert {e["status"] for e in canary} == {"SUCCEEDED"}

    # All of live on version 2: every event runs it.
    assert orch("definitions", "shift", WORKFLOW, "--to", "2", "--weight", "100").code == 0
    shifted = saga.orders(3)
    assert {e["stateMachineVersionArn"] for e in shifted} == {saga.version(2)}
    assert all(saga.runs_marker(e) for e in shifted)

    # Rolled back: every event runs version 1 again, though the state machine's latest definition is version 2's.
    assert orch("definitions", "rollback", WORKFLOW).code == 0
    rolled_back = saga.orders(3)
    assert {e["stateMachineVersionArn"] for e in rolled_back} == {saga.version(1)}
    assert not any(saga.runs_marker(e) for e in rolled_back)


def test_orch_start_goes_through_live_and_an_arn_given_starts_as_given(orch: Orch, cloud: LocalCloud) -> None:
    saga = Saga(cloud)
    described = cloud.client("stepfunctions").describe_state_machine_alias(stateMachineAliasArn=f"{saga.machine}:live")
    (route,) = described["routingConfiguration"]  # where the test above left it (version 1), or as deployed

    by_name = orch("start", WORKFLOW, "--output", "json").json()["execution_arn"]
    latest = orch("start", saga.machine, "--output", "json").json()["execution_arn"]
    version = orch("start", saga.version(1), "--output", "json").json()["execution_arn"]
    cloud.wait_until_quiet(advance_clock=True)

    sfn = cloud.client("stepfunctions")
    through_live = sfn.describe_execution(executionArn=by_name)
    assert through_live["stateMachineVersionArn"] == route["stateMachineVersionArn"]
    assert through_live["stateMachineAliasArn"] == f"{saga.machine}:live"
    unqualified = sfn.describe_execution(executionArn=latest)
    assert "stateMachineVersionArn" not in unqualified and "stateMachineAliasArn" not in unqualified
    of_version = sfn.describe_execution(executionArn=version)
    assert of_version["stateMachineVersionArn"] == saga.version(1) and "stateMachineAliasArn" not in of_version
    listed = {e["executionArn"]: e for e in sfn.list_executions(stateMachineArn=saga.machine)["executions"]}
    assert listed[by_name]["stateMachineAliasArn"] == f"{saga.machine}:live"
    assert "stateMachineAliasArn" not in listed[version] and listed[version]["stateMachineVersionArn"]


def binomial_bounds(trials: int, p: float, outside: float = 0.001) -> tuple[int, int]:
    """The narrowest counts [low, high] holding a Binomial(trials, p) draw but for `outside` of the time (split
    between the two tails), computed exactly."""
    pmf = [math.comb(trials, k) * p**k * (1 - p) ** (trials - k) for k in range(trials + 1)]
    low = next(k for k in range(trials + 1) if sum(pmf[: k + 1]) > outside / 2)
    high = next(k for k in range(trials, -1, -1) if sum(pmf[k:]) > outside / 2)
    return low, high


def trivial(name: str) -> str:
    """A definition that only passes through a state named `name`: cheap to run 200 times, and its path says which
    version ran."""
    return json.dumps({"StartAt": name, "States": {name: {"Type": "Pass", "End": True}}})


def test_a_ten_percent_canary_takes_a_binomial_share_of_200_events_and_rollback_takes_every_new_one_back(
    orch: Orch, cloud: LocalCloud
) -> None:
    """The issue's acceptance: weight 10 % on a new version, 200 event-started executions split within binomial
    bounds (the runtime is seeded), rollback sends every new one to the stable version. Both versions are one Pass
    state, so that 200 executions cost little: what is under test is the rule -> alias -> version routing."""
    saga = Saga(cloud)
    sfn = cloud.client("stepfunctions")
    numbers = []
    for name in ("Stable", "Canary"):
        sfn.update_state_machine(stateMachineArn=saga.machine, definition=trivial(name))
        numbers.append(orch("definitions", "publish", WORKFLOW, "--output", "json").json()["number"])
    stable, canary = numbers
    assert orch("definitions", "shift", WORKFLOW, "--to", str(stable), "--weight", "100").code == 0
    assert orch("definitions", "shift", WORKFLOW, "--to", str(canary), "--weight", "10").code == 0

    split = saga.orders(200)
    versions = [e["stateMachineVersionArn"] for e in split]
    on_canary = versions.count(saga.version(canary))
    assert versions.count(saga.version(stable)) + on_canary == 200
    low, high = binomial_bounds(200, 0.10)
    assert low <= on_canary <= high, f"{on_canary} of 200 on the canary, outside [{low}, {high}] for 10 %"
    assert all(saga.path(e) == ["Canary"] for e in split if e["stateMachineVersionArn"] == saga.version(canary))

    assert orch("definitions", "rollback", WORKFLOW).code == 0
    after = saga.orders(20)
    assert {e["stateMachineVersionArn"] for e in after} == {saga.version(stable)}
    assert all(saga.path(e) == ["Stable"] for e in after)
