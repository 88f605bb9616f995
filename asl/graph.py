"""Pictures of a state machine, for a user without the Step Functions console: Mermaid text and a standalone SVG,
each state coloured by what it did in one execution when given its outcomes.

Both come from one model of the definition (`chart`): a frame of states (the top level, a Map's iteration, a
Parallel's branch), one node per state and one edge per transition: `Next`, each Choice rule (labelled with a short
form of its condition) and the `Default`, each Catch (dashed, labelled with its errors), `End` (to the End marker of
the top level). A Map or Parallel state is a box holding its iteration / branches. JSONata and JSONPath definitions
alike. Node ids are made from the names (`s_` + the name's word characters, numbered on a clash), so a name Mermaid
dislikes stays a label only.

The SVG is laid out here, in the layered (Sugiyama) way: ranks by longest path with back edges reversed, a dummy
vertex per rank an edge crosses (the first one carries its label, so labels never overlap), barycentre ordering,
then coordinates. Python has no pure renderer that draws nested boxes (grandalf lays out flat graphs only; graphviz
and mermaid-cli are external binaries), and a state machine is small, so a hundred lines do.
"""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Final, Protocol

# What a state did in an execution, as the pictures colour it; a state absent from the outcomes was not visited.
SUCCEEDED: Final = "succeeded"
CAUGHT: Final = "caught"  # failed, and a Catch took the execution on
FAILED: Final = "failed"
RUNNING: Final = "running"  # running or waiting (a task token, the clock)
ABORTED: Final = "aborted"
OUTCOMES: Final[tuple[str, ...]] = (SUCCEEDED, CAUGHT, FAILED, RUNNING, ABORTED)
# fill, stroke; the console's colours, roughly
COLOURS: Final[dict[str, tuple[str, str]]] = {
    SUCCEEDED: ("#d4f4dd", "#2e8540"),
    CAUGHT: ("#ffe8c2", "#c77700"),
    FAILED: ("#fbd5d5", "#c62828"),
    RUNNING: ("#d6e9fb", "#1565c0"),
    ABORTED: ("#e4e4e4", "#616161"),
}
_PLAIN: Final = ("#ffffff", "#7d8998")
_START: Final = "__start__"
_END: Final = "__end__"
LABEL_CHARS: Final = 36  # a condition longer than this is cut, with an ellipsis


class Visit(Protocol):
    """One state visit of an execution (orchestrator.local.stepfunctions.StateVisit has this shape)."""

    @property
    def name(self) -> str: ...

    @property
    def outcome(self) -> str: ...


def outcomes_of(visits: Iterable[Visit]) -> dict[str, str]:
    """Each visited state's outcome, from its visits ("succeeded", "caught <Error>", "failed <Error>", "running",
    "aborted", "timed out"); a state visited more than once (a loop, Map iterations) shows the worst of them."""
    worst: dict[str, str] = {}
    for visit in visits:
        outcome = _outcome_class(visit.outcome)
        if visit.name not in worst or _SEVERITY[outcome] > _SEVERITY[worst[visit.name]]:
            worst[visit.name] = outcome
    return worst


_SEVERITY: Final[dict[str, int]] = {SUCCEEDED: 0, CAUGHT: 1, ABORTED: 2, RUNNING: 3, FAILED: 4}


def _outcome_class(outcome: str) -> str:
    word = outcome.split(" ", 1)[0]
    if word == "timed":  # "timed out": the execution's timeout ended it there
        return FAILED
    return word if word in _SEVERITY else RUNNING


# ---------------------------------------------------------------------------------------------------------------
# The model


@dataclass(frozen=True)
class Node:
    id: str
    name: str  # the state's name; "Start" / "End" for the markers
    kind: str  # the state's Type, or "Start" / "End"
    detail: str = ""  # a second line: the resource, the wait, the retry
    frames: tuple[Frame, ...] = ()  # a Map's iteration, a Parallel's branches


@dataclass(frozen=True)
class Edge:
    source: str
    target: str
    label: str = ""
    dashed: bool = False  # a Catch


@dataclass(frozen=True)
class Frame:
    """States that run one after the other, in the order met from `StartAt`."""

    title: str
    nodes: tuple[Node, ...]
    edges: tuple[Edge, ...]


def chart(definition: Mapping[str, Any]) -> Frame:
    """The definition's top level, with Start and End markers."""
    return _Charter().frame("", definition, top=True)


@dataclass
class _Charter:
    ids: set[str] = field(default_factory=set)

    def frame(self, title: str, machine: Mapping[str, Any], *, top: bool = False) -> Frame:
        states: Mapping[str, Mapping[str, Any]] = machine.get("States", {})
        query_language = str(machine.get("QueryLanguage", "JSONPath"))
        names = _reachable_first(str(machine.get("StartAt", "")), states)
        ids = {name: self._id(name) for name in names}
        nodes: list[Node] = []
        edges: list[Edge] = []
        if top:
            nodes.append(Node(_START, "Start", "Start"))
            if machine.get("StartAt") in ids:
                edges.append(Edge(_START, ids[str(machine["StartAt"])]))
        for name in names:
            state = states[name]
            language = str(state.get("QueryLanguage", query_language))
            nodes.append(Node(ids[name], name, str(state.get("Type", "")), _detail(state), self._frames(name, state)))
            for target, label, dashed in _transitions(state, language):
                if target in ids:
                    edges.append(Edge(ids[name], ids[target], label, dashed))
                elif target == _END and top:
                    edges.append(Edge(ids[name], _END, label, dashed))
        if top:
            nodes.append(Node(_END, "End", "End"))
        return Frame(title, tuple(nodes), tuple(edges))

    def _frames(self, name: str, state: Mapping[str, Any]) -> tuple[Frame, ...]:
        processor = state.get("ItemProcessor") or state.get("Iterator")
        language = state.get("QueryLanguage")
        if processor is not None:
            return (self.frame("", _inherit(processor, language)),)
        branches = state.get("Branches", [])
        return tuple(self.frame(f"branch {i}", _inherit(b, language)) for i, b in enumerate(branches, 1))

    def _id(self, name: str) -> str:
        base = "s_" + (re.sub(r"\W", "_", name, flags=re.ASCII) or "_")
        made, n = base, 1
        while made in self.ids:
            n += 1
            made = f"{base}_{n}"
        self.ids.add(made)
        return made


def _inherit(machine: Mapping[str, Any], language: Any) -> Mapping[str, Any]:
    return machine if language is None or "QueryLanguage" in machine else {**machine, "QueryLanguage": language}


def _reachable_first(start: str, states: Mapping[str, Mapping[str, Any]]) -> list[str]:
    """State names in the order a reader follows them from StartAt (depth first, Next before Choice rules before
    Catches); states nothing reaches come last, in the file's order."""
    seen: list[str] = []
    stack = [start]
    while stack:
        name = stack.pop()
        if name in seen or name not in states:
            continue
        seen.append(name)
        stack.extend(reversed([target for target, _, _ in _transitions(states[name], "JSONata")]))
    return seen + [name for name in states if name not in seen]


def _transitions(state: Mapping[str, Any], language: str) -> list[tuple[str, str, bool]]:
    """(target, label, dashed) of each way out of the state; target `_END` for End."""
    out: list[tuple[str, str, bool]] = []
    if "Next" in state:
        out.append((str(state["Next"]), "", False))
    if state.get("End") or state.get("Type") in ("Succeed", "Fail"):
        out.append((_END, "", False))
    for rule in state.get("Choices", []):
        out.append((str(rule.get("Next", "")), _condition(rule, language), False))
    if "Default" in state:
        out.append((str(state["Default"]), "Default", False))
    for catcher in state.get("Catch", []):
        out.append((str(catcher.get("Next", "")), ", ".join(catcher.get("ErrorEquals", [])), True))
    return out


_COMPARISONS: Final[dict[str, str]] = {
    "Equals": "==",
    "LessThan": "<",
    "GreaterThan": ">",
    "LessThanEquals": "<=",
    "GreaterThanEquals": ">=",
    "Matches": "matches",
}


_COMPARISON: Final = re.compile(r"(?:String|Numeric|Boolean|Timestamp)(" + "|".join(_COMPARISONS) + r")(Path)?")


def _condition(rule: Mapping[str, Any], language: str) -> str:
    if "Condition" in rule:  # JSONata
        text = str(rule["Condition"]).strip().removeprefix("{%").removesuffix("%}")
        return _short(" ".join(text.replace("$states.input.", "$.").split()))
    del language  # a JSONPath rule says what it is by its keys
    return _short(_jsonpath_rule(rule))


def _jsonpath_rule(rule: Mapping[str, Any]) -> str:
    if "And" in rule or "Or" in rule:
        word = "and" if "And" in rule else "or"
        return f" {word} ".join(f"({_jsonpath_rule(r)})" for r in rule.get("And", rule.get("Or", [])))
    if "Not" in rule:
        return f"not ({_jsonpath_rule(rule['Not'])})"
    variable = str(rule.get("Variable", "?"))
    for key, value in rule.items():
        if key.startswith("Is"):  # IsPresent, IsNull, IsString, ...
            return f"{variable} {key[2:].lower()}" if value else f"{variable} not {key[2:].lower()}"
        if comparison := _COMPARISON.fullmatch(key):
            shown = value if comparison[2] else json.dumps(value)
            return f"{variable} {_COMPARISONS[comparison[1]]} {shown}"
    return variable


def _short(text: str) -> str:
    return text if len(text) <= LABEL_CHARS else text[: LABEL_CHARS - 1] + "…"


def _detail(state: Mapping[str, Any]) -> str:
    kind = str(state.get("Type", ""))
    parts = []
    if kind == "Task":
        parts.append(_resource(str(state.get("Resource", ""))))
    elif kind == "Wait":
        parts.append(_wait(state))
    elif kind == "Fail" and state.get("Error"):
        parts.append(str(state["Error"]))
    if state.get("Retry"):
        attempts = max(int(r.get("MaxAttempts", 3)) for r in state["Retry"])
        parts.append(f"retry ×{attempts}")
    return " · ".join(p for p in parts if p)


def _resource(resource: str) -> str:
    """The service call, not the ARN: `lambda:invoke`, `events:putEvents.waitForTaskToken`, `lambda MyFunction`."""
    if ":::" in resource:
        return resource.split(":::", 1)[1]
    if ":function:" in resource:
        return "lambda " + resource.split(":function:", 1)[1]
    return resource.rsplit(":", 1)[-1]


def _wait(state: Mapping[str, Any]) -> str:
    for key in ("Seconds", "SecondsPath", "Timestamp", "TimestampPath"):
        if key in state:
            value = state[key]
            return f"{value} s" if key == "Seconds" and isinstance(value, int) else f"{key} {_short(str(value))}"
    return ""


# ---------------------------------------------------------------------------------------------------------------
# Mermaid

_SHAPES: Final[dict[str, tuple[str, str]]] = {
    "Start": ("((", "))"),
    "End": ("((", "))"),
    "Choice": ("{", "}"),
    "Pass": ("(", ")"),
    "Wait": ("{{", "}}"),
    "Succeed": ("([", "])"),
    "Fail": ("([", "])"),
}


def mermaid(definition: Mapping[str, Any], outcomes: Mapping[str, str] | None = None) -> str:
    """A Mermaid flowchart of the definition; with `outcomes` (state name -> one of OUTCOMES), states coloured."""
    top = chart(definition)
    lines = ["flowchart TD"]
    styled: list[str] = []
    _mermaid_frame(top, lines, styled, outcomes or {}, "  ")
    if outcomes:
        # `default` is every node without a class: here, the states the execution did not visit
        lines.append(f"  classDef default fill:{_PLAIN[0]},stroke:{_PLAIN[1]}")
        for outcome in OUTCOMES:
            fill, stroke = COLOURS[outcome]
            lines.append(f"  classDef {outcome} fill:{fill},stroke:{stroke},stroke-width:2px")
        lines.extend(styled)
    return "\n".join(lines) + "\n"


def _mermaid_frame(frame: Frame, lines: list[str], styled: list[str], outcomes: Mapping[str, str], pad: str) -> None:
    for node in frame.nodes:
        outcome = outcomes.get(node.name) if node.kind not in ("Start", "End") else None
        if node.frames:
            lines.append(f'{pad}subgraph {node.id}["{_escape(_label(node), " · ")}"]')
            lines.append(f"{pad}  direction TB")
            for i, inner in enumerate(node.frames):
                if len(node.frames) == 1:
                    _mermaid_frame(inner, lines, styled, outcomes, pad + "  ")
                    continue
                lines.append(f'{pad}  subgraph {node.id}__{i + 1}["{inner.title}"]')
                lines.append(f"{pad}    direction TB")
                _mermaid_frame(inner, lines, styled, outcomes, pad + "    ")
                lines.append(f"{pad}  end")
            lines.append(f"{pad}end")
            if outcome:  # the border only: its states inside have colours of their own
                styled.append(f"  style {node.id} stroke:{COLOURS[outcome][1]},stroke-width:3px")
            continue
        opening, closing = _SHAPES.get(node.kind, ("[", "]"))
        lines.append(f'{pad}{node.id}{opening}"{_escape(_label(node), "<br/>")}"{closing}')
        if outcome:
            styled.append(f"  class {node.id} {outcome}")
    for edge in frame.edges:
        arrow = "-.->" if edge.dashed else "-->"
        label = f'|"{_escape(edge.label)}"|' if edge.label else ""
        lines.append(f"{pad}{edge.source} {arrow}{label} {edge.target}")


def _label(node: Node) -> list[str]:
    kind = "" if node.kind in ("Task", "Start", "End") else node.kind
    second = " · ".join(p for p in (kind, node.detail) if p)
    return [node.name, second] if second else [node.name]


_MERMAID_ENTITIES: Final = {"#": "#35;", '"': "#quot;", "<": "#lt;", ">": "#gt;", "&": "#amp;"}


def _escape(text: str | Sequence[str], joiner: str = "") -> str:
    """Text Mermaid shows as written: its entity codes for the characters it would read as syntax or HTML."""
    parts = [text] if isinstance(text, str) else list(text)
    return joiner.join("".join(_MERMAID_ENTITIES.get(c, c) for c in part) for part in parts)


# ---------------------------------------------------------------------------------------------------------------
# SVG

CHAR_WIDTH: Final = 7.0  # px per character at FONT_SIZE, a generous average for sans-serif
FONT_SIZE: Final = 12
LINE: Final = 16  # px per line of text
PAD: Final = 10  # inside a box
GAP_X: Final = 24  # between neighbours in a rank
GAP_Y: Final = 14  # between ranks (each edge crosses at least one rank of its own)


def svg(definition: Mapping[str, Any], outcomes: Mapping[str, str] | None = None) -> str:
    """A standalone SVG picture of the definition; with `outcomes`, states coloured as in `mermaid`."""
    laid = _lay_out(chart(definition), outcomes or {})
    margin = 16
    legend_height = LINE + 8 if outcomes else 0
    legend_width = sum(32 + len(word) * CHAR_WIDTH for word in _LEGEND) if outcomes else 0.0
    width, height = max(laid.width, legend_width) + 2 * margin, laid.height + 2 * margin + legend_height
    root = ET.Element(
        "svg",
        xmlns="http://www.w3.org/2000/svg",
        width=_n(width),
        height=_n(height),
        viewBox=f"0 0 {_n(width)} {_n(height)}",
        attrib={"font-family": "Helvetica, Arial, sans-serif", "font-size": str(FONT_SIZE)},
    )
    defs = ET.SubElement(root, "defs")
    marker = ET.SubElement(
        defs, "marker", id="arrow", viewBox="0 0 10 10", refX="10", refY="5", markerWidth="7", markerHeight="7"
    )
    marker.set("orient", "auto-start-reverse")
    ET.SubElement(marker, "path", d="M 0 0 L 10 5 L 0 10 z", fill="#555")
    ET.SubElement(root, "rect", width="100%", height="100%", fill="#fafbfc")
    laid.draw(root, margin, margin)
    if outcomes:
        _legend(root, margin, laid.height + 2 * margin)
    ET.indent(root)
    return ET.tostring(root, encoding="unicode") + "\n"


_LEGEND: Final = (*OUTCOMES, "not visited")


def _legend(root: ET.Element, x: float, y: float) -> None:
    for outcome in _LEGEND:
        fill, stroke = COLOURS.get(outcome, _PLAIN)
        ET.SubElement(root, "rect", x=_n(x), y=_n(y), width="12", height="12", fill=fill, stroke=stroke)
        _text(root, x + 16, y + 10, outcome, anchor="start")
        x += 16 + len(outcome) * CHAR_WIDTH + 16


def _n(value: float) -> str:
    return f"{value:.1f}".removesuffix(".0")


def _text(parent: ET.Element, x: float, y: float, text: str, *, anchor: str = "middle", bold: bool = False) -> None:
    element = ET.SubElement(parent, "text", x=_n(x), y=_n(y), attrib={"text-anchor": anchor})
    if bold:
        element.set("font-weight", "bold")
    element.text = text


def _text_width(lines: Sequence[str]) -> float:
    return max((len(line) for line in lines), default=0) * CHAR_WIDTH


class _Laid(Protocol):
    width: float
    height: float

    def draw(self, parent: ET.Element, x: float, y: float) -> None: ...


@dataclass
class _Box:
    """A state drawn as one box, or (with `inner`) a Map / Parallel box holding its iteration or branches."""

    node: Node
    outcome: str | None
    inner: _Laid | None = None
    width: float = 0.0
    height: float = 0.0

    def __post_init__(self) -> None:
        lines = _label(self.node)
        self.width = _text_width(lines) + 2 * PAD
        self.height = len(lines) * LINE + PAD
        if self.inner is not None:
            self.width = max(self.width, self.inner.width + 2 * PAD)
            self.height += self.inner.height + PAD

    def draw(self, parent: ET.Element, x: float, y: float) -> None:
        fill, stroke = COLOURS[self.outcome] if self.outcome else _PLAIN
        if self.inner is not None:
            fill = _PLAIN[0]  # the border only: the states inside have colours of their own
        group = ET.SubElement(parent, "g", attrib={"class": f"state {self.outcome or 'not-visited'}"})
        ET.SubElement(group, "title").text = f"{self.node.name} ({self.node.kind}): {self.outcome or 'not visited'}"
        radius = {"Choice": "2", "Start": "14", "End": "14", "Succeed": "14", "Fail": "14"}.get(self.node.kind, "6")
        rect = ET.SubElement(group, "rect", x=_n(x), y=_n(y), width=_n(self.width), height=_n(self.height))
        rect.attrib.update(rx=radius, fill=fill, stroke=stroke)
        rect.set("stroke-width", ("3" if self.inner else "2") if self.outcome else "1")
        if self.node.kind == "Choice":
            rect.set("stroke-dasharray", "5 2")
        lines = _label(self.node)
        for i, line in enumerate(lines):
            _text(group, x + self.width / 2, y + PAD / 2 + LINE * (i + 1) - 4, line, bold=i == 0)
        if self.inner is not None:
            self.inner.draw(group, x + (self.width - self.inner.width) / 2, y + len(lines) * LINE + PAD)


@dataclass
class _Branches:
    """A Parallel state's branches side by side, each in its own dashed box."""

    branches: list[_Laid]
    titles: list[str]
    width: float = 0.0
    height: float = 0.0

    def __post_init__(self) -> None:
        self.width = sum(b.width + 2 * PAD for b in self.branches) + GAP_X * (len(self.branches) - 1)
        self.height = max((b.height for b in self.branches), default=0) + LINE + 2 * PAD

    def draw(self, parent: ET.Element, x: float, y: float) -> None:
        for branch, title in zip(self.branches, self.titles, strict=True):
            rect = ET.SubElement(parent, "rect", x=_n(x), y=_n(y), width=_n(branch.width + 2 * PAD))
            rect.attrib.update(height=_n(self.height), rx="4", fill="none", stroke="#9aa5b1")
            rect.set("stroke-dasharray", "4 3")
            _text(parent, x + PAD, y + LINE, title, anchor="start")
            branch.draw(parent, x + PAD, y + LINE + PAD)
            x += branch.width + 2 * PAD + GAP_X


@dataclass
class _Vertex:
    """A box, or a dummy where an edge crosses a rank (carrying the edge's label on its first rank)."""

    key: int
    rank: int
    box: _Laid | None = None
    label: str = ""
    x: float = 0.0  # centre
    y: float = 0.0  # top of its rank
    span: float = 0.0  # its rank's height

    @property
    def width(self) -> float:
        if self.box is not None:
            return self.box.width
        return _text_width([self.label]) + 6 if self.label else 2.0

    @property
    def height(self) -> float:
        if self.box is not None:
            return self.box.height
        return LINE if self.label else 0.0


@dataclass
class _Route:
    edge: Edge
    chain: list[_Vertex]  # from the edge's upper end to its lower end, dummies between
    back: bool  # the edge points up: it was reversed to rank the graph


@dataclass
class _Layered:
    """One frame laid out in ranks."""

    vertices: list[_Vertex]
    routes: list[_Route]
    width: float = 0.0
    height: float = 0.0

    def draw(self, parent: ET.Element, x: float, y: float) -> None:
        for route in self.routes:
            _draw_route(parent, route, x, y)
        for vertex in self.vertices:
            if vertex.box is not None:
                vertex.box.draw(parent, x + vertex.x - vertex.width / 2, y + vertex.y)


def _draw_route(parent: ET.Element, route: _Route, dx: float, dy: float) -> None:
    upper, lower = route.chain[0], route.chain[-1]
    points = [(upper.x, upper.y + upper.height)]
    for vertex in route.chain[1:-1]:  # straight down through its rank, where no box stands in the way
        points += [(vertex.x, vertex.y), (vertex.x, vertex.y + vertex.span)]
    points.append((lower.x, lower.y))
    if route.back:
        points.reverse()
    path = ET.SubElement(
        parent,
        "polyline",
        points=" ".join(f"{_n(px + dx)},{_n(py + dy)}" for px, py in points),
        fill="none",
        stroke="#555",
        attrib={"marker-end": "url(#arrow)"},
    )
    if route.edge.dashed:
        path.set("stroke-dasharray", "5 3")
    for vertex in route.chain[1:-1]:
        if vertex.label:
            ET.SubElement(
                parent,
                "rect",
                x=_n(dx + vertex.x - vertex.width / 2),
                y=_n(dy + vertex.y),
                width=_n(vertex.width),
                height=_n(vertex.height),
                fill="#fafbfc",
            )
            text_y = dy + vertex.y + vertex.height - 4
            _text(parent, dx + vertex.x, text_y, vertex.label)
            parent[-1].set("font-style", "italic" if route.edge.dashed else "normal")


def _lay_out(frame: Frame, outcomes: Mapping[str, str]) -> _Layered:
    boxes: dict[str, _Vertex] = {}
    for key, node in enumerate(frame.nodes):
        inner: _Laid | None = None
        if len(node.frames) == 1:
            inner = _lay_out(node.frames[0], outcomes)
        elif node.frames:
            inner = _Branches([_lay_out(f, outcomes) for f in node.frames], [f.title for f in node.frames])
        outcome = outcomes.get(node.name) if node.kind not in ("Start", "End") else None
        boxes[node.id] = _Vertex(key, 0, _Box(node, outcome, inner))
    back = _back_edges(frame)
    _rank(boxes, frame.edges, back)
    vertices = list(boxes.values())
    routes = []
    for edge in frame.edges:
        upper, lower = boxes[edge.source], boxes[edge.target]
        if edge in back:
            upper, lower = lower, upper
        chain = [upper]
        for rank in range(upper.rank + 1, lower.rank):
            # the label sits next to where the edge leaves its source
            near_source = rank == (lower.rank - 1 if edge in back else upper.rank + 1)
            chain.append(_Vertex(len(vertices), rank, label=edge.label if near_source else ""))
            vertices.append(chain[-1])
        chain.append(lower)
        routes.append(_Route(edge, chain, edge in back))
    ranks = _order(vertices, routes)
    layered = _Layered(vertices, routes)
    layered.width, layered.height = _place(ranks, routes)
    return layered


def _back_edges(frame: Frame) -> set[Edge]:
    """The edges that close a cycle, met depth first from the frame's first node (its StartAt or Start)."""
    out: dict[str, list[Edge]] = {node.id: [] for node in frame.nodes}
    for edge in frame.edges:
        out[edge.source].append(edge)
    back: set[Edge] = set()
    state: dict[str, int] = {}  # 1 on the stack, 2 done

    def visit(node: str) -> None:
        state[node] = 1
        for edge in out[node]:
            if state.get(edge.target) == 1:
                back.add(edge)
            elif edge.target not in state:
                visit(edge.target)
        state[node] = 2

    for node in frame.nodes:
        if node.id not in state:
            visit(node.id)
    return back


def _rank(boxes: Mapping[str, _Vertex], edges: Sequence[Edge], back: set[Edge]) -> None:
    """Longest path from the sources, two ranks per edge (the odd rank holds its label); back edges reversed."""
    forward = [(e.target, e.source) if e in back else (e.source, e.target) for e in edges]
    changed = True
    while changed:  # a DAG of a few dozen nodes: relaxing until still is simplest
        changed = False
        for source, target in forward:
            if source != target and boxes[target].rank < boxes[source].rank + 2:
                boxes[target].rank = boxes[source].rank + 2
                changed = True


def _order(vertices: Sequence[_Vertex], routes: Sequence[_Route]) -> list[list[_Vertex]]:
    """Vertices by rank, each rank ordered to cross few edges (barycentre sweeps down and up)."""
    ranks: list[list[_Vertex]] = [[] for _ in range(max((v.rank for v in vertices), default=0) + 1)]
    for vertex in sorted(vertices, key=lambda v: v.key):
        ranks[vertex.rank].append(vertex)
    above: dict[int, list[_Vertex]] = {v.key: [] for v in vertices}
    below: dict[int, list[_Vertex]] = {v.key: [] for v in vertices}
    for route in routes:
        for upper, lower in zip(route.chain, route.chain[1:], strict=False):
            below[upper.key].append(lower)
            above[lower.key].append(upper)
    for sweep in range(8):
        down = sweep % 2 == 0
        neighbours = above if down else below
        indices = range(1, len(ranks)) if down else range(len(ranks) - 2, -1, -1)
        for r in indices:
            position = {v.key: i for i, v in enumerate(ranks[r + (-1 if down else 1)])}
            centre: dict[int, float] = {}
            for i, vertex in enumerate(ranks[r]):
                near = [position[n.key] for n in neighbours[vertex.key] if n.key in position]
                centre[vertex.key] = sum(near) / len(near) if near else i
            ranks[r].sort(key=lambda v: centre[v.key])
    return ranks


def _place(ranks: Sequence[Sequence[_Vertex]], routes: Sequence[_Route]) -> tuple[float, float]:
    """Coordinates: each vertex centred over its neighbours as far as its rank's order and gaps allow."""
    links: dict[int, list[_Vertex]] = {}
    for route in routes:
        for a, b in zip(route.chain, route.chain[1:], strict=False):
            links.setdefault(a.key, []).append(b)
            links.setdefault(b.key, []).append(a)
    for rank in ranks:
        _pack(rank, [0.0] * len(rank))
    for sweep in range(24):
        order = ranks if sweep % 2 == 0 else list(reversed(ranks))
        for rank in order:
            wanted = []
            for vertex in rank:
                near = [n.x for n in links.get(vertex.key, []) if n.rank != vertex.rank]
                wanted.append(sum(near) / len(near) if near else vertex.x)
            _pack(rank, wanted)
    left = min((v.x - v.width / 2 for rank in ranks for v in rank), default=0.0)
    right = max((v.x + v.width / 2 for rank in ranks for v in rank), default=0.0)
    y = 0.0
    for rank in ranks:
        span = max((v.height for v in rank), default=0.0)
        for vertex in rank:
            vertex.x -= left
            vertex.y, vertex.span = y, span
        y += span + GAP_Y
    return right - left, max(y - GAP_Y, 0.0)


def _pack(rank: Sequence[_Vertex], wanted: Sequence[float]) -> None:
    """Places the rank's vertices in order, no two closer than the gap, each as near its wanted centre as that
    allows: pushed right where it collides with its left neighbour, left where with its right one, then the mean of
    the two (each keeps the gaps, so their mean does too; a vertex with room to spare stays where it is wanted)."""
    if not rank:
        return
    gaps = [(a.width + b.width) / 2 + (GAP_X if a.box and b.box else 8) for a, b in zip(rank, rank[1:], strict=False)]
    rightward, leftward = list(wanted), list(wanted)
    for i in range(1, len(rank)):
        rightward[i] = max(wanted[i], rightward[i - 1] + gaps[i - 1])
    for i in range(len(rank) - 2, -1, -1):
        leftward[i] = min(wanted[i], leftward[i + 1] - gaps[i])
    for vertex, right, left in zip(rank, rightward, leftward, strict=True):
        vertex.x = (right + left) / 2
