"""The definition as a standalone SVG picture: each state a box (a Map or Parallel box holding its iteration or
branches), placed by layout.py, each coloured by its outcome when given an execution's, with a legend."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final

from asl.graph.layout import CHAR_WIDTH, FONT_SIZE, GAP_X, LINE, PAD, Laid, Layered, Route, lay_out, text_width
from asl.graph.model import Frame, Node, chart, label
from asl.graph.outcomes import COLOURS, OUTCOMES, PLAIN


def svg(definition: Mapping[str, Any] | Frame, outcomes: Mapping[str, str] | None = None) -> str:
    """A standalone SVG picture of the definition (or of a frame already charted); with `outcomes`, states coloured
    as in `mermaid`."""
    laid = _lay_out(definition if isinstance(definition, Frame) else chart(definition), outcomes or {})
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
        fill, stroke = COLOURS.get(outcome, PLAIN)
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


@dataclass
class _Box:
    """A state drawn as one box, or (with `inner`) a Map / Parallel box holding its iteration or branches."""

    node: Node
    outcome: str | None
    inner: Laid | None = None
    width: float = 0.0
    height: float = 0.0

    def __post_init__(self) -> None:
        lines = label(self.node)
        self.width = text_width(lines) + 2 * PAD
        self.height = len(lines) * LINE + PAD
        if self.inner is not None:
            self.width = max(self.width, self.inner.width + 2 * PAD)
            self.height += self.inner.height + PAD

    def draw(self, parent: ET.Element, x: float, y: float) -> None:
        fill, stroke = COLOURS[self.outcome] if self.outcome else PLAIN
        if self.inner is not None:
            fill = PLAIN[0]  # the border only: the states inside have colours of their own
        group = ET.SubElement(parent, "g", attrib={"class": f"state {self.outcome or 'not-visited'}"})
        ET.SubElement(group, "title").text = f"{self.node.name} ({self.node.kind}): {self.outcome or 'not visited'}"
        radius = {"Choice": "2", "Start": "14", "End": "14", "Succeed": "14", "Fail": "14"}.get(self.node.kind, "6")
        rect = ET.SubElement(group, "rect", x=_n(x), y=_n(y), width=_n(self.width), height=_n(self.height))
        rect.attrib.update(rx=radius, fill=fill, stroke=stroke)
        rect.set("stroke-width", ("3" if self.inner else "2") if self.outcome else "1")
        if self.node.kind == "Choice":
            rect.set("stroke-dasharray", "5 2")
        lines = label(self.node)
        for i, line in enumerate(lines):
            _text(group, x + self.width / 2, y + PAD / 2 + LINE * (i + 1) - 4, line, bold=i == 0)
        if self.inner is not None:
            self.inner.draw(group, x + (self.width - self.inner.width) / 2, y + len(lines) * LINE + PAD)


@dataclass
class _Branches:
    """A Parallel state's branches side by side, each in its own dashed box."""

    branches: list[Laid]
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
class _Layered:
    """A frame laid out in ranks (layout.py), drawn: each edge's route, then the boxes over them."""

    layered: Layered

    @property
    def width(self) -> float:
        return self.layered.width

    @property
    def height(self) -> float:
        return self.layered.height

    def draw(self, parent: ET.Element, x: float, y: float) -> None:
        for route in self.layered.routes:
            _draw_route(parent, route, x, y)
        for vertex in self.layered.vertices:
            if vertex.box is not None:
                vertex.box.draw(parent, x + vertex.x - vertex.width / 2, y + vertex.y)


def _draw_route(parent: ET.Element, route: Route, dx: float, dy: float) -> None:
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
    boxes: list[Laid] = []
    for node in frame.nodes:
        inner: Laid | None = None
        if len(node.frames) == 1:
            inner = _lay_out(node.frames[0], outcomes)
        elif node.frames:
            inner = _Branches([_lay_out(f, outcomes) for f in node.frames], [f.title for f in node.frames])
        outcome = outcomes.get(node.name) if node.kind not in ("Start", "End") else None
        boxes.append(_Box(node, outcome, inner))
    return _Layered(lay_out(frame, boxes))
