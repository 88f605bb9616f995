"""Where the SVG picture puts things, laid out the layered (Sugiyama) way: ranks by longest path with back edges
reversed, a dummy vertex per rank an edge crosses (the first one carries its label, so labels never overlap),
barycentre ordering, then coordinates. Python has no pure renderer that draws nested boxes (grandalf lays out flat
graphs only; graphviz and mermaid-cli are external binaries), and a state machine is small, so a hundred lines do.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Final, Protocol

from asl.graph.model import Edge, Frame

CHAR_WIDTH: Final = 7.0  # px per character at FONT_SIZE, a generous average for sans-serif
FONT_SIZE: Final = 12
LINE: Final = 16  # px per line of text
PAD: Final = 10  # inside a box
GAP_X: Final = 24  # between neighbours in a rank
GAP_Y: Final = 14  # between ranks (each edge crosses at least one rank of its own)


def text_width(lines: Sequence[str]) -> float:
    """The width of the widest of `lines`, in px."""
    return max((len(line) for line in lines), default=0) * CHAR_WIDTH


class Laid(Protocol):
    """A box the layout places: its size, and how it draws itself once placed."""

    @property
    def width(self) -> float: ...

    @property
    def height(self) -> float: ...

    def draw(self, parent: ET.Element, x: float, y: float) -> None: ...


@dataclass
class Vertex:
    """A box, or a dummy where an edge crosses a rank (carrying the edge's label on its first rank)."""

    key: int
    rank: int
    box: Laid | None = None
    label: str = ""
    x: float = 0.0  # centre
    y: float = 0.0  # top of its rank
    span: float = 0.0  # its rank's height

    @property
    def width(self) -> float:
        if self.box is not None:
            return self.box.width
        return text_width([self.label]) + 6 if self.label else 2.0

    @property
    def height(self) -> float:
        if self.box is not None:
            return self.box.height
        return LINE if self.label else 0.0


@dataclass
class Route:
    edge: Edge
    chain: list[Vertex]  # from the edge's upper end to its lower end, dummies between
    back: bool  # the edge points up: it was reversed to rank the graph


@dataclass
class Layered:
    """One frame laid out in ranks."""

    vertices: list[Vertex]
    routes: list[Route]
    width: float = 0.0
    height: float = 0.0


def lay_out(frame: Frame, boxes: Sequence[Laid]) -> Layered:
    """The frame laid out in ranks, `boxes` being its nodes' boxes (in the order of `frame.nodes`)."""
    vertices_of: dict[str, Vertex] = {
        node.id: Vertex(key, 0, box) for key, (node, box) in enumerate(zip(frame.nodes, boxes, strict=True))
    }
    back = _back_edges(frame)
    _rank(vertices_of, frame.edges, back)
    vertices = list(vertices_of.values())
    routes = []
    for edge in frame.edges:
        upper, lower = vertices_of[edge.source], vertices_of[edge.target]
        if edge in back:
            upper, lower = lower, upper
        chain = [upper]
        for rank in range(upper.rank + 1, lower.rank):
            # the label sits next to where the edge leaves its source
            near_source = rank == (lower.rank - 1 if edge in back else upper.rank + 1)
            chain.append(Vertex(len(vertices), rank, label=edge.label if near_source else ""))
            vertices.append(chain[-1])
        chain.append(lower)
        routes.append(Route(edge, chain, edge in back))
    ranks = _order(vertices, routes)
    layered = Layered(vertices, routes)
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


def _rank(boxes: Mapping[str, Vertex], edges: Sequence[Edge], back: set[Edge]) -> None:
    """Longest path from the sources, two ranks per edge (the odd rank holds its label); back edges reversed."""
    forward = [(e.target, e.source) if e in back else (e.source, e.target) for e in edges]
    changed = True
    while changed:  # a DAG of a few dozen nodes: relaxing until still is simplest
        changed = False
        for source, target in forward:
            if source != target and boxes[target].rank < boxes[source].rank + 2:
                boxes[target].rank = boxes[source].rank + 2
                changed = True


def _order(vertices: Sequence[Vertex], routes: Sequence[Route]) -> list[list[Vertex]]:
    """Vertices by rank, each rank ordered to cross few edges (barycentre sweeps down and up)."""
    ranks: list[list[Vertex]] = [[] for _ in range(max((v.rank for v in vertices), default=0) + 1)]
    for vertex in sorted(vertices, key=lambda v: v.key):
        ranks[vertex.rank].append(vertex)
    above: dict[int, list[Vertex]] = {v.key: [] for v in vertices}
    below: dict[int, list[Vertex]] = {v.key: [] for v in vertices}
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


def _place(ranks: Sequence[Sequence[Vertex]], routes: Sequence[Route]) -> tuple[float, float]:
    """Coordinates: each vertex centred over its neighbours as far as its rank's order and gaps allow."""
    links: dict[int, list[Vertex]] = {}
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


def _pack(rank: Sequence[Vertex], wanted: Sequence[float]) -> None:
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
