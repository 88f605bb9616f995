"""`orch pause | resume | breakers | definitions | graph | config`: operating the deployed workflows."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from orchestrator.cli.base import (
    WORKFLOW_HELP,
    Registry,
    Result,
    UsageError,
    positive,
    retired_by,
    subcommand,
)
from orchestrator.control.render import epoch, flatten, pairs, table

_DEFINITION_ACTIONS = {
    "list": "the state machine, its versions and its aliases' routing",
    "publish": "publish the current definition as a new version",
    "shift": "route PERCENT of the alias to VERSION, the rest staying on its current version",
    "rollback": "the alias all back on its stable version",
}


def register(registry: Registry) -> None:
    paused = registry.command("pause", "hold a running execution at its next pause point, until resumed", pause)
    paused.add_argument("execution", metavar="EXECUTION_ARN")
    paused.add_argument("--reason", default="", help="why (recorded with the pause and in ExecutionPaused)")
    paused.add_argument("--by", type=retired_by, help=argparse.SUPPRESS)
    resumed = registry.command("resume", "let a paused execution go on", resume)
    resumed.add_argument("execution", metavar="EXECUTION_ARN")
    resumed.add_argument("--by", type=retired_by, help=argparse.SUPPRESS)

    actions = registry.command("breakers", "circuit breakers (CircuitBreakers table)", breakers).add_subparsers(
        dest="action", required=True, metavar="ACTION"
    )
    subcommand(actions, "list", "every breaker with its state")
    for action, text in (("reset", "close it, failures cleared"), ("force-open", "open it from now (one cool-down)")):
        subcommand(actions, action, text).add_argument(
            "breaker_id", metavar="BREAKER_ID", help="one the workflows define, e.g. agent:billing (`breakers list`)"
        )

    text = "versions and aliases of a workflow: publish, canary shift, rollback"
    actions = registry.command("definitions", text, definitions).add_subparsers(
        dest="action", required=True, metavar="ACTION"
    )
    for action, text in _DEFINITION_ACTIONS.items():
        sub = subcommand(actions, action, text)
        sub.add_argument("workflow", metavar="WORKFLOW", help=WORKFLOW_HELP)
        if action == "publish":
            sub.add_argument("--description", default="", help="the version's description")
        if action in ("shift", "rollback"):
            sub.add_argument("--alias", default="live", help="the alias (default live; shift creates it at 100%%)")
        if action == "shift":
            sub.add_argument("--to", type=positive, required=True, metavar="VERSION", help="the version number")
            sub.add_argument("--weight", type=positive, required=True, metavar="PERCENT", help="1..100")

    text = "draw a workflow (Mermaid or SVG), its states coloured by an execution's outcomes"
    drawn = registry.command("graph", text, graph)
    drawn.add_argument("workflow", metavar="WORKFLOW", help="state machine ARN, name, or a unique part of its name")
    drawn.add_argument("--execution", metavar="ARN", help="colour the states by what this execution did")
    drawn.add_argument("--format", choices=("mermaid", "svg"), default="mermaid", help="default mermaid")
    drawn.add_argument("--out", type=Path, metavar="FILE", help="write to FILE instead of standard output")

    actions = registry.command("config", "the stage configuration", config).add_subparsers(
        dest="action", required=True, metavar="ACTION"
    )
    subcommand(actions, "show", "the effective values of config/stages.json")


def pause(plane: Any, args: argparse.Namespace) -> Result:
    change = plane.pause(args.execution, paused_by=plane.caller_arn(), reason=args.reason)
    record = change.record
    rows = [
        ("paused" if change.changed else "already paused", record.execution_arn),
        ("pause id", record.pause_id),
        ("by", record.paused_by),
        ("reason", record.reason or "-"),
        ("takes effect", "at the next pause point (`orch describe` shows where it is held)"),
    ]
    return change, pairs(rows)


def resume(plane: Any, args: argparse.Namespace) -> Result:
    change = plane.resume(args.execution, resumed_by=plane.caller_arn())
    record = change.record
    rows = [
        ("resumed" if change.changed else "already resumed (ExecutionResumed sent again)", record.execution_arn),
        ("pause id", record.pause_id),
        ("by", record.resumed_by),
    ]
    return change, pairs(rows)


def breakers(plane: Any, args: argparse.Namespace) -> Result:
    if args.action == "list":
        states = plane.list_breakers()
        rows = [
            (s.breaker_id, s.state, s.version, len(s.failures), epoch(s.opened_at), epoch(s.updated_at)) for s in states
        ]
        return states, table(["BREAKER", "STATE", "VERSION", "FAILURES", "OPENED (UTC)", "UPDATED (UTC)"], rows)
    change = (
        plane.reset_breaker(args.breaker_id) if args.action == "reset" else plane.force_open_breaker(args.breaker_id)
    )
    summary = [
        ("breaker", change.breaker_id),
        ("was", f"{change.before.state} (version {change.before.version})"),
        ("now", f"{change.after.state} (version {change.after.version})"),
    ]
    return change, pairs(summary)


def definitions(plane: Any, args: argparse.Namespace) -> Result:
    if args.action == "list":
        found = plane.list_definitions(args.workflow)
        rows: list[tuple[Any, ...]] = [("state machine", "-", found.state_machine_arn, "")]
        rows += [("version", v.number, v.description or "-", v.created) for v in found.versions]
        rows += [("alias", a.name, _routing(a.routing), "") for a in found.aliases]
        return found, table(["KIND", "NAME", "WHAT", "CREATED (UTC)"], rows)
    if args.action == "publish":
        version = plane.publish(args.workflow, args.description)
        return version, pairs(
            [("published", version.number), ("arn", version.arn), ("description", version.description)]
        )
    if args.action == "shift":
        change = plane.shift(args.workflow, args.to, args.weight, args.alias)
    else:
        change = plane.rollback(args.workflow, args.alias)
    rows2 = [("alias", change.alias), ("was", _routing(change.before) or "(new)"), ("now", _routing(change.after))]
    return change, pairs(rows2)


def _routing(routes: Any) -> str:
    return ", ".join(f"v{r.version} {r.weight}%" for r in routes)


def graph(plane: Any, args: argparse.Namespace) -> Result:
    picture = plane.graph(args.workflow, args.execution, args.format)
    if args.out is None:
        return {"format": args.format, "picture": picture}, picture.rstrip("\n")
    try:
        args.out.write_text(picture, encoding="utf-8")
    except OSError as error:
        raise UsageError(f"--out: cannot write {args.out}: {error.strerror}") from None
    return {"format": args.format, "written": str(args.out)}, f"wrote {args.out}"


def config(plane: Any, args: argparse.Namespace) -> Result:
    values = plane.config_show()
    return values, table(["SETTING", "VALUE"], flatten(values))
