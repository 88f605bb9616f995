"""Compiled DAGs run on the local runtime: every task starts the moment its last dependency finishes (not by
layers), so with fixed durations on the local clock each task ends at its critical path; a failure compensates
what completed, in reverse dependency order. The test plays the agents (tests/dag/harness.py)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from functools import partial
from pathlib import Path
from typing import Any

import pytest

from asl.graph import outcomes_of
from orchestrator.local.cloud import LocalCloud
from tests.builders import delivered_event, sample_data
from tests.conftest import fake_aws_environment
from tests.dag.harness import AgentPlayer, deploy, earliest_finish, spec
from tests.workflows.conftest import Tap, ended

ONBOARDING = "DagCustomerOnboarding"  # the shipped DAG's state machine


@pytest.fixture(scope="module")
def cloud(assembly_dir: Path) -> Iterator[LocalCloud]:
    """One local cloud for the module (each test deploys DAGs of its own): starting one costs seconds."""
    with pytest.MonkeyPatch.context() as patch:
        fake_aws_environment(patch)
        with LocalCloud.from_assembly(assembly_dir) as local:
            yield local


CHAIN: list[dict[str, Any]] = [{"name": "a"}, {"name": "b", "depends_on": ["a"]}, {"name": "c", "depends_on": ["b"]}]
DIAMOND: list[dict[str, Any]] = [
    {"name": "a"},
    {"name": "b", "depends_on": ["a"]},
    {"name": "c", "depends_on": ["a"]},
    {"name": "d", "depends_on": ["b", "c"]},
]
FAN_OUT = (
    [{"name": "root"}]
    + [{"name": f"leaf{i}", "depends_on": ["root"]} for i in range(8)]
    + [{"name": "sink", "depends_on": [f"leaf{i}" for i in range(8)]}]
)
# Not series-parallel: no nesting of Parallel states lets d start before a ends.
N_SHAPE: list[dict[str, Any]] = [
    {"name": "a"},
    {"name": "b"},
    {"name": "c", "depends_on": ["a", "b"], "input": {"from_a": "{% $results.a %}", "from_b": "{% $results.b %}"}},
    {"name": "d", "depends_on": ["b"]},
]


@pytest.mark.parametrize(
    ("tasks", "durations"),
    [
        (CHAIN, {"a": 3, "b": 2, "c": 1}),
        (DIAMOND, {"a": 1, "b": 5, "c": 1, "d": 1}),
        (FAN_OUT, {"root": 1, **{f"leaf{i}": i + 1 for i in range(8)}, "sink": 1}),
        (N_SHAPE, {"a": 10, "b": 1, "c": 1, "d": 1}),
    ],
    ids=["chain", "diamond", "fan-out", "N"],
)
def test_every_task_starts_when_its_last_dependency_ends(
    cloud: LocalCloud, tasks: list[dict[str, Any]], durations: dict[str, float]
) -> None:
    dag = spec("shape", tasks)
    run = AgentPlayer(cloud).run(deploy(cloud, dag), durations)

    assert run.execution["status"] == "SUCCEEDED"
    graph = dag.graph()
    for task in graph.tasks:
        assert run.started[task] == max((run.finished[d] for d in graph.dependencies[task]), default=0.0), task
    assert run.finished == earliest_finish(dag, durations)
    output = json.loads(run.execution["output"])
    assert set(output) == set(graph.tasks)


def test_in_the_n_d_ends_at_2_not_after_a(cloud: LocalCloud) -> None:
    dag = spec("n", N_SHAPE)
    run = AgentPlayer(cloud).run(deploy(cloud, dag), {"a": 10, "b": 1, "c": 1, "d": 1})

    assert run.finished["d"] == 2
    assert run.finished["c"] == 11
    # c read both results, a's through its completion signal
    assert run.inputs["c"] == {"from_a": {"task": "a", "at": 10}, "from_b": {"task": "b", "at": 1}}


def test_a_false_condition_skips_the_task_and_its_dependents(cloud: LocalCloud) -> None:
    dag = spec(
        "conditions",
        [
            {"name": "a"},
            {"name": "b", "depends_on": ["a"], "when": "$input.plan = 'business'"},
            {"name": "c", "depends_on": ["b"]},
            {"name": "d", "depends_on": ["a"], "when": "$results.a.task = 'a'"},
        ],
    )
    run = AgentPlayer(cloud).run(deploy(cloud, dag), {}, data={"plan": "personal"})

    assert run.execution["status"] == "SUCCEEDED"
    assert run.order == ["a", "d"]
    output = json.loads(run.execution["output"])
    assert output["b"] is None and output["c"] is None and output["d"] == {"task": "d", "at": 2.0}


def test_a_task_that_fails_once_is_asked_again_and_the_dag_goes_on(cloud: LocalCloud) -> None:
    # a (retry: 2 more attempts, 1 s apart) fails its first attempt; its second is a new request with a new token.
    dag = spec(
        "retry",
        [{"name": "a", "retry": {"max_attempts": 2, "interval_seconds": 1}}, {"name": "b", "depends_on": ["a"]}],
    )
    run = AgentPlayer(cloud).run(deploy(cloud, dag), {"a": 1, "b": 1}, fail={"a": 1})

    assert run.execution["status"] == "SUCCEEDED"
    assert run.order == ["a", "a", "b"]
    failed = [e for e in cloud.history(run.execution["executionArn"]) if e["type"] == "TaskFailed"]
    assert [e["taskFailedEventDetails"]["error"] for e in failed] == ["TaskBroke"], "one failed attempt, not three"


def test_a_dag_that_failed_in_a_join_is_redriven_to_its_end(cloud: LocalCloud) -> None:
    # The N: c fails (no retry). Redriven, the Join runs again (the local runtime reruns a Parallel whole), its
    # completion signals are sent again and reach the new waits: nothing waits for a signal already spent.
    player = AgentPlayer(cloud)
    failed = player.run(deploy(cloud, spec("n-redrive", N_SHAPE)), {"a": 1, "b": 1, "c": 1, "d": 1}, fail={"c": 1})
    assert failed.execution["status"] == "FAILED"
    arn = failed.execution["executionArn"]

    cloud.client("stepfunctions").redrive_execution(executionArn=arn)
    redriven = player.play(arn, {"a": 1, "b": 1, "c": 1, "d": 1}, played=len(player.tap.seen), now=2.0)

    assert redriven.execution["status"] == "SUCCEEDED"
    assert sorted(json.loads(redriven.execution["output"])) == ["a", "b", "c", "d"]
    # The rerun's order holds too: c waited for this run's a and b, not for the first run's signals.
    assert sorted(redriven.order) == ["a", "b", "c", "d"]
    assert redriven.started["c"] >= max(redriven.finished["a"], redriven.finished["b"])
    assert redriven.inputs["c"]["from_a"] == {"task": "a", "at": redriven.finished["a"]}


def test_a_failure_compensates_what_completed_in_reverse_dependency_order(cloud: LocalCloud) -> None:
    # a -> b -> d, a -> c (slow) -> e (fails): when e fails, d and b and c completed, e did not.
    dag = spec(
        "saga",
        [
            {"name": "a", "undo": True},
            {"name": "b", "depends_on": ["a"], "undo": True},
            {"name": "c", "depends_on": ["a"], "undo": True},
            {"name": "d", "depends_on": ["b"], "undo": True},
            {"name": "e", "depends_on": ["c"], "undo": True},
            {"name": "f", "depends_on": ["d", "e"], "undo": True},
        ],
    )
    run = AgentPlayer(cloud).run(deploy(cloud, dag), {"a": 1, "b": 1, "c": 3, "d": 1, "e": 1}, fail={"e": 1})

    assert run.execution["status"] == "FAILED"
    assert run.execution["error"] == "TaskBroke"
    undone = [name.removeprefix("undo-") for name in run.order if name.startswith("undo-")]
    assert sorted(undone) == ["a", "b", "c", "d"]  # not e (failed), not f (never ran)
    position = {name: undone.index(name) for name in undone}
    graph = dag.graph()
    for task in undone:
        for dependent in graph.dependents[task]:
            if dependent in position:
                assert position[dependent] < position[task], f"{dependent} must be undone before {task}"
    assert json.loads(run.execution["cause"])["compensated"] == undone
    # each compensation got the output of the task it undoes
    assert run.inputs["undo-b"] == {"undo": {"task": "b", "at": 2.0}}


def test_a_failed_branch_is_blamed_not_a_sibling_that_completed(cloud: LocalCloud) -> None:
    # a -> c (fails, slow), a -> d (completes first): the history and the picture name c as failed and d as done
    # (an audit saw the failure attributed to d, a completed task, in `orch history` and `orch graph`).
    tasks: list[dict[str, Any]] = [
        {"name": "a", "undo": True},
        {"name": "c", "depends_on": ["a"]},
        {"name": "d", "depends_on": ["a"]},
    ]
    dag = spec("blame", tasks)
    run = AgentPlayer(cloud).run(deploy(cloud, dag), {"a": 1, "c": 2, "d": 1}, fail={"c": 1})

    visits = cloud.stepfunctions.history_path(run.execution["executionArn"])
    outcomes = {v.name: v.outcome for v in visits if v.name in ("c", "c: failed", "d")}
    assert outcomes == {"c": "caught TaskBroke", "c: failed": "failed TaskBroke", "d": "succeeded"}
    coloured = outcomes_of(visits)
    assert (coloured["c"], coloured["d"]) == ("caught", "succeeded")


def test_a_task_out_of_time_fails_the_dag(cloud: LocalCloud) -> None:
    # (Retries are not run here: moto 5.2.5 keeps a callback task's token across its retries, so a retried attempt
    # reads the first attempt's outcome again; on AWS each attempt has a token of its own.)
    dag = spec("limits", [{"name": "a"}, {"name": "b", "depends_on": ["a"], "timeout_seconds": 5}])
    run = AgentPlayer(cloud).run(deploy(cloud, dag), {"a": 1, "b": 60})

    assert run.order == ["a", "b"]
    assert run.execution["status"] == "FAILED"
    assert run.execution["error"] == "DAG.Timeout"  # States.Timeout, renamed: a Fail state may not raise States.*


# -- the shipped DAG, end to end with its agents --------------------------------------------------------------------


def _onboard(cloud: LocalCloud, customer_id: str, **customer: str) -> dict[str, object]:
    from schemas.dags import CustomerSignedUp

    cloud.put_event(
        CustomerSignedUp(customer_id=customer_id, name="Ada", country="DE", **customer), correlation_id=customer_id
    )
    (execution,) = ended(cloud, ONBOARDING, lambda e: customer_id in e["input"])
    return dict(execution)


def test_customer_onboarding_onboards_a_business_customer(cloud: LocalCloud) -> None:
    execution = _onboard(cloud, "C-100", email="ada@example.com", plan="business")

    assert execution["status"] == "SUCCEEDED"
    output = json.loads(str(execution["output"]))
    assert output["open_account"]["account_id"].startswith("ACC-")
    assert output["provision_workspace"]["seats"] == 5
    assert output["credit_limit"]["currency"] == "EUR"
    assert output["send_welcome"] == {"sent_to": "ada@example.com", "template": "welcome-business"}


def test_customer_onboarding_skips_the_credit_limit_of_a_personal_plan(cloud: LocalCloud) -> None:
    execution = _onboard(cloud, "C-101", email="bob@example.com", plan="personal")

    assert execution["status"] == "SUCCEEDED"
    output = json.loads(str(execution["output"]))
    assert output["credit_limit"] is None
    assert output["send_welcome"]["template"] == "welcome-personal"


def test_customer_onboarding_undoes_the_workspace_then_the_account_when_the_welcome_fails(cloud: LocalCloud) -> None:
    execution = _onboard(cloud, "C-102", email="fail-welcome@example.com", plan="personal")

    assert execution["status"] == "FAILED"
    assert execution["error"] == "AgentRefused"
    cause = json.loads(str(execution["cause"]))
    assert cause["compensated"] == ["provision_workspace", "open_account"]
    assert cause["not_compensated"] == []


def test_a_start_event_delivered_three_times_onboards_the_customer_once(cloud: LocalCloud) -> None:
    # One CustomerSignedUp (one envelope, so one idempotency key) delivered three times, as an at-least-once bus
    # may: the rule starts an execution per delivery, and they race for the event's claim.
    customer = {**sample_data("CustomerSignedUp"), "customer_id": "C-200"}
    signed_up = delivered_event("CustomerSignedUp", "shop.customers", customer, idempotency_key="c-200-signed-up")
    entry = {"EventBusName": cloud.bus_name, "Source": "shop.customers", "DetailType": "CustomerSignedUp"}
    requests = Tap(cloud, cloud.bus_name, {"detail-type": ["AgentTaskRequested"]}, "onboarding-requests-tap")
    cloud.client("events").put_events(Entries=[{**entry, "Detail": json.dumps(signed_up["detail"])}] * 3)
    executions = ended(cloud, ONBOARDING, lambda e: "c-200-signed-up" in e["input"], count=3)

    assert {e["status"] for e in executions} == {"SUCCEEDED"}
    outputs = sorted((json.loads(str(e["output"])) for e in executions), key=lambda output: "duplicate" in output)
    assert "open_account" in outputs[0], "one execution onboarded the customer"
    assert outputs[1:] == [{"duplicate": "customer-onboarding already started for customer_id 'C-200'"}] * 2
    # Each task (a business plan: the credit limit too) was asked for once.
    agents = sorted(e["detail"]["data"]["agent"].removeprefix("onboarding-") for e in requests.events())
    assert agents == ["accounts", "credit", "identity", "screening", "welcome", "workspace"]


def test_a_claim_put_whose_answer_was_lost_is_this_executions_own_and_not_a_duplicate(cloud: LocalCloud) -> None:
    # The customer's claim is there already, written by this very execution (an admission that succeeded but whose
    # answer was lost, then retried): Begin goes on. Claimed by another execution, it ends in Duplicate.
    arn = cloud.physical_id("AWS::StepFunctions::StateMachine", ONBOARDING)
    claims = cloud.physical_id("AWS::DynamoDB::Table", "Idempotency")
    sfn, dynamodb = cloud.client("stepfunctions"), cloud.client("dynamodb")
    statuses = {}
    for name, claimed_by in (("own-claim", "self"), ("other-claim", "arn:aws:states:::execution:other")):
        key = f"claim-{name}"
        execution_arn = arn.replace(":stateMachine:", ":execution:") + f":{name}"
        owner = execution_arn if claimed_by == "self" else claimed_by
        customer = f"C-{name}"
        item = {"id": {"S": f"customer-onboarding#{customer}"}, "execution_arn": {"S": owner}}
        dynamodb.put_item(TableName=claims, Item=item)
        data = {**sample_data("CustomerSignedUp"), "customer_id": customer}
        event = delivered_event("CustomerSignedUp", "shop.customers", data, idempotency_key=key)
        sfn.start_execution(stateMachineArn=arn, name=name, input=json.dumps(event))
        (statuses[name],) = ended(cloud, ONBOARDING, partial(_is_execution, execution_arn))

    assert statuses["own-claim"]["status"] == "SUCCEEDED"
    assert "open_account" in json.loads(statuses["own-claim"]["output"]), "it onboarded the customer"
    assert json.loads(statuses["other-claim"]["output"]) == {
        "duplicate": "customer-onboarding already started for customer_id 'C-other-claim'"
    }


def _is_execution(arn: str, execution: dict[str, Any]) -> bool:
    return bool(execution["executionArn"] == arn)


def test_orch_graph_draws_the_deployed_dag_by_its_name(cloud: LocalCloud, capsys: pytest.CaptureFixture[str]) -> None:
    from orchestrator.cli import EXIT_OK, main

    assert main(["graph", "customer-onboarding"]) == EXIT_OK
    mermaid = capsys.readouterr().out
    assert mermaid.startswith("flowchart TD")
    assert '["open_account<br/>' in mermaid and '"open_account: wait for screen_sanctions<br/>' in mermaid
