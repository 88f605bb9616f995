"""Pause and resume on a running order saga, through the `orch` CLI and through the HTTP API, on the local runtime
with the real app (asl/pause_points.py, orchestrator/control/pausing.py): the saga is paused while it
runs, holds at its next pause point however long the clock runs, and completes once resumed.

An execution runs through its first steps in well under a second, faster than a test can pause it; so the
execution is held in moto (`FirstCheckGate`) before its first pause point until the test has paused or resumed:
the pause then lands while it is running, before that point, deterministically.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from typing import Any

import pytest
from moto.dynamodb.models import DynamoDBBackend

import asl.pause_points as generated
from functions.pause_check import PauseInForce
from orchestrator.control import pausing
from orchestrator.local.cloud import LocalCloud
from orchestrator.local.lambdas.runtime import LambdaRuntime
from schemas.tables import PAUSE_CHECK_FIELD, PAUSE_IN_FORCE_ERROR
from tests.builders import sample_data
from tests.control.conftest import Orch
from tests.control_api_client import ControlApi, execution_path
from tests.workflows.conftest import ended

HOUR = 3600.0
GATE_TIMEOUT = 120.0  # long enough for a loaded machine; only a deadlock reaches it


class FirstCheckGate:
    """Holds an execution in its interpreter's thread, until `release`: the saga as it invokes its first step (after
    admission, before its first pause point, a Lambda task that checks for itself: held in the invoking thread,
    before the function runs, since a Lambda held inside its handler would hold every other function, the control
    API's too, as the local runtime runs one handler at a time); or, with `every`, a DAG at each of its pause
    check states (branches side by side)."""

    def __init__(self, *, every: bool = False) -> None:
        self.every = every
        self.reached = threading.Event()
        self.released = threading.Event()
        self.execution_arn = ""

    def _hold(self, execution_arn: str) -> None:
        if self.released.is_set():
            return
        if not self.reached.is_set():
            self.execution_arn = execution_arn
            self.reached.set()
        elif not self.every:
            return
        self.released.wait(GATE_TIMEOUT)

    def install(self, monkeypatch: pytest.MonkeyPatch) -> None:
        invoke, transact = LambdaRuntime.invoke, DynamoDBBackend.transact_write_items

        def at_first_step(runtime: LambdaRuntime, function: str, payload: bytes, *args: Any, **kwargs: Any) -> Any:
            if not self.every and "OrderSagaInventory" in function:
                self._hold(json.loads(payload).get(PAUSE_CHECK_FIELD, ""))
            return invoke(runtime, function, payload, *args, **kwargs)

        def at_pause_checks(backend: Any, items: list[dict[str, Any]]) -> Any:
            for item in items:
                key = item.get("ConditionCheck", {}).get("Key", {}).get("pk", {}).get("S", "")
                if self.every and key.startswith(pausing.PARTITION_PREFIX):
                    self._hold(key.removeprefix(pausing.PARTITION_PREFIX))
            return transact(backend, items)

        monkeypatch.setattr(LambdaRuntime, "invoke", at_first_step)
        monkeypatch.setattr(DynamoDBBackend, "transact_write_items", at_pause_checks)

    def release(self) -> None:
        self.released.set()


@pytest.fixture
def gate(monkeypatch: pytest.MonkeyPatch) -> Iterator[FirstCheckGate]:
    held = FirstCheckGate()
    held.install(monkeypatch)
    yield held
    held.release()  # a failed test must not leave the saga's thread waiting


def place_order(orch: Orch, gate: FirstCheckGate, order_id: str) -> str:
    """An order on the bus; returns its saga's execution, held before its first pause point (RUNNING)."""
    data = {**sample_data("OrderPlaced"), "order_id": order_id}
    assert orch("put-event", "OrderPlaced", "--data", json.dumps(data), "--correlation-id", order_id).code == 0
    assert gate.reached.wait(GATE_TIMEOUT), "the saga claimed its order"
    return gate.execution_arn


def entered(cloud: LocalCloud, arn: str) -> list[str]:
    return [visit.name for visit in cloud.stepfunctions.history_path(arn)]


def reservations(cloud: LocalCloud, order_id: str) -> list[dict[str, Any]]:
    table = cloud.physical_id("AWS::DynamoDB::Table", "OrderSagaInventory")
    return [item for item in cloud.table_items(table) if item.get("order_id", {}).get("S") == order_id]


def test_a_paused_saga_holds_before_its_next_step_and_completes_once_resumed(
    orch: Orch, cloud: LocalCloud, gate: FirstCheckGate
) -> None:
    arn = place_order(orch, gate, "o-pause-cli")

    paused = orch("pause", arn, "--reason", "carrier outage")
    gate.release()
    assert paused.code == 0, paused.err
    assert paused.out.splitlines()[0].split() == ["paused", arn]
    cloud.wait_until_quiet(advance_clock=True)
    cloud.runtime.clock.advance(24 * HOUR)
    still = cloud.wait_until_quiet(advance_clock=True)

    assert arn in still.waiting_executions
    held = orch("describe", arn)
    assert held.code == 0
    assert "status          RUNNING" in held.out.splitlines()
    (paused_line,) = [line for line in held.out.splitlines() if line.startswith("paused ")]
    # Who paused is the identity of the credentials orch ran with (STS), not anything given on the command line.
    operator = cloud.client("sts").get_caller_identity()["Arn"]
    assert f"held before ReserveInventory; by {operator}" in paused_line
    assert "pause reason    carrier outage" in held.out.splitlines()
    # The step checked for a pause itself (its Lambda task), failed PauseInForce having done nothing, and held.
    assert entered(cloud, arn) == [
        "Begin",
        "ReserveInventory",
        "ReserveInventoryPauseRead",
        "ReserveInventoryPaused",
        "ReserveInventoryHold",
    ]
    assert reservations(cloud, "o-pause-cli") == [], "nothing reserved while paused"

    resumed = orch("resume", arn)
    assert resumed.code == 0, resumed.err
    cloud.wait_until_quiet(advance_clock=True)

    done = orch("describe", arn, "--output", "json").json()
    assert done["execution"]["status"] == "SUCCEEDED" and done["pause"] is None
    path = entered(cloud, arn)
    # After the hold the step runs again, and checks again (RESUMED): on without another state.
    assert path[4:7] == ["ReserveInventoryHold", "ReserveInventory", "ChargePayment"]
    assert path[-1] == "Completed" and len(reservations(cloud, "o-pause-cli")) == 1


def test_pausing_twice_keeps_the_first_pause_and_resuming_twice_sends_the_same_resume(
    orch: Orch, cloud: LocalCloud, gate: FirstCheckGate
) -> None:
    arn = place_order(orch, gate, "o-pause-twice")
    first = orch("pause", arn, "--output", "json").json()
    again = orch("pause", arn, "--output", "json").json()
    assert (first["changed"], again["changed"]) == (True, False)
    assert again["record"]["pause_id"] == first["record"]["pause_id"]

    assert orch("resume", arn, "--output", "json").json()["changed"] is True
    repeated = orch("resume", arn, "--output", "json")
    gate.release()
    assert repeated.code == 0 and repeated.json()["changed"] is False
    cloud.wait_until_quiet(advance_clock=True)

    # Resumed before it reached a pause point: it never held.
    assert orch("describe", arn, "--output", "json").json()["execution"]["status"] == "SUCCEEDED"
    assert not [name for name in entered(cloud, arn) if name.endswith("Hold")]


def test_an_old_resume_does_not_release_a_later_pause(orch: Orch, cloud: LocalCloud, gate: FirstCheckGate) -> None:
    arn = place_order(orch, gate, "o-pause-again")
    assert orch("pause", arn).code == 0
    assert orch("resume", arn).code == 0  # its ExecutionResumed waits in the correlator, for the first pause's id
    assert orch("pause", arn, "--reason", "second look").code == 0
    gate.release()
    cloud.wait_until_quiet(advance_clock=True)

    assert entered(cloud, arn)[-1] == "ReserveInventoryHold", "held on the second pause"
    assert orch("resume", arn).code == 0
    cloud.wait_until_quiet(advance_clock=True)
    assert orch("describe", arn, "--output", "json").json()["execution"]["status"] == "SUCCEEDED"


def test_what_cannot_be_paused_or_resumed_says_why_with_the_failure_exit_code(
    orch: Orch, cloud: LocalCloud, gate: FirstCheckGate
) -> None:
    arn = place_order(orch, gate, "o-pause-errors")

    not_paused = orch("resume", arn)
    gate.release()
    assert not_paused.code == 1
    assert not_paused.error_lines() == ["orch: the execution is not paused; `orch pause` holds it; nothing to resume"]
    cloud.wait_until_quiet(advance_clock=True)
    ended = orch("pause", arn)
    assert ended.code == 1
    assert ended.error_lines() == ["orch: the execution is SUCCEEDED, not RUNNING; nothing to pause"]
    unknown = orch("pause", arn.rsplit(":", 1)[0] + ":no-such-execution")
    assert unknown.code == 3


@pytest.fixture
def every_check(monkeypatch: pytest.MonkeyPatch) -> Iterator[FirstCheckGate]:
    """Holds every read of a pause record until `release` (the first one's execution is remembered)."""
    held = FirstCheckGate(every=True)
    held.install(monkeypatch)
    yield held
    held.release()


def test_a_paused_dag_holds_every_branch_and_completes_once_resumed(
    orch: Orch, cloud: LocalCloud, every_check: FirstCheckGate
) -> None:
    """The onboarding DAG starts verify_identity and screen_sanctions side by side, each behind its pause check:
    paused then, both branches hold; one resume releases both (the correlator broadcasts it), and it completes."""
    data = {**sample_data("CustomerSignedUp"), "customer_id": "c-pause"}
    assert orch("put-event", "CustomerSignedUp", "--data", json.dumps(data), "--correlation-id", "c-pause").code == 0
    assert every_check.reached.wait(GATE_TIMEOUT), "the DAG reached its first pause check"
    arn = every_check.execution_arn
    listed = orch("list", "--workflow", "customer-onboarding", "--correlation-id", "c-pause", "--output", "json")
    assert [e["arn"] for e in listed.json()["executions"]] == [arn], "a DAG is a workflow of the control plane"

    assert orch("pause", arn, "--reason", "KYC provider outage").code == 0
    every_check.release()
    # Not moving the clock: a held DAG's own time limit (a day) keeps running, and would end it.
    cloud.wait_until_quiet()

    assert orch("describe", arn, "--output", "json").json()["execution"]["status"] == "RUNNING"
    assert sorted(name for name in entered(cloud, arn) if name.endswith("Hold")) == [
        "screen_sanctionsHold",
        "verify_identityHold",
    ]
    assert "verify_identity" not in entered(cloud, arn), "no task dispatched while paused"

    assert orch("resume", arn).code == 0
    ended(cloud, "DagCustomerOnboarding", lambda e: e["executionArn"] == arn)

    done = orch("describe", arn, "--output", "json").json()
    assert done["execution"]["status"] == "SUCCEEDED"
    assert {"verify_identity", "screen_sanctions", "send_welcome"} <= set(entered(cloud, arn))


def test_a_workflow_without_pause_points_is_refused_with_the_way_out(orch: Orch, cloud: LocalCloud) -> None:
    """A state machine of no pause points (one not of this app, say) cannot be paused, whatever its status: the
    refusal names it and says what to do instead, and writes no pause record."""
    sfn = cloud.client("stepfunctions")
    definition = {"StartAt": "Only", "States": {"Only": {"Type": "Pass", "End": True}}}
    machine = sfn.create_state_machine(
        name="no-pause-points", definition=json.dumps(definition), roleArn="arn:aws:iam::123456789012:role/any"
    )
    arn = sfn.start_execution(stateMachineArn=machine["stateMachineArn"])["executionArn"]
    cloud.wait_until_quiet()

    refused = orch("pause", arn)

    assert refused.code == 1
    assert refused.error_lines() == [
        "orch: workflow no-pause-points has no pause points; it cannot be paused; terminate it instead"
    ]
    assert orch("resume", arn).code == 1, "no pause record was written"


def test_over_http_a_paused_saga_holds_and_completes_once_resumed(
    orch: Orch, cloud: LocalCloud, gate: FirstCheckGate, call: ControlApi
) -> None:
    arn = place_order(orch, gate, "o-pause-http")

    paused = call("POST", execution_path(arn, "/pause"), {"reason": "audit"})
    gate.release()
    assert paused.status == 200, paused.body
    record = paused.json()["record"]
    assert (record["state"], record["paused_by"]) == ("PAUSED", "arn:aws:iam::123456789012:user/webhook")
    cloud.wait_until_quiet(advance_clock=True)

    held = call("GET", execution_path(arn)).json()
    assert held["execution"]["status"] == "RUNNING" and held["held_before"] == "ReserveInventory"
    assert held["pause"]["reason"] == "audit"
    assert call("POST", execution_path(arn, "/pause"), {}).json()["changed"] is False

    resumed = call("POST", execution_path(arn, "/resume"), {})
    assert resumed.status == 200 and resumed.json()["record"]["state"] == "RESUMED"
    cloud.wait_until_quiet(advance_clock=True)
    assert call("GET", execution_path(arn)).json()["execution"]["status"] == "SUCCEEDED"
    assert call("POST", execution_path(arn, "/pause"), {}).status == 409


def jsonata(definition: dict[str, Any]) -> dict[str, Any]:
    return {"QueryLanguage": "JSONata", **definition}


def test_the_pause_points_of_a_wrapped_definition_are_read_back_and_where_it_is_held() -> None:
    states = generated.PausePoints(("Step",)).wrap(
        jsonata({"StartAt": "Step", "States": {"Step": {"Type": "Succeed"}}})
    )
    assert generated.pause_points_of(states) == ["Step"]
    assert {f"Step{generated.CHECK_SUFFIX}", f"Step{generated.HOLD_SUFFIX}"} <= set(states["States"])
    assert states["StartAt"] == f"Step{generated.CHECK_SUFFIX}"
    assert generated.held_before([f"Step{generated.HOLD_SUFFIX}"], ["Step"]) == "Step"
    assert generated.held_before([f"Step{generated.CHECK_SUFFIX}"], ["Step"]) is None


def test_pause_points_inside_parallel_branches_are_found_and_inside_a_map_refused() -> None:
    branch = {"StartAt": "Inner", "States": {"Inner": {"Type": "Succeed"}}}
    parallel = jsonata({"StartAt": "Fork", "States": {"Fork": {"Type": "Parallel", "Branches": [branch], "End": True}}})
    wrapped = generated.PausePoints(("Inner",)).wrap(parallel)
    assert generated.pause_points_of(wrapped) == ["Inner"]
    assert wrapped["States"]["Fork"]["Branches"][0]["StartAt"] == f"Inner{generated.CHECK_SUFFIX}"
    in_map = jsonata({"StartAt": "Each", "States": {"Each": {"Type": "Map", "ItemProcessor": branch, "End": True}}})
    with pytest.raises(ValueError, match="'Inner' is inside a Map: pause before the Map instead"):
        generated.PausePoints(("Inner",)).wrap(in_map)


def test_a_lambda_task_at_a_pause_point_checks_itself_and_adds_no_state_to_the_path() -> None:
    """The rewrite passes the execution's ARN to the function and catches its PauseInForce first of all (a
    retrier of States.ALL must not repeat it); the path to the step is unchanged."""
    step = {
        "Type": "Task",
        "Resource": "arn:aws:states:::lambda:invoke",
        "Arguments": {"FunctionName": "${StepFunctionArn}", "Payload": {"order": "{% $states.input.order %}"}},
        "Retry": [{"ErrorEquals": ["States.ALL"], "MaxAttempts": 3}],
        "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "Undo"}],
        "End": True,
    }
    definition = jsonata({"StartAt": "Step", "States": {"Step": step, "Undo": {"Type": "Fail"}}})
    wrapped = generated.PausePoints(("Step",)).wrap(definition)

    assert wrapped["StartAt"] == "Step" and f"Step{generated.CHECK_SUFFIX}" not in wrapped["States"]
    checked = wrapped["States"]["Step"]
    assert checked["Arguments"]["Payload"] == {
        "order": "{% $states.input.order %}",
        PAUSE_CHECK_FIELD: "{% $states.context.Execution.Id %}",
    }
    assert checked["Retry"][0] == {"ErrorEquals": [PAUSE_IN_FORCE_ERROR], "MaxAttempts": 0}
    assert checked["Catch"][0]["ErrorEquals"] == [PAUSE_IN_FORCE_ERROR]
    assert checked["Catch"][0]["Next"] == f"Step{generated.READ_SUFFIX}"
    assert wrapped["States"][f"Step{generated.HOLD_SUFFIX}"]["Next"] == "Step", "resumed: the task checks again"
    assert generated.pause_points_of(wrapped) == ["Step"]
    assert generated.functions_checking(wrapped) == ["${StepFunctionArn}"]
    assert generated.functions_checking(generated.PausePoints(()).wrap(definition)) == []


def test_pause_points_are_refused_in_jsonpath() -> None:
    definition = {"StartAt": "Step", "States": {"Step": {"Type": "Succeed"}}}
    with pytest.raises(ValueError, match="QueryLanguage must be JSONata"):
        generated.PausePoints(("Step",)).wrap(definition)
    mixed = jsonata({"StartAt": "Step", "States": {"Step": {"Type": "Succeed", "QueryLanguage": "JSONPath"}}})
    with pytest.raises(ValueError, match="'Step' is a JSONPath state"):
        generated.PausePoints(("Step",)).wrap(mixed)


def test_the_pause_check_error_is_the_name_of_the_functions_exception() -> None:
    """Lambda reports the exception's class name as the error: the definitions catch exactly that."""
    assert PauseInForce.__name__ == PAUSE_IN_FORCE_ERROR
