"""`orch`: the orchestrator's command line, against AWS or a local endpoint, with the same commands.

    orch local up [--port 4566] [--assembly cdk.out] [--stage dev]      the local runtime as an endpoint
    orch put-event DETAIL_TYPE --data JSON|@FILE [--correlation-id ID]   a validated event onto the stage's bus
    orch start WORKFLOW [--input JSON|@FILE] [--name NAME]               start an execution
    orch list [--workflow W] [--status S] [--correlation-id ID] [--since 2h|ISO] [--until ISO] [--limit N]
    orch describe EXECUTION_ARN
    orch history EXECUTION_ARN [--io]                                    the timeline: state, outcome, duration
    orch history --correlation-id ID [--as-of ISO|AGE]                   a process from its events: state, causes
    orch signal approval KEY --approve|--reject [--comment TEXT]       decided by your credentials' identity
    orch signal task TASK_ID --complete RESULT_JSON|@FILE | --fail ERROR [--cause TEXT] [--execution ARN]
    orch pause EXECUTION_ARN [--reason TEXT]                             hold it at its next pause point
    orch resume EXECUTION_ARN                                            let a paused execution go on
    orch terminate EXECUTION_ARN --reason TEXT
    orch redrive EXECUTION_ARN                                           restart a failed one where it stopped
    orch breakers list | reset BREAKER_ID | force-open BREAKER_ID
    orch definitions list WORKFLOW | publish WORKFLOW [--description TEXT]
    orch definitions shift WORKFLOW --to VERSION --weight PERCENT [--alias live] | rollback WORKFLOW [--alias live]
    orch replay --since 2h|ISO [--until ISO] [--no-wait]                 replay the bus archive's window onto the bus
    orch replay-test RECORDING|--from-store ID [--assembly cdk.out]      re-run a recorded process locally, diff it
    orch config show
    orch dag compile FILE | graph FILE [--format mermaid|svg] [--out FILE]   a .dag.yaml spec, offline
    orch console [--port 8321] [--allow-actions]                         the web console on 127.0.0.1
    orch new event|agent|workflow NAME ...                              an extension's files from templates, offline

Where: `--local` (http://127.0.0.1:4566, what `orch local up` serves) or `--endpoint-url URL`; otherwise AWS with
`--profile` / `--region` (or the usual AWS_* variables). `--stage` (default dev) picks the deployed stage; `--output
table|json` (default table) how results print. Global options go before or after the command. Long operations
(following a replay, waiting for a stop, reading many executions) say how they get on, on stderr, in lines
starting with `...`.

Every operation is implemented once in `orchestrator.control.ControlPlane`; this package only parses arguments and
prints: one module per command group (`executions`, `operations`, `events`, `dag`, `local`, `console`,
`new`), each registering its own subcommands (`register`).

Errors are one line on stderr, `orch: <what happened>; <what to do>`, and the exit status says which kind:

    0  ok
    1  failure (the endpoint is unreachable, no credentials, AWS refused, the thing changed meanwhile)
    2  usage error (bad arguments, invalid input: the message names the field)
    3  not found (an unknown execution, workflow or breaker table)
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from orchestrator.cli import console, dag, events, executions, local, new, operations
from orchestrator.cli.base import (
    EXIT_FAILURE,
    EXIT_NOT_FOUND,
    EXIT_OK,
    EXIT_USAGE,
    Registry,
    UsageError,
    app_breakers,
    global_options,
    parse_time,
    progress,
    render_json,
    write,
)
from orchestrator.control import LOCAL_ENDPOINT, ControlError, ControlPlane, InvalidInput, NotFound
from orchestrator.control.errors import shown
from orchestrator.control.redacted import RedactedPlane

# In the order `orch --help` lists them.
GROUPS = (local, executions, operations, events, dag, console, new)


def main(argv: Sequence[str] | None = None) -> int:
    registry = Registry(None)
    parser = build_parser(registry)
    try:
        args = parser.parse_args(argv)
    except SystemExit as leaving:  # argparse exits 2 on a usage error, 0 after --help
        return int(leaving.code or 0)
    try:
        if args.group in registry.standalone:
            return registry.standalone[args.group](args)
        return run(registry, args)
    except Exception as error:  # noqa: BLE001 - the last resort: one line, never a traceback
        # Every expected failure has its kind and exit status above; this is a defect of orch, said as such.
        return _fail(f"unexpected {type(error).__name__}: {error}; please report it with the command", EXIT_FAILURE)


def build_parser(registry: Registry | None = None) -> argparse.ArgumentParser:
    """The whole `orch` parser (what docs/cli.md is generated from)."""
    parser = argparse.ArgumentParser(
        prog="orch", description="Event-driven orchestrator on AWS.", parents=[global_options()]
    )
    registry = registry or Registry(None)
    registry.groups = parser.add_subparsers(dest="group", required=True, metavar="COMMAND")
    for group in GROUPS:
        group.register(registry)
    return parser


def run(registry: Registry, args: argparse.Namespace) -> int:
    """Runs a control-plane command; prints its result, or one line saying what failed, and returns the status."""
    endpoint = LOCAL_ENDPOINT if args.local else args.endpoint_url
    try:
        plane = ControlPlane.connect(
            endpoint_url=endpoint,
            profile=args.profile,
            region=args.region,
            stage=args.stage or "dev",
            breakers=app_breakers(),
        )
        plane.on_progress = progress
        # The one boundary of what commands print: every operation's result redacted before it is rendered.
        data, text = registry.handlers[args.group](RedactedPlane(plane), args)
    except UsageError as error:
        return _fail(str(error), EXIT_USAGE)
    except InvalidInput as error:
        return _fail(shown(error), EXIT_USAGE)
    except NotFound as error:
        return _fail(shown(error), EXIT_NOT_FOUND)
    except ControlError as error:
        return _fail(shown(error), EXIT_FAILURE)
    write(sys.stdout, render_json(data) if args.output == "json" else text)
    return EXIT_OK


def _fail(line: str, code: int) -> int:
    write(sys.stderr, f"orch: {line}")
    return code


__all__ = [
    "EXIT_FAILURE",
    "EXIT_NOT_FOUND",
    "EXIT_OK",
    "EXIT_USAGE",
    "UsageError",
    "build_parser",
    "main",
    "parse_time",
]
