"""Synth-time checks of what a user adds (infra/extensions.py): each problem fails the synth (an error annotation:
`cdk synth` and `cdk deploy` stop) with one line naming the file and the fix. The messages are checked whole, once
on the checks themselves and once as the synthesized app reports them."""

from __future__ import annotations

from pathlib import Path

import pytest

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
    shipped_agents, shipped_specs = extensions.agents(), sorted(SPECS_DIRECTORY.glob("*.dag.yaml"))
    sidecars = extensions.workflows(tmp_path)
    monkeypatch.setattr("infra.extensions.agents", lambda: [*shipped_agents, leaky])
    monkeypatch.setattr("infra.extensions.workflows", lambda: sidecars)
    monkeypatch.setattr("infra.stacks.workflows.spec_files", lambda: [*shipped_specs, spec])

    app, _ = build_app("dev", str(tmp_path / "cdk.out"))
    errors = sorted(error.split(": ", 2)[2] for error in synthesis_errors(app.synth()))

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
        ]
    )
