"""`orch dag`: declarative DAG specs (`state_machines/*.dag.yaml`) offline: compile one to the ASL the CDK app
deploys, or draw it.

    orch dag compile FILE [--stage dev]                      the deployed definition (breakers wrapped), as JSON
    orch dag graph FILE [--format mermaid|svg] [--out FILE]  its tasks and dependencies, as the spec says them
                        [--compiled]                         the state machine it compiles to, as `orch graph` draws it

An invalid spec is a usage error (exit 2) whose message names the task and the field (asl/dag/spec.py).
Neither command calls AWS: the control plane it is handed goes unused.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from asl import graph
from asl.dag import DagSpecError, load
from asl.dag.deploy import deployed_definition
from asl.dag.picture import dependency_chart
from orchestrator.cli.base import Registry, Result
from orchestrator.control.errors import InvalidInput
from schemas.stages import load_stage


def register(registry: Registry) -> None:
    dag = registry.command("dag", "declarative DAGs (state_machines/*.dag.yaml): compile to ASL, draw", run)
    actions = dag.add_subparsers(dest="action", required=True, metavar="ACTION")
    compiled = actions.add_parser("compile", help="print the ASL the CDK app deploys for a spec")
    compiled.add_argument("file", type=Path, metavar="FILE", help="a .dag.yaml spec")
    compiled.add_argument("--stage", default="dev", help="whose breaker settings (default dev)")
    drawn = actions.add_parser("graph", help="draw a spec's tasks and dependencies (Mermaid or SVG)")
    drawn.add_argument(
        "--compiled", action="store_true", help="draw the state machine it compiles to instead (pauses, breakers)"
    )
    drawn.add_argument("file", type=Path, metavar="FILE", help="a .dag.yaml spec")
    drawn.add_argument("--format", choices=("mermaid", "svg"), default="mermaid", help="default mermaid")
    drawn.add_argument("--out", type=Path, metavar="FILE", help="write to FILE instead of standard output")
    drawn.add_argument("--stage", default="dev", help="whose breaker settings (default dev)")


def run(plane: Any, args: argparse.Namespace) -> Result:
    definition = deployed(args.file, args.stage or "dev")
    if args.action == "compile":
        return definition, json.dumps(definition, indent=2)
    drawn = definition if args.compiled else dependency_chart(load(args.file))
    picture = (graph.svg if args.format == "svg" else graph.mermaid)(drawn)
    if args.out is None:
        return {"format": args.format, "picture": picture}, picture.rstrip("\n")
    try:
        args.out.write_text(picture, encoding="utf-8")
    except OSError as error:
        raise InvalidInput(f"cannot write {args.out}: {error.strerror}", field="--out") from None
    return {"format": args.format, "written": str(args.out)}, f"wrote {args.out}"


def deployed(path: Path, stage: str) -> dict[str, Any]:
    """The definition the CDK app deploys for the spec in `path` (its breakers wrapped with `stage`'s settings)."""
    try:
        spec = load(path)
    except DagSpecError as error:
        raise InvalidInput(str(error), "fix the spec and compile again", field=str(path)) from None
    return deployed_definition(spec, load_stage(stage).agent_pipeline.specialist_breaker)
