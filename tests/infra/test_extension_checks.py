"""Synth-time checks of what a user adds (infra/extensions.py): each problem fails the synth (an error annotation:
`cdk synth` and `cdk deploy` stop) with one line naming the file and the fix. The messages are checked whole, once
on the checks themselves and once as the synthesized app reports them."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from asl.admission import begin_state, duplicate_state, rejected_state
from asl.dag.deploy import SPECS_DIRECTORY
from asl.dag.spec import Start
from infra import extensions
from infra.app import build_app, synthesis_errors
from tests.conftest import WHOLE_APP

LEAKY = """
description: leaky
serves: [billing, leak-one]
emits: [AgentTaskCompleted, OrderCompleted, NoSuchEvent]
"""
CLASHING_DAG = """
name: order-saga
start: {source: shop.orders, detail_type: TicketSubmitted}
tasks:
  - {name: one, agent: leak-one}
"""
LOST_SIDECAR = """
name: lost
start: {source: shop.orders, detail_type: NoSuchEvent}
agents: [ghost]
"""
UNADMITTED_SIDECAR = """
name: unadmitted
start: {source: shop.orders, detail_type: OrderPlaced}
"""
# The first state the order saga had before its admission: a putItem of the event's fields, which runs an invalid
# event (a number for the order id fails it with DynamoDB.SerializationException, not the field and its reason).
CLAIM_FIRST: dict[str, Any] = {
    "QueryLanguage": "JSONata",
    "StartAt": "Claim",
    "States": {
        "Claim": {
            "Type": "Task",
            "Resource": "arn:aws:states:::dynamodb:putItem",
            "Arguments": {"TableName": "claims", "Item": {"id": {"S": "{% $states.input.detail.data.order_id %}"}}},
            "End": True,
        }
    },
}


def _agent(root: Path, package: str, text: str) -> extensions.Agent:
    (root / "functions" / package).mkdir(parents=True)
    (root / "functions" / package / "agent.yaml").write_text(text, encoding="utf-8")
    (agent,) = [a for a in extensions.agents(root) if a.package == package]
    return agent


def test_an_agent_emitting_an_unknown_or_an_internal_event_of_others_is_named_with_the_fix(tmp_path: Path) -> None:
    agent = _agent(tmp_path, "leaky", LEAKY)
    where = tmp_path / "functions" / "leaky" / "agent.yaml"

    assert extensions.emission_errors(agent) == [
        f"{where}: emits: OrderCompleted is an internal event agents may not emit (EMITTED_BY: workflows); add "
        "Emitter.AGENTS to OrderCompleted.EMITTED_BY in schemas/orders.py or drop it from emits",
        f"{where}: emits: unknown event type 'NoSuchEvent'; add its model to a schemas/ module (orch new event) or "
        "drop it from emits",
    ]


def test_a_start_of_an_unknown_type_or_from_another_source_is_named_with_the_fix() -> None:
    wrong_source = Start(source="shop.orders", detail_type="TicketSubmitted")
    unknown = Start(source="shop.orders", detail_type="NoSuchEvent")

    (source_error,) = extensions.start_errors(Path("x.dag.yaml"), wrong_source)
    (type_error,) = extensions.start_errors(Path("y.workflow.yaml"), unknown)

    assert source_error == (
        "x.dag.yaml: start.source: detail-type 'TicketSubmitted' comes from source 'support.tickets', not "
        "'shop.orders'; fix the start or add the event type to a schemas/ module (orch new event)"
    )
    assert type_error.startswith("y.workflow.yaml: start.detail_type: unknown detail-type 'NoSuchEvent'; known: ")
    assert extensions.start_errors(Path("z"), Start(source="support.tickets", detail_type="TicketSubmitted")) == []


def _asl_workflow(root: Path, name: str, definition: dict[str, Any], *, scheduled: bool = False) -> extensions.Workflow:
    folder = root / "state_machines"
    folder.mkdir(parents=True, exist_ok=True)
    trigger = 'schedule: "rate(1 day)"' if scheduled else "start: {source: shop.orders, detail_type: OrderPlaced}"
    (folder / f"{name}.workflow.yaml").write_text(f"name: {name}\n{trigger}\n", encoding="utf-8")
    (folder / f"{name}.asl.json").write_text(json.dumps(definition), encoding="utf-8")
    (workflow,) = [w for w in extensions.workflows(root) if w.sidecar.name == name]
    return workflow


def _admitted(name: str, catch_all_to: str = "Rejected") -> dict[str, Any]:
    """A definition beginning with its admission, as `orch new workflow --start` writes it."""
    begin = begin_state(name, following="Work")
    begin["Catch"][-1]["Next"] = catch_all_to
    work = {"Type": "Pass", "End": True}
    states = {
        "Begin": begin,
        "Work": work,
        "Duplicate": duplicate_state("OrderPlaced", "works"),
        "Rejected": rejected_state(),
    }
    return {"QueryLanguage": "JSONata", "StartAt": "Begin", "States": states}


def test_an_event_started_asl_workflow_not_beginning_with_its_admission_is_named_with_the_fix(tmp_path: Path) -> None:
    claim_first = _asl_workflow(tmp_path, "claim-first", CLAIM_FIRST)
    another_name = _asl_workflow(tmp_path, "another-name", {**_admitted("claim-first")})
    caught_on = _asl_workflow(tmp_path, "caught-on", _admitted("caught-on", catch_all_to="Work"))
    fix = (
        ", so an event breaking its contract would run it; begin with the admission's states (asl/admission.py, as "
        "`orch new workflow --start` writes them)"
    )
    assert extensions.admission_errors(claim_first) == [
        f"{claim_first.definition_file}: its first state, Claim, is not the admission of its start event (a Task "
        f"invoking ${{AdmissionFunctionArn}} with the event and the workflow's name, 'claim-first'){fix}"
    ]
    assert extensions.admission_errors(another_name) == [
        f"{another_name.definition_file}: its first state, Begin, is not the admission of its start event (a Task "
        f"invoking ${{AdmissionFunctionArn}} with the event and the workflow's name, 'another-name'){fix}"
    ]
    assert extensions.admission_errors(caught_on) == [
        f"{caught_on.definition_file}: Begin sends InvalidStartEvent on to 'Work', not to a Fail state (Rejected){fix}"
    ]


def test_an_admitted_or_scheduled_asl_workflow_passes_the_admission_check(tmp_path: Path) -> None:
    admitted = _asl_workflow(tmp_path, "admitted", _admitted("admitted"))
    scheduled = _asl_workflow(tmp_path, "scheduled", CLAIM_FIRST, scheduled=True)  # its input is no bus event
    example = extensions.workflows(extensions.PROJECT_ROOT / "examples" / "scheduled_and_chained")

    assert extensions.admission_errors(admitted) == []
    assert extensions.admission_errors(scheduled) == []
    assert [extensions.admission_errors(w) for w in example] == [[], []]


def test_two_workflows_of_one_name_and_two_consumers_of_one_agent_are_named(tmp_path: Path) -> None:
    assert extensions.name_clash({"order-saga": "infra/constructs/order_saga.py"}, "order-saga", "x.dag.yaml") == [
        "x.dag.yaml: name: workflow 'order-saga' is already defined by infra/constructs/order_saga.py; rename one "
        "(the control plane and the start claims know a workflow by its name)"
    ]
    assert extensions.name_clash({"order-saga": "elsewhere"}, "report-build", "x.dag.yaml") == []
    first = _agent(tmp_path, "a_first", "description: a\nserves: [billing]\n")
    second = _agent(tmp_path, "b_second", "description: b\nserves: [billing, other]\n")
    assert extensions.twice_served([first, second]) == [
        f"{second.file}: serves: billing is served by {first.file} too; drop it from one"
    ]
    # Overlapping names: a prefix and a name under it, or two prefixes one of which extends the other.
    prefix = _agent(tmp_path, "c_prefix", "description: c\nserves: [onboarding-*]\n")
    under = _agent(tmp_path, "d_under", "description: d\nserves: [onboarding-kyc]\n")
    wider = _agent(tmp_path, "e_wider", "description: e\nserves: ['onb*']\n")
    apart = _agent(tmp_path, "f_apart", "description: f\nserves: ['ondemand-*', onboard]\n")
    assert extensions.twice_served([prefix, under, wider]) == [
        f"{under.file}: serves: onboarding-kyc is served by {prefix.file} too (as onboarding-*); drop it from one",
        f"{wider.file}: serves: onb* is served by {prefix.file} too (as onboarding-*); drop it from one",
    ]
    assert extensions.twice_served([prefix, apart]) == [], "ondemand- and onboarding- part; onboard is not under"


def test_a_declaration_that_is_not_valid_names_its_file_and_field(tmp_path: Path) -> None:
    (tmp_path / "functions" / "bad").mkdir(parents=True)
    (tmp_path / "functions" / "bad" / "agent.yaml").write_text("description: x\nserves: []\n", encoding="utf-8")

    with pytest.raises(extensions.ExtensionError, match=r"functions/bad/agent.yaml: serves: List should have at least"):
        extensions.agents(tmp_path)


@WHOLE_APP
def test_the_app_does_not_synthesize_with_any_of_them(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    leaky = _agent(tmp_path, "leaky", LEAKY)
    spec = tmp_path / "clashing.dag.yaml"
    spec.write_text(CLASHING_DAG, encoding="utf-8")
    (tmp_path / "state_machines").mkdir()
    (tmp_path / "state_machines" / "lost.workflow.yaml").write_text(LOST_SIDECAR, encoding="utf-8")
    (tmp_path / "state_machines" / "unadmitted.workflow.yaml").write_text(UNADMITTED_SIDECAR, encoding="utf-8")
    (tmp_path / "state_machines" / "unadmitted.asl.json").write_text(json.dumps(CLAIM_FIRST), encoding="utf-8")
    shipped_agents, shipped_specs = extensions.agents(), sorted(SPECS_DIRECTORY.glob("*.dag.yaml"))
    sidecars = extensions.workflows(tmp_path)
    monkeypatch.setattr("infra.extensions.agents", lambda: [*shipped_agents, leaky])
    monkeypatch.setattr("infra.extensions.workflows", lambda: sidecars)
    monkeypatch.setattr("infra.stacks.workflows.spec_files", lambda: [*shipped_specs, spec])

    app, _ = build_app("dev", str(tmp_path / "cdk.out"))
    errors = sorted(error.split(": ", 2)[2] for error in synthesis_errors(app.synth()))
    assert any("unadmitted.asl.json: its first state, Claim" in error for error in errors)

    sidecar = tmp_path / "state_machines" / "lost.workflow.yaml"
    assert errors == sorted(
        [
            *extensions.emission_errors(leaky),
            *extensions.twice_served([*shipped_agents, leaky]),
            *extensions.name_clash({"order-saga": "infra/constructs/order_saga.py"}, "order-saga", str(spec)),
            *extensions.start_errors(spec, Start(source="shop.orders", detail_type="TicketSubmitted")),
            *extensions.start_errors(sidecar, Start(source="shop.orders", detail_type="NoSuchEvent")),
            f"{sidecar}: agents[0]: ghost: no agent consumer serves it (no functions/*/agent.yaml lists it in "
            "serves), so its tasks would wait until they time out; add the agent (orch new agent) or fix the name",
            f"{sidecar}: no lost.asl.json beside it; add the definition or remove the sidecar",
            *extensions.admission_errors(next(w for w in sidecars if w.sidecar.name == "unadmitted")),
        ]
    )


def test_an_asl_workflows_expression_that_is_not_jsonata_is_named_by_its_path(tmp_path: Path) -> None:
    definition = _admitted("broken")
    definition["States"]["Work"] = {"Type": "Pass", "Output": {"total": "{% $sum($states.input.items %}"}, "End": True}
    broken = _asl_workflow(tmp_path, "broken", definition)
    fine = _asl_workflow(tmp_path, "fine", _admitted("fine"))
    example = extensions.workflows(extensions.PROJECT_ROOT / "examples" / "scheduled_and_chained")

    (error,) = extensions.jsonata_errors(broken)
    assert error.startswith(
        f"{broken.definition_file}: $.States.Work.Output.total: not JSONata: `$sum($states.input.items`: "
    )
    assert error.endswith("; fix the expression")
    assert extensions.jsonata_errors(fine) == []
    assert [extensions.jsonata_errors(w) for w in example] == [[], []]
