"""Pictures of a state machine, for a user without the Step Functions console: Mermaid text and a standalone SVG,
each state coloured by what it did in one execution when given its outcomes.

Both come from one model of the definition (model.py: frames of states, nodes and edges; a Map or Parallel state
is a box holding its iteration / branches). render_mermaid.py writes it as a Mermaid flowchart; render_svg.py draws
it, laid out by layout.py (layered, the Sugiyama way). outcomes.py says how a visited state is coloured.
"""

from __future__ import annotations

from asl.graph.model import LABEL_CHARS, Edge, Frame, Node, chart
from asl.graph.outcomes import ABORTED, CAUGHT, COLOURS, FAILED, OUTCOMES, RUNNING, SUCCEEDED, Visit, outcomes_of
from asl.graph.render_mermaid import mermaid
from asl.graph.render_svg import svg

__all__ = [
    "ABORTED",
    "CAUGHT",
    "COLOURS",
    "FAILED",
    "LABEL_CHARS",
    "OUTCOMES",
    "RUNNING",
    "SUCCEEDED",
    "Edge",
    "Frame",
    "Node",
    "Visit",
    "chart",
    "mermaid",
    "outcomes_of",
    "svg",
]
