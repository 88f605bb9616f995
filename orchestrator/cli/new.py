"""`orch new`: the files of an extension written from templates, each with a passing test (orchestrator/scaffold;
where each goes and why: infra/extensions.py, docs/extending.md).

    orch new event NAME --source SOURCE [--emitted-by producers|workflows|agents|control ...]
    orch new agent NAME [--serves NAME,...]
    orch new workflow NAME (--start DETAIL_TYPE --source SOURCE | --schedule EXPR) [--dag --agents A,B]

Run from the project's root (or give `--root`); nothing existing is overwritten. Offline: no AWS call.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from orchestrator.cli.base import EXIT_OK, EXIT_USAGE, Registry, write
from orchestrator.scaffold import ScaffoldError, new_agent, new_event, new_workflow
from schemas.envelope import Emitter

_NEXT = {
    "event": "then: edit its fields, `make schemas`, and start a workflow on it or emit it from an agent",
    "agent": "then: write its logic; a DAG task or a sidecar's `agents` dispatching to it is served once synthesized",
    "workflow": "then: `make synth`, and run its test (it runs the workflow on the local runtime)",
}


def register(registry: Registry) -> None:
    new = registry.local_command("new", "write a new event type, agent or workflow from templates, with tests", run)
    new.add_argument("--root", type=Path, default=Path(), help="the project's root (default: here)")
    kinds = new.add_subparsers(dest="kind", required=True, metavar="KIND")
    event = kinds.add_parser("event", help="an event type: its model (schemas/), test and registry document")
    event.add_argument("name", metavar="NAME", help="the detail-type, PascalCase (ReportRequested)")
    event.add_argument("--source", required=True, help="the EventBridge source (reports.app)")
    event.add_argument(
        "--emitted-by",
        action="append",
        choices=[e.value for e in Emitter],
        help="who may put it (repeat; default producers: an external event)",
    )
    event.add_argument("--description", default="", help="what fact it records")
    agent = kinds.add_parser("agent", help="an agent: functions/<name>/ with its logic, handler, agent.yaml, test")
    agent.add_argument("name", metavar="NAME", help="lower case with dashes (report-builder)")
    agent.add_argument(
        "--serves", type=_listed, default=[], help="agent names it serves, comma-separated (default NAME)"
    )
    agent.add_argument("--description", default="", help="what it does")
    workflow = kinds.add_parser("workflow", help="a workflow: a DAG spec, or ASL with a sidecar; and its test")
    workflow.add_argument("name", metavar="NAME", help="lower case with dashes (report-build)")
    workflow.add_argument("--dag", action="store_true", help="a declarative DAG (state_machines/<name>.dag.yaml)")
    workflow.add_argument("--start", metavar="DETAIL_TYPE", help="the event that starts it")
    workflow.add_argument("--source", help="the start event's source")
    workflow.add_argument("--schedule", metavar="EXPR", help="start it on a schedule instead: rate(...) or cron(...)")
    workflow.add_argument("--agents", type=_listed, default=[], help="a DAG's agents, one task each, in order")
    workflow.add_argument("--description", default="", help="what it does")


def run(args: argparse.Namespace) -> int:
    root = args.root.resolve()
    try:
        if args.kind == "event":
            written = new_event(
                root,
                args.name,
                source=args.source,
                emitted_by=args.emitted_by or [Emitter.PRODUCERS],
                description=args.description,
            )
        elif args.kind == "agent":
            written = new_agent(root, args.name, serves=args.serves, description=args.description)
        else:
            written = new_workflow(
                root,
                args.name,
                dag=args.dag,
                start=args.start,
                source=args.source,
                agents=args.agents,
                schedule=args.schedule,
                description=args.description,
            )
    except ScaffoldError as error:
        print(f"orch: {error}", file=sys.stderr)
        return EXIT_USAGE
    write(sys.stdout, "\n".join([*(f"wrote {path}" for path in written), _NEXT[args.kind]]))
    return EXIT_OK


def _listed(value: str) -> list[str]:
    return [item.strip() for item in value.split(",") if item.strip()]
