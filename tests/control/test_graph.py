"""`orch graph`: the pictures of a state machine (asl/graph/) and the command (drawing.py, the
`graph` command of orchestrator/cli.py). The Mermaid text is parsed back into nodes, boxes and edges, so the tests say
what the picture shows, not how it is spelt; the SVG is parsed as XML."""

from __future__ import annotations

import datetime
import itertools
import json
import re
import socket
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from asl.graph import COLOURS, mermaid, outcomes_of, svg
from asl.history import StateVisit, visits_from_history
from orchestrator.cli import main
from orchestrator.local.cloud import LocalCloud
from schemas.orders import OrderPlaced
from schemas.support import TicketSubmitted
from tests.builders import sample_data, ticket
from tests.workflows.conftest import cloud  # noqa: F401 -- the local runtime on the real assembly

SVG = "{http://www.w3.org/2000/svg}"
MERMAID_ENTITIES = {"#quot;": '"', "#lt;": "<", "#gt;": ">", "#amp;": "&", "#35;": "#"}


# -- reading a Mermaid flowchart back ------------------------------------------------------------------------------


@dataclass
class Flowchart:
    nodes: dict[str, list[str]] = field(default_factory=dict)  # id -> label lines
    boxes: dict[str, str] = field(default_factory=dict)  # subgraph id -> title
    parents: dict[str, str] = field(default_factory=dict)  # node or subgraph id -> the subgraph holding it
    edges: list[tuple[str, str, str, bool]] = field(default_factory=list)  # source, target, label, dashed
    classes: dict[str, str] = field(default_factory=dict)  # node id -> class
    styled: dict[str, str] = field(default_factory=dict)  # subgraph id -> the outcome its border colour stands for

    def id_of(self, name: str) -> str:
        """The id of the node or box whose label starts with the state's name (exactly one)."""
        found = [i for i, lines in self.nodes.items() if lines[0] == name]
        found += [i for i, title in self.boxes.items() if title.split(" · ")[0] == name]
        assert len(found) == 1, f"{name}: {found}"
        return found[0]

    def edge(self, source: str, target: str) -> list[tuple[str, bool]]:
        """(label, dashed) of each edge between two states (or Start / End)."""
        s, t = self.id_of(source), self.id_of(target)
        return [(label, dashed) for a, b, label, dashed in self.edges if (a, b) == (s, t)]

    def names(self) -> list[str]:
        return [lines[0] for lines in self.nodes.values()] + [t.split(" · ")[0] for t in self.boxes.values()]

    def outcome(self, name: str) -> str | None:
        node = self.id_of(name)
        return self.classes.get(node) or self.styled.get(node)


NODE = re.compile(r'^(\w+)(\(\(|\(\[|\{\{|\[|\(|\{)"(.*)"(\)\)|\]\)|\}\}|\]|\)|\})$')
SUBGRAPH = re.compile(r'^subgraph (\w+)\["(.*)"\]$')
EDGE = re.compile(r'^(\w+) (-->|-\.->)(?:\|"(.*)"\|)? (\w+)$')


def unescape(text: str) -> str:
    return re.sub(r"#\w+;", lambda m: MERMAID_ENTITIES[m.group(0)], text)


def parse(text: str) -> Flowchart:
    lines = text.splitlines()
    assert lines[0] == "flowchart TD"
    chart, stack = Flowchart(), list[str]()
    for raw in lines[1:]:
        line = raw.strip()
        if m := SUBGRAPH.match(line):
            chart.boxes[m[1]] = unescape(m[2])
            if stack:
                chart.parents[m[1]] = stack[-1]
            stack.append(m[1])
        elif line == "end":
            stack.pop()
        elif m := EDGE.match(line):
            chart.edges.append((m[1], m[4], unescape(m[3] or ""), m[2] == "-.->"))
        elif m := NODE.match(line):
            assert m[1] not in chart.nodes, f"node {m[1]} defined twice"
            chart.nodes[m[1]] = [unescape(part) for part in m[3].split("<br/>")]
            if stack:
                chart.parents[m[1]] = stack[-1]
        elif m := re.match(r"^class (\w+) (\w+)$", line):
            chart.classes[m[1]] = m[2]
        elif m := re.match(r"^style (\w+) stroke:(#\w+)", line):
            (chart.styled[m[1]],) = [outcome for outcome, (_, stroke) in COLOURS.items() if stroke == m[2]]
        else:
            assert line == "direction TB" or line.startswith("classDef "), f"unexpected line: {line}"
    assert not stack, "every subgraph is closed"
    for source, target, _, _ in chart.edges:
        assert {source, target} <= chart.nodes.keys() | chart.boxes.keys(), f"edge to nowhere: {source} -> {target}"
    return chart


def svg_texts(picture: str) -> list[str]:
    root = ET.fromstring(picture)  # well-formed, or this raises
    assert root.tag == f"{SVG}svg"
    return [element.text or "" for element in root.iter(f"{SVG}text")]


def svg_states(picture: str) -> dict[str, str]:
    """Each state's box: name -> its class ("state <outcome>" or "state not-visited")."""
    groups = ET.fromstring(picture).iter(f"{SVG}g")
    return {(g.findtext(f"{SVG}title") or "").split(" (")[0]: g.get("class", "") for g in groups}


Rect = tuple[float, float, float, float]  # x, y, width, height


def svg_boxes(picture: str) -> dict[str, Rect]:
    """Each state's box (its group's rectangle): name -> where it is drawn."""
    boxes = {}
    for group in ET.fromstring(picture).iter(f"{SVG}g"):
        rect = group.find(f"{SVG}rect")
        assert rect is not None
        name = (group.findtext(f"{SVG}title") or "").split(" (")[0]
        boxes[name] = (
            float(rect.get("x", 0)),
            float(rect.get("y", 0)),
            float(rect.get("width", 0)),
            float(rect.get("height", 0)),
        )
    return boxes


def inside(inner: Rect, outer: Rect) -> bool:
    x, y, w, h = inner
    ox, oy, ow, oh = outer
    return ox < x and oy < y and x + w < ox + ow and y + h < oy + oh


def overlap(a: Rect, b: Rect) -> bool:
    return a[0] < b[0] + b[2] and b[0] < a[0] + a[2] and a[1] < b[1] + b[3] and b[1] < a[1] + a[3]


# -- small hand-written definitions --------------------------------------------------------------------------------


def test_a_chain_goes_from_start_through_each_state_to_end() -> None:
    definition = {
        "StartAt": "Prepare",
        "States": {
            "Prepare": {"Type": "Pass", "Next": "Pause"},
            "Pause": {"Type": "Wait", "Seconds": 30, "Next": "Done"},
            "Done": {"Type": "Succeed"},
        },
    }
    chart = parse(mermaid(definition))

    assert chart.edge("Start", "Prepare") == [("", False)]
    assert chart.edge("Prepare", "Pause") == [("", False)]
    assert chart.edge("Pause", "Done") == [("", False)]
    assert chart.edge("Done", "End") == [("", False)]
    assert len(chart.edges) == 4
    assert chart.nodes[chart.id_of("Pause")] == ["Pause", "Wait · 30 s"]
    assert not chart.classes, "no execution, no colours"


def test_a_choice_has_one_edge_per_rule_and_one_for_the_default() -> None:
    definition = {
        "StartAt": "Route",
        "States": {
            "Route": {
                "Type": "Choice",
                "Choices": [
                    {"Variable": "$.kind", "StringEquals": "refund", "Next": "Refund"},
                    {
                        "And": [
                            {"Variable": "$.total", "NumericGreaterThan": 100},
                            {"Variable": "$.vip", "IsPresent": True},
                        ],
                        "Next": "Review",
                    },
                    {"Not": {"Variable": "$.total", "NumericLessThanEqualsPath": "$.limit"}, "Next": "Review"},
                ],
                "Default": "Ship",
            },
            "Refund": {"Type": "Succeed"},
            "Review": {"Type": "Succeed"},
            "Ship": {"Type": "Succeed"},
        },
    }
    chart = parse(mermaid(definition))

    assert chart.edge("Route", "Refund") == [('$.kind == "refund"', False)]
    assert chart.edge("Route", "Review") == [
        ("($.total > 100) and ($.vip present)", False),
        ("not ($.total <= $.limit)", False),
    ]
    assert chart.edge("Route", "Ship") == [("Default", False)]
    assert chart.nodes[chart.id_of("Route")] == ["Route", "Choice"]


def test_a_jsonata_condition_is_shown_short() -> None:
    long = " and ".join(f"$states.input.field{i} = {i}" for i in range(10))
    definition = {
        "QueryLanguage": "JSONata",
        "StartAt": "Decide",
        "States": {
            "Decide": {
                "Type": "Choice",
                "Choices": [
                    {"Condition": "{% $states.input.decision = 'approved' %}", "Next": "Yes"},
                    {"Condition": "{% " + long + " %}", "Next": "No"},
                ],
                "Default": "No",
            },
            "Yes": {"Type": "Succeed"},
            "No": {"Type": "Fail", "Error": "Rejected"},
        },
    }
    chart = parse(mermaid(definition))

    assert chart.edge("Decide", "Yes") == [("$.decision = 'approved'", False)]
    (cut, _), default = chart.edge("Decide", "No")
    assert cut.startswith("$.field0 = 0 and") and cut.endswith("…") and len(cut) <= 36
    assert default == ("Default", False)
    assert chart.nodes[chart.id_of("No")] == ["No", "Fail · Rejected"]


def test_a_catch_is_a_dashed_edge_labelled_with_its_errors_and_a_retry_is_noted_on_the_node() -> None:
    definition = {
        "StartAt": "Charge",
        "States": {
            "Charge": {
                "Type": "Task",
                "Resource": "arn:aws:states:::lambda:invoke",
                "Retry": [{"ErrorEquals": ["Throttled"], "MaxAttempts": 4}, {"ErrorEquals": ["States.ALL"]}],
                "Catch": [
                    {"ErrorEquals": ["PaymentDeclined", "CardExpired"], "Next": "Refuse"},
                    {"ErrorEquals": ["States.ALL"], "Next": "Escalate"},
                ],
                "End": True,
            },
            "Refuse": {"Type": "Fail"},
            "Escalate": {
                "Type": "Task",
                "Resource": "arn:aws:lambda:eu-west-1:123456789012:function:Pager",
                "End": True,
            },
        },
    }
    chart = parse(mermaid(definition))

    assert chart.edge("Charge", "Refuse") == [("PaymentDeclined, CardExpired", True)]
    assert chart.edge("Charge", "Escalate") == [("States.ALL", True)]
    assert chart.edge("Charge", "End") == [("", False)]
    assert chart.nodes[chart.id_of("Charge")] == ["Charge", "lambda:invoke · retry ×4"]
    assert chart.nodes[chart.id_of("Escalate")] == ["Escalate", "lambda Pager"]


@pytest.mark.parametrize("processor", ["ItemProcessor", "Iterator"])
def test_a_map_is_a_box_holding_its_iteration(processor: str) -> None:
    definition = {
        "StartAt": "Each",
        "States": {
            "Each": {
                "Type": "Map",
                processor: {
                    "StartAt": "Work",
                    "States": {
                        "Work": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke", "Next": "Check"},
                        "Check": {"Type": "Pass", "End": True},
                    },
                },
                "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "Failed"}],
                "Next": "After",
            },
            "After": {"Type": "Succeed"},
            "Failed": {"Type": "Fail"},
        },
    }
    chart = parse(mermaid(definition))

    each = chart.id_of("Each")
    assert chart.boxes[each] == "Each · Map"
    assert chart.parents[chart.id_of("Work")] == each
    assert chart.parents[chart.id_of("Check")] == each
    assert chart.edge("Work", "Check") == [("", False)]
    assert chart.edge("Check", "End") == [], "an iteration's end is not the execution's"
    assert chart.edge("Start", "Each") == [("", False)]
    assert chart.edge("Each", "After") == [("", False)]
    assert chart.edge("Each", "Failed") == [("States.ALL", True)]
    boxes = svg_boxes(svg(definition))
    assert inside(boxes["Work"], boxes["Each"]) and inside(boxes["Check"], boxes["Each"])
    assert not overlap(boxes["After"], boxes["Each"]) and not overlap(boxes["Work"], boxes["Check"])


def test_a_parallel_is_a_box_holding_one_box_per_branch() -> None:
    definition = {
        "StartAt": "Both",
        "States": {
            "Both": {
                "Type": "Parallel",
                "Branches": [
                    {"StartAt": "Left", "States": {"Left": {"Type": "Pass", "End": True}}},
                    {
                        "StartAt": "Right",
                        "States": {
                            "Right": {"Type": "Pass", "Next": "RightAgain"},
                            "RightAgain": {"Type": "Pass", "End": True},
                        },
                    },
                ],
                "End": True,
            }
        },
    }
    chart = parse(mermaid(definition))

    both = chart.id_of("Both")
    branches = [box for box, parent in chart.parents.items() if parent == both and box in chart.boxes]
    assert [chart.boxes[b] for b in branches] == ["branch 1", "branch 2"]
    assert chart.parents[chart.id_of("Left")] == branches[0]
    assert chart.parents[chart.id_of("Right")] == chart.parents[chart.id_of("RightAgain")] == branches[1]
    assert chart.edge("Right", "RightAgain") == [("", False)]
    assert chart.edge("Both", "End") == [("", False)]
    boxes = svg_boxes(svg(definition))
    assert all(inside(boxes[name], boxes["Both"]) for name in ("Left", "Right", "RightAgain"))
    assert boxes["Left"][0] + boxes["Left"][2] < boxes["Right"][0], "branches side by side"


def test_names_mermaid_would_misread_are_labels_on_safe_ids() -> None:
    awkward = ["end", 'say "hi" <b>#1</b> & go', "ünïcode step", "a-b", "a b"]
    states: dict[str, Any] = {name: {"Type": "Pass", "Next": after} for name, after in itertools.pairwise(awkward)}
    states[awkward[-1]] = {"Type": "Pass", "End": True}
    chart = parse(mermaid({"StartAt": awkward[0], "States": states}))

    assert sorted(chart.names()) == sorted(["Start", "End", *awkward])
    for node in chart.nodes:
        assert re.fullmatch(r"(s_\w+|__start__|__end__)", node, flags=re.ASCII), node
    assert len({chart.id_of(name) for name in awkward}) == len(awkward)
    assert chart.edge('say "hi" <b>#1</b> & go', "ünïcode step") == [("", False)]


def test_outcomes_colour_the_states_and_a_state_visited_often_shows_its_worst_visit() -> None:
    definition = {
        "StartAt": "Loop",
        "States": {
            "Loop": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke", "Next": "Again"},
            "Again": {
                "Type": "Choice",
                "Choices": [{"Variable": "$.more", "BooleanEquals": True, "Next": "Loop"}],
                "Default": "Wait",
            },
            "Wait": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke.waitForTaskToken", "End": True},
            "Never": {"Type": "Pass", "End": True},
        },
    }
    now = datetime.datetime(2026, 1, 1, tzinfo=datetime.UTC)
    visits = [
        StateVisit("Loop", "succeeded", now, now),
        StateVisit("Again", "succeeded", now, now),
        StateVisit("Loop", "caught States.TaskFailed", now, now),
        StateVisit("Loop", "succeeded", now, now),
        StateVisit("Again", "succeeded", now, now),
        StateVisit("Wait", "running", now, None),
    ]
    outcomes = outcomes_of(visits)
    assert outcomes == {"Loop": "caught", "Again": "succeeded", "Wait": "running"}

    chart = parse(mermaid(definition, outcomes))
    assert [chart.outcome(n) for n in ("Loop", "Again", "Wait", "Never")] == ["caught", "succeeded", "running", None]
    assert chart.outcome("Start") is None and chart.outcome("End") is None
    picture = svg(definition, outcomes)
    assert {"Loop", "Again", "Wait", "Never", "not visited"} <= set(svg_texts(picture))  # "not visited": the legend
    boxes = svg_states(picture)
    assert [boxes[n] for n in ("Loop", "Again", "Wait", "Never")] == [
        "state caught",
        "state succeeded",
        "state running",
        "state not-visited",
    ]


def test_outcome_words_map_to_the_colours() -> None:
    now = datetime.datetime(2026, 1, 1, tzinfo=datetime.UTC)
    words = ["succeeded", "caught X", "failed States.Timeout", "running", "aborted", "timed out"]
    visits = [StateVisit(f"S{i}", word, now, None) for i, word in enumerate(words)]
    assert list(outcomes_of(visits).values()) == ["succeeded", "caught", "failed", "running", "aborted", "failed"]


# -- the real definitions ----------------------------------------------------------------------------------------


def state_names(machine: dict[str, Any]) -> list[str]:
    names = []
    for name, state in machine["States"].items():
        names.append(name)
        for inner in [state.get("ItemProcessor") or state.get("Iterator"), *state.get("Branches", [])]:
            if inner:
                names += state_names(inner)
    return names


@pytest.fixture(scope="module")
def definitions(templates: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """The synthesized state machines' definitions (the breaker already woven into the pipeline's)."""
    resources = templates["Workflows"]["Resources"].items()
    return {
        logical_id: json.loads(resource["Properties"]["DefinitionString"])
        for logical_id, resource in resources
        if resource["Type"] == "AWS::StepFunctions::StateMachine"
    }


def test_the_real_definitions_render_every_state_exactly_once(definitions: dict[str, dict[str, Any]]) -> None:
    assert {lid.split("StateMachine")[0] for lid in definitions} == {
        "AgentPipeline",
        "OrderSaga",
        "DagCustomerOnboarding",
    }
    for logical_id, definition in definitions.items():
        names = state_names(definition)
        assert len(names) > 15, logical_id
        chart = parse(mermaid(definition))
        drawn = [n for n in chart.names() if not re.fullmatch(r"branch \d+", n)]  # a Parallel's branch boxes
        assert sorted(drawn) == sorted(["Start", "End", *names]), logical_id
        transitions = sum(len(s.get("Choices", [])) + len(s.get("Catch", [])) for s in all_states(definition))
        assert len(chart.edges) >= transitions, "every rule and catcher is an edge"
        picture = svg(definition)
        texts = svg_texts(picture)
        for name in names:
            assert texts.count(name) == 1, f"{logical_id}: {name} drawn {texts.count(name)} times"
        boxes = svg_boxes(picture)
        width, height = (float(v) for v in ET.fromstring(picture).get("viewBox", "").split()[2:])
        assert all(x > 0 and y > 0 and x + w < width and y + h < height for x, y, w, h in boxes.values())
        for (a, first), (b, second) in itertools.combinations(boxes.items(), 2):
            nested = inside(first, second) or inside(second, first)
            assert nested or not overlap(first, second), f"{logical_id}: {a} and {b} overlap"


def all_states(machine: dict[str, Any]) -> Iterator[dict[str, Any]]:
    for state in machine["States"].values():
        yield state
        for inner in [state.get("ItemProcessor") or state.get("Iterator"), *state.get("Branches", [])]:
            if inner:
                yield from all_states(inner)


def test_the_pipeline_shows_the_breaker_inside_the_specialists_map(definitions: dict[str, dict[str, Any]]) -> None:
    (pipeline,) = [d for lid, d in definitions.items() if lid.startswith("AgentPipeline")]
    chart = parse(mermaid(pipeline))

    specialists = chart.id_of("Specialists")
    for name in ("Dispatch", "DispatchReadBreaker", "DispatchRoute", "BreakerOpen", "DispatchResume"):
        assert chart.parents[chart.id_of(name)] == specialists
    assert chart.edge("DispatchRoute", "Dispatch") == [("$breaker.state = 'CLOSED'", False)]
    assert chart.edge("DispatchRoute", "BreakerOpen") == [("Default", False)]
    assert ("States.Timeout, States.HeartbeatTimeout", True) in chart.edge("Dispatch", "DispatchFailed")
    assert chart.edge("Triage", "SpecialistsPauseCheck") == [("", False)]  # the pause point before the Map
    assert chart.edge("SpecialistsPauseCheck", "Specialists") == [("", False)]
    assert ("DynamoDb.TransactionCanceledException", True) in chart.edge(
        "SpecialistsPauseCheck", "SpecialistsPauseRead"
    )
    assert ("PauseInForce", True) in chart.edge("Triage", "TriagePauseRead"), "Triage checks for a pause itself"
    assert chart.edge("AwaitApproval", "Escalate") == [("States.Timeout", True)]


# -- an execution on the local runtime -------------------------------------------------------------------------------

SAGA_VISITED = {
    "Begin": "succeeded",
    "ReserveInventory": "succeeded",
    "ChargePayment": "succeeded",
    "ArrangeShipping": "caught",  # NoCarrierAvailable
    "RefundPayment": "succeeded",
    "ReleaseInventory": "succeeded",
    "Cancel": "succeeded",
    "PublishCancelled": "succeeded",
    "CountCancelled": "succeeded",
    "EverythingUndone": "succeeded",
    "Cancelled": "succeeded",
}
SAGA_NOT_VISITED = ["Duplicate", "PublishCompleted", "CountCompleted", "Completed", "EscalateRefund",
                    "EscalateRelease", "CompensationEscalated"]  # fmt: skip


def compensated_order(local: LocalCloud) -> str:
    """An order no carrier serves: shipping fails, the saga refunds and releases. Its execution's ARN."""
    local.put_event(OrderPlaced.model_validate({**sample_data("OrderPlaced"), "shipping_option": "no-carrier"}))
    local.wait_until_quiet(advance_clock=True)
    (execution,) = local.executions(local.physical_id("AWS::StepFunctions::StateMachine", "OrderSaga"))
    assert execution["status"] == "SUCCEEDED"
    return str(execution["executionArn"])


def test_an_execution_colours_what_it_did_and_leaves_the_rest_plain(cloud: LocalCloud) -> None:  # noqa: F811
    arn = compensated_order(cloud)
    sfn = cloud.client("stepfunctions")
    definition = json.loads(sfn.describe_state_machine_for_execution(executionArn=arn)["definition"])

    outcomes = outcomes_of(visits_from_history(cloud.history(arn), "SUCCEEDED"))
    chart = parse(mermaid(definition, outcomes))

    assert {name: chart.outcome(name) for name in SAGA_VISITED} == SAGA_VISITED
    assert [chart.outcome(name) for name in SAGA_NOT_VISITED] == [None] * len(SAGA_NOT_VISITED)


def test_a_waiting_execution_shows_the_state_it_waits_in(cloud: LocalCloud) -> None:  # noqa: F811
    cloud.put_event(TicketSubmitted.model_validate(ticket("ticket-graph")))
    (waiting,) = cloud.wait_until_quiet().waiting_executions  # for a reviewer's decision
    definition = json.loads(
        cloud.client("stepfunctions").describe_state_machine_for_execution(executionArn=waiting)["definition"]
    )
    outcomes = outcomes_of(visits_from_history(cloud.history(waiting), "RUNNING"))
    chart = parse(mermaid(definition, outcomes))

    assert chart.outcome("AwaitApproval") == "running"
    assert chart.outcome("Specialists") == "succeeded"  # the Map box, styled
    assert chart.outcome("Dispatch") == "succeeded"
    assert chart.outcome("BreakerOpen") is None
    assert [chart.outcome(n) for n in ("Decision", "PublishResolved", "Escalate")] == [None, None, None]


# -- the command ---------------------------------------------------------------------------------------------------


@pytest.fixture
def served(assembly_dir: Path, aws_credentials: None) -> Iterator[LocalCloud]:
    """The local runtime in server mode, so the command talks to it over HTTP as it would to `orch local up`."""
    with LocalCloud.from_assembly(assembly_dir, port=0) as local:
        yield local


def said(capsys: pytest.CaptureFixture[str]) -> list[str]:
    """The command's own lines on standard error (the in-process server logs its requests there too)."""
    return [line for line in capsys.readouterr().err.splitlines() if line.startswith("orch:")]


def test_orch_graph_draws_an_execution_from_the_local_endpoint(
    served: LocalCloud, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    arn = compensated_order(served)
    capsys.readouterr()  # the handlers' logs; the system is quiet now
    endpoint = ["--endpoint-url", str(served.endpoint_url)]

    assert main(["graph", "OrderSaga", "--execution", arn, *endpoint]) == 0
    chart = parse(capsys.readouterr().out)
    assert {name: chart.outcome(name) for name in SAGA_VISITED} == SAGA_VISITED
    assert chart.outcome("Completed") is None

    picture = tmp_path / "saga.svg"
    assert main(["graph", "ordersaga", "--execution", arn, "--format", "svg", "--out", str(picture), *endpoint]) == 0
    assert capsys.readouterr().out == f"wrote {picture}\n"
    texts = svg_texts(picture.read_text(encoding="utf-8"))
    assert set(SAGA_VISITED) | set(SAGA_NOT_VISITED) <= set(texts)
    coloured = svg_states(picture.read_text(encoding="utf-8"))
    assert coloured["ArrangeShipping"] == "state caught"
    assert coloured["Completed"] == "state not-visited"

    # An execution of another workflow than the one named is refused, not drawn on the wrong picture.
    assert main(["graph", "agent-pipeline", "--execution", arn, *endpoint]) == 2
    (error,) = said(capsys)
    assert "execution" in error and f"{arn} is of " in error and "OrderSaga" in error

    # No execution: the pipeline's definition by a part of its name, plain.
    assert main(["graph", "agent-pipeline", *endpoint]) == 0
    plain = parse(capsys.readouterr().out)
    assert "DispatchReadBreaker" in plain.names() and not plain.classes


def test_orch_graph_says_what_is_wrong_in_one_line_with_an_exit_code(
    served: LocalCloud, capsys: pytest.CaptureFixture[str]
) -> None:
    endpoint = ["--endpoint-url", str(served.endpoint_url)]

    assert main(["graph", "NoSuchWorkflow", *endpoint]) == 3
    (error,) = said(capsys)
    assert error.startswith("orch: no state machine matches 'NoSuchWorkflow'; there are: ")
    assert "OrderSagaStateMachine" in error and "AgentPipelineStateMachine" in error

    assert main(["graph", "Orchestrator", *endpoint]) == 2  # both state machines' names have it
    (error,) = said(capsys)
    assert "matches 3 state machines" in error and error.endswith("; say which")

    saga = served.physical_id("AWS::StepFunctions::StateMachine", "OrderSaga")
    unknown = saga.replace(":stateMachine:", ":execution:") + ":no-such-execution"
    assert main(["graph", saga, "--execution", unknown, *endpoint]) == 3
    (error,) = said(capsys)
    assert "no-such-execution" in error and "check the name or ARN" in error


def test_orch_graph_with_no_endpoint_listening_says_so(
    aws_credentials: None, capsys: pytest.CaptureFixture[str]
) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]  # free once the probe closes: nothing listens there
    assert main(["graph", "OrderSaga", "--endpoint-url", f"http://127.0.0.1:{port}"]) == 1
    (error,) = capsys.readouterr().err.splitlines()
    assert error.startswith(f"orch: cannot reach http://127.0.0.1:{port}") and "orch local up" in error


def test_orch_graph_finds_a_workflow_by_its_tag_whatever_its_state_machine_is_called(
    served: LocalCloud, capsys: pytest.CaptureFixture[str]
) -> None:
    # A user's workflow whose state machine's name has nothing of its `workflow` tag, as `orch list --workflow`
    # finds it (issue: `orch graph report-build` answered "no state machine matches" while `orch list` worked).
    sfn = served.client("stepfunctions")
    definition = {"StartAt": "Build", "States": {"Build": {"Type": "Pass", "End": True}}}
    sfn.create_state_machine(
        name="Orchestrator-dev-Workflows-Xyz123",
        definition=json.dumps(definition),
        roleArn="arn:aws:iam::123456789012:role/any",
        tags=[{"key": "workflow", "value": "report-build"}, {"key": "stage", "value": "dev"}],
    )
    endpoint = ["--endpoint-url", str(served.endpoint_url)]

    assert main(["list", "--workflow", "report-build", *endpoint]) == 0
    capsys.readouterr()
    assert main(["graph", "report-build", *endpoint]) == 0
    assert parse(capsys.readouterr().out).names() == ["Start", "Build", "End"]
