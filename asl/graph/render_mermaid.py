"""The definition as a Mermaid flowchart: a frame's states as nodes, a Map or Parallel state as a subgraph holding its
iteration / branches, each state coloured by its outcome when given an execution's."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Final

from asl.graph.model import Frame, chart, label
from asl.graph.outcomes import COLOURS, OUTCOMES, PLAIN

_SHAPES: Final[dict[str, tuple[str, str]]] = {
    "Start": ("((", "))"),
    "End": ("((", "))"),
    "Choice": ("{", "}"),
    "Pass": ("(", ")"),
    "Wait": ("{{", "}}"),
    "Succeed": ("([", "])"),
    "Fail": ("([", "])"),
}


def mermaid(definition: Mapping[str, Any] | Frame, outcomes: Mapping[str, str] | None = None) -> str:
    """A Mermaid flowchart of the definition (or of a frame already charted, like a DAG's dependencies); with
    `outcomes` (state name -> one of OUTCOMES), states coloured."""
    top = definition if isinstance(definition, Frame) else chart(definition)
    lines = ["flowchart TD"]
    styled: list[str] = []
    _mermaid_frame(top, lines, styled, outcomes or {}, "  ")
    if outcomes:
        # `default` is every node without a class: here, the states the execution did not visit
        lines.append(f"  classDef default fill:{PLAIN[0]},stroke:{PLAIN[1]}")
        for outcome in OUTCOMES:
            fill, stroke = COLOURS[outcome]
            lines.append(f"  classDef {outcome} fill:{fill},stroke:{stroke},stroke-width:2px")
        lines.extend(styled)
    return "\n".join(lines) + "\n"


def _mermaid_frame(frame: Frame, lines: list[str], styled: list[str], outcomes: Mapping[str, str], pad: str) -> None:
    for node in frame.nodes:
        outcome = outcomes.get(node.name) if node.kind not in ("Start", "End") else None
        if node.frames:
            lines.append(f'{pad}subgraph {node.id}["{_escape(label(node), " · ")}"]')
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
        lines.append(f'{pad}{node.id}{opening}"{_escape(label(node), "<br/>")}"{closing}')
        if outcome:
            styled.append(f"  class {node.id} {outcome}")
    for edge in frame.edges:
        arrow = "-.->" if edge.dashed else "-->"
        shown = f'|"{_escape(edge.label)}"|' if edge.label else ""
        lines.append(f"{pad}{edge.source} {arrow}{shown} {edge.target}")


_MERMAID_ENTITIES: Final = {"#": "#35;", '"': "#quot;", "<": "#lt;", ">": "#gt;", "&": "#amp;"}


def _escape(text: str | Sequence[str], joiner: str = "") -> str:
    """Text Mermaid shows as written: its entity codes for the characters it would read as syntax or HTML."""
    parts = [text] if isinstance(text, str) else list(text)
    return joiner.join("".join(_MERMAID_ENTITIES.get(c, c) for c in part) for part in parts)
