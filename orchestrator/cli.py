"""`orch`: the orchestrator's command line, against AWS or a local endpoint, with the same commands.

    orch local up [--port 4566] [--assembly cdk.out] [--stage dev]      the local runtime as an endpoint
    orch put-event DETAIL_TYPE --data JSON|@FILE [--correlation-id ID]   a validated event onto the stage's bus
    orch start WORKFLOW [--input JSON|@FILE] [--name NAME]               start an execution
    orch list [--workflow W] [--status S] [--correlation-id ID] [--since 2h|ISO] [--until ISO] [--limit N]
    orch describe EXECUTION_ARN
    orch history EXECUTION_ARN [--io]                                    the timeline: state, outcome, duration
    orch history --correlation-id ID [--as-of ISO|AGE]                   a process from its events: state, causes
    orch signal approval KEY --approve|--reject [--by WHO] [--comment TEXT]
    orch signal task TASK_ID --complete RESULT_JSON|@FILE | --fail ERROR [--cause TEXT] [--execution ARN]
    orch pause EXECUTION_ARN [--reason TEXT] [--by WHO]                  hold it at its next pause point
    orch resume EXECUTION_ARN [--by WHO]                                 let a paused execution go on
    orch terminate EXECUTION_ARN --reason TEXT
    orch redrive EXECUTION_ARN                                           restart a failed one where it stopped
    orch breakers list | reset BREAKER_ID | force-open BREAKER_ID
    orch definitions list WORKFLOW | publish WORKFLOW [--description TEXT]
    orch definitions shift WORKFLOW --to VERSION --weight PERCENT [--alias live] | rollback WORKFLOW [--alias live]
    orch replay --since 2h|ISO [--until ISO] [--no-wait]                 replay the bus archive's window onto the bus
    orch replay-test RECORDING|--from-store ID [--assembly cdk.out]      re-run a recorded process locally, diff it
    orch config show
    orch dag compile FILE | graph FILE [--format mermaid|svg] [--out FILE]   a .dag.yaml spec, offline

Where: `--local` (http://127.0.0.1:4566, what `orch local up` serves) or `--endpoint-url URL`; otherwise AWS with
`--profile` / `--region` (or the usual AWS_* variables). `--stage` (default dev) picks the deployed stage; `--output
table|json` (default table) how results print. Global options go before or after the command. Long operations
(following a replay, waiting for a stop, reading many executions) say how they get on, on stderr, in lines
starting with `...`.

Every operation is implemented once in `orchestrator.control.ControlPlane`; this module only parses arguments and
prints. Errors are one line on stderr, `orch: <what happened>; <what to do>`, and the exit status says which kind:

    0  ok
    1  failure (the endpoint is unreachable, no credentials, AWS refused, the thing changed meanwhile)
    2  usage error (bad arguments, invalid input: the message names the field)
    3  not found (an unknown execution, workflow or breaker table)
"""

from __future__ import annotations

import argparse
import datetime
import json
import re
import signal
import sys
import threading
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, Final

from orchestrator import cli_dag, cli_events

WORKFLOW_HELP: Final = "order-saga, agent-pipeline, a DAG's name (customer-onboarding), a state machine name or ARN"
DEFAULT_PORT = 4566  # the port AWS tooling conventionally uses for a local endpoint
EXIT_OK: Final = 0
EXIT_FAILURE: Final = 1
EXIT_USAGE: Final = 2
EXIT_NOT_FOUND: Final = 3
_RELATIVE = re.compile(r"^(\d+)([smhd])$")
_UNITS: Final = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days"}


class UsageError(Exception):
    """A value argparse accepted but the command cannot use (a malformed JSON or time)."""


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as leaving:  # argparse exits 2 on a usage error, 0 after --help
        return int(leaving.code or 0)
    if args.group == "local" and args.command == "seams":
        from orchestrator.local.seams import seam_lines, seam_table

        _write(
            sys.stdout,
            render_json(seam_table()) if getattr(args, "output", None) == "json" else "\n".join(seam_lines()),
        )
        return EXIT_OK
    if args.group == "local":
        return local_up(args.assembly, args.port, args.stage, synth=args.synth)
    return run(args)


# ---------------------------------------------------------------------------------------------------------------
# Arguments


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="orch", description="Event-driven orchestrator on AWS.", parents=[_globals()])
    groups = parser.add_subparsers(dest="group", required=True, metavar="COMMAND")
    _local(groups)

    def command(name: str, help_text: str) -> argparse.ArgumentParser:
        return groups.add_parser(name, help=help_text, description=help_text, parents=[_globals(suppress=True)])

    put = command("put-event", "put a validated event (with its envelope) on the stage's bus")
    put.add_argument("detail_type", metavar="DETAIL_TYPE", help="the event type, e.g. TicketSubmitted")
    put.add_argument("--data", required=True, help="the event's data: JSON, or @FILE holding it")
    put.add_argument("--correlation-id", help="the business process it belongs to (default: a new one)")
    put.add_argument("--idempotency-key", help="consumers deduplicate on it (default: the event id)")
    put.add_argument("--source", help="checked against the event type's source")

    start = command("start", "start an execution of a workflow")
    start.add_argument("workflow", metavar="WORKFLOW", help=WORKFLOW_HELP)
    start.add_argument("--input", default="{}", help="the execution input: JSON, or @FILE holding it")
    start.add_argument("--name", help="the execution's name (default: generated)")

    listing = command("list", "executions, newest first")
    listing.add_argument("--workflow", help="one workflow (default: all of the app's)")
    listing.add_argument("--status", type=str.upper, help="RUNNING, SUCCEEDED, FAILED, TIMED_OUT or ABORTED")
    listing.add_argument("--correlation-id", help="the business key in the starting event's metadata")
    listing.add_argument("--since", help="started at or after: ISO 8601 time, or an age like 30m, 2h, 7d")
    listing.add_argument("--until", help="started at or before: ISO 8601 time, or an age")
    listing.add_argument("--limit", type=int, default=50, help="at most this many (default 50)")

    describe = command("describe", "one execution: status, where it is now, input, output, error")
    describe.add_argument("execution", metavar="EXECUTION_ARN")

    history = command("history", "an execution's timeline, or a business process rebuilt from its events")
    history.add_argument("execution", metavar="EXECUTION_ARN", nargs="?")
    history.add_argument("--io", action="store_true", help="also each state's input and output")
    cli_events.add_history_options(history)

    signals = command("signal", "release a waiting workflow by business key").add_subparsers(
        dest="signal", required=True, metavar="KIND"
    )
    approval = signals.add_parser(
        "approval", help="decide an approval (ApprovalDecided on the bus)", parents=[_globals(suppress=True)]
    )
    approval.add_argument("key", metavar="KEY", help="the approval id: the business key (a ticket's id)")
    decision = approval.add_mutually_exclusive_group(required=True)
    decision.add_argument("--approve", action="store_true")
    decision.add_argument("--reject", action="store_true")
    approval.add_argument("--by", default="orch", help="who decided (default: orch)")
    approval.add_argument("--comment", default="")
    task = signals.add_parser(
        "task",
        help="complete or fail an agent task a workflow waits for (AgentTaskCompleted / AgentTaskFailed)",
        parents=[_globals(suppress=True)],
    )
    task.add_argument("task_id", metavar="TASK_ID", help="the task id (`orch describe` lists the waiting ones)")
    outcome = task.add_mutually_exclusive_group(required=True)
    outcome.add_argument("--complete", metavar="RESULT", help="the agent's result: JSON, or @FILE holding it")
    outcome.add_argument("--fail", metavar="ERROR", help="the error name the workflow's Catch sees")
    task.add_argument("--cause", default="", help="with --fail: the error's cause")
    task.add_argument("--execution", metavar="EXECUTION_ARN", help="where to look (default: every running one)")

    pause = command("pause", "hold a running execution at its next pause point, until resumed")
    pause.add_argument("execution", metavar="EXECUTION_ARN")
    pause.add_argument("--reason", default="", help="why (recorded with the pause and in ExecutionPaused)")
    pause.add_argument("--by", default="orch", help="who pauses (default: orch)")
    resume = command("resume", "let a paused execution go on")
    resume.add_argument("execution", metavar="EXECUTION_ARN")
    resume.add_argument("--by", default="orch", help="who resumes (default: orch)")

    terminate = command("terminate", "stop a running execution")
    terminate.add_argument("execution", metavar="EXECUTION_ARN")
    terminate.add_argument("--reason", required=True, help="recorded as the execution's cause")

    redrive = command("redrive", "restart a failed, timed-out or aborted execution from where it stopped")
    redrive.add_argument("execution", metavar="EXECUTION_ARN")

    breakers = command("breakers", "circuit breakers (CircuitBreakers table)").add_subparsers(
        dest="action", required=True, metavar="ACTION"
    )
    breakers.add_parser("list", help="every breaker with its state", parents=[_globals(suppress=True)])
    for action, text in (("reset", "close it, failures cleared"), ("force-open", "open it from now (one cool-down)")):
        breaker = breakers.add_parser(action, help=text, parents=[_globals(suppress=True)])
        breaker.add_argument("breaker_id", metavar="BREAKER_ID", help="e.g. agent:billing")

    replay = command("replay", "replay the events the stage's bus archived in a time window (EventBridge replay)")
    replay.add_argument("--since", required=True, help="from: ISO 8601 time, or an age like 30m, 2h, 7d")
    replay.add_argument("--until", help="until: ISO 8601 time, or an age (default now)")
    replay.add_argument("--no-wait", action="store_true", help="return once started instead of following it")

    definitions = command("definitions", "versions and aliases of a workflow: publish, canary shift, rollback")
    actions = definitions.add_subparsers(dest="action", required=True, metavar="ACTION")
    texts = {
        "list": "the state machine, its versions and its aliases' routing",
        "publish": "publish the current definition as a new version",
        "shift": "route PERCENT of the alias to VERSION, the rest staying on its current version",
        "rollback": "the alias all back on its stable version",
    }
    for action, text in texts.items():
        sub = actions.add_parser(action, help=text, description=text, parents=[_globals(suppress=True)])
        sub.add_argument("workflow", metavar="WORKFLOW", help=WORKFLOW_HELP)
        if action == "publish":
            sub.add_argument("--description", default="", help="the version's description")
        if action in ("shift", "rollback"):
            sub.add_argument("--alias", default="live", help="the alias (default live; shift creates it at 100%%)")
        if action == "shift":
            sub.add_argument("--to", type=int, required=True, metavar="VERSION", help="the version number")
            sub.add_argument("--weight", type=int, required=True, metavar="PERCENT", help="1..100")

    graph = command("graph", "draw a workflow (Mermaid or SVG), its states coloured by an execution's outcomes")
    graph.add_argument("workflow", metavar="WORKFLOW", help="state machine ARN, name, or a unique part of its name")
    graph.add_argument("--execution", metavar="ARN", help="colour the states by what this execution did")
    graph.add_argument("--format", choices=("mermaid", "svg"), default="mermaid", help="default mermaid")
    graph.add_argument("--out", type=Path, metavar="FILE", help="write to FILE instead of standard output")
    cli_events.add_parsers(command)
    config = command("config", "the stage configuration").add_subparsers(dest="action", required=True, metavar="ACTION")
    config.add_parser("show", help="the effective values of config/stages.json", parents=[_globals(suppress=True)])
    cli_dag.add_parsers(command)
    return parser


def _globals(*, suppress: bool = False) -> argparse.ArgumentParser:
    """The options every command takes, before or after its name. On a command they default to SUPPRESS, so that
    one given before the command is not reset by the command's own default."""
    options = argparse.ArgumentParser(add_help=False, argument_default=argparse.SUPPRESS if suppress else None)
    where = options.add_mutually_exclusive_group()
    where.add_argument("--endpoint-url", metavar="URL", help="a local or other endpoint instead of AWS")
    where.add_argument("--local", action="store_true", help="the local runtime at http://127.0.0.1:4566")
    options.add_argument("--profile", help="AWS profile")
    options.add_argument("--region", help="AWS region")
    options.add_argument("--stage", help="the deployed stage (default dev)")
    options.add_argument("--output", choices=("table", "json"), help="how results print (default table)")
    return options


def _local(groups: Any) -> None:
    local = groups.add_parser("local", help="the local runtime: the synthesized app in-process on moto")
    commands = local.add_subparsers(dest="command", required=True)
    up = commands.add_parser("up", help="serve the whole app on one HTTP endpoint on localhost")
    up.add_argument("--port", type=int, default=DEFAULT_PORT, help=f"port to listen on (default {DEFAULT_PORT})")
    up.add_argument("--assembly", type=Path, default=Path("cdk.out"), help="the cloud assembly (default cdk.out)")
    up.add_argument("--stage", default="dev", help="stage to synthesize when the assembly is missing")
    up.add_argument("--synth", action="store_true", help="synthesize the app first even if the assembly exists")
    seams = commands.add_parser("seams", help="every change the local runtime makes to moto, and why")
    seams.add_argument("--output", choices=("table", "json"), default=argparse.SUPPRESS, help="table (default) or json")


# ---------------------------------------------------------------------------------------------------------------
# Control-plane commands


def run(args: argparse.Namespace) -> int:
    from orchestrator.control import LOCAL_ENDPOINT, ControlError, ControlPlane, InvalidInput, NotFound

    endpoint = LOCAL_ENDPOINT if args.local else args.endpoint_url
    try:
        plane = ControlPlane.connect(
            endpoint_url=endpoint, profile=args.profile, region=args.region, stage=args.stage or "dev"
        )
        plane.on_progress = _progress
        result = COMMANDS[args.group](plane, args)
    except UsageError as error:
        return _fail(str(error), EXIT_USAGE)
    except InvalidInput as error:
        return _fail(f"invalid input{f' ({error.field})' if error.field else ''}: {error.line()}", EXIT_USAGE)
    except NotFound as error:
        return _fail(error.line(), EXIT_NOT_FOUND)
    except ControlError as error:
        return _fail(error.line(), EXIT_FAILURE)
    data, text = result
    _write(sys.stdout, render_json(data) if args.output == "json" else text)
    return EXIT_OK


def _progress(line: str) -> None:
    """How a long operation gets on: on stderr, so that stdout keeps only the result (a table, or JSON to pipe)."""
    _write(sys.stderr, f"... {line}")


def _fail(line: str, code: int) -> int:
    _write(sys.stderr, f"orch: {line}")
    return code


def _write(stream: Any, text: str) -> None:
    stream.write(text + "\n")  # one write: handler output from other threads (locally) cannot split the text
    stream.flush()


def render_json(data: Any) -> str:
    from orchestrator.control.render import as_json

    return as_json(data)


Result = tuple[Any, str]  # what the JSON output shows, and the table text


def put_event(plane: Any, args: argparse.Namespace) -> Result:
    from orchestrator.control.render import pairs

    data = _json_argument(args.data, "--data")
    result = plane.put_event(
        args.detail_type,
        data,
        source=args.source,
        correlation_id=args.correlation_id,
        idempotency_key=args.idempotency_key,
    )
    rows = [
        ("put", result.detail_type),
        ("bus", plane.config.bus_name),
        ("event id", result.event_id),
        ("correlation id", result.correlation_id),
    ]
    return result, pairs(rows)


def start(plane: Any, args: argparse.Namespace) -> Result:
    execution_input = _json_argument(args.input, "--input")
    arn = plane.start(args.workflow, execution_input, name=args.name)
    return {"execution_arn": arn}, f"started {arn}"


def list_executions(plane: Any, args: argparse.Namespace) -> Result:
    from orchestrator.control.render import duration, table

    listed = plane.list_executions(
        workflow=args.workflow,
        status=args.status,
        correlation_id=args.correlation_id,
        since=parse_time(args.since, "--since"),
        until=parse_time(args.until, "--until"),
        limit=args.limit,
    )
    rows = [
        (e.workflow, e.status, e.started, duration(_took(e.started, e.stopped)), e.correlation_id or "-", e.arn)
        for e in listed.executions
    ]
    text = table(["WORKFLOW", "STATUS", "STARTED (UTC)", "TOOK", "CORRELATION", "EXECUTION ARN"], rows)
    if listed.truncated:
        text += f"\n(more than {args.limit}: narrow the filters or raise --limit)"
    return listed, text


def describe(plane: Any, args: argparse.Namespace) -> Result:
    from orchestrator.control.render import duration, pairs

    detail = plane.describe(args.execution)
    e = detail.execution
    rows: list[tuple[str, Any]] = [
        ("execution", e.arn),
        ("workflow", e.workflow),
        ("status", e.status),
        ("started", e.started),
        ("stopped", e.stopped),
        ("took", duration(_took(e.started, e.stopped))),
        ("correlation id", e.correlation_id or "-"),
    ]
    if detail.current_states:
        rows.append(("waiting in", detail.current_states))
    if detail.pause is not None:
        where = f"held before {detail.held_before}" if detail.held_before else "holds at its next pause point"
        rows.append(("paused", f"{where}; by {detail.pause.paused_by} at {detail.pause.paused_at:%Y-%m-%d %H:%M:%S}"))
        if detail.pause.reason:
            rows.append(("pause reason", detail.pause.reason))
    for task in detail.waiting_tasks:
        rows.append(("waiting task", f"{task.task_id} ({task.agent})"))
    if detail.error or detail.cause:
        rows += [("error", detail.error or "-"), ("cause", detail.cause or "-")]
    if detail.output is not None:
        rows.append(("output", json.dumps(detail.output, ensure_ascii=False)))
    return detail, pairs(rows)


def history(plane: Any, args: argparse.Namespace) -> Result:
    from orchestrator.control.render import duration, table

    if args.correlation_id is not None:
        return cli_events.process_history(plane, args)
    if not args.execution:
        raise UsageError("give an EXECUTION_ARN or --correlation-id")
    entries = plane.history(args.execution, with_io=args.io)
    rows = []
    for entry in entries:
        name = "  " * entry.depth + (f"{entry.iteration} · {entry.state}" if entry.iteration else entry.state)
        rows.append((f"+{duration(entry.offset_ms)}", name, entry.outcome, duration(entry.duration_ms)))
        if args.io:
            rows.append(("", "  " * entry.depth + f"  in:  {entry.input or '-'}", "", ""))
            rows.append(("", "  " * entry.depth + f"  out: {entry.output or '-'}", "", ""))
    return entries, table(["AT", "STATE", "OUTCOME", "TOOK"], rows)


def signal_command(plane: Any, args: argparse.Namespace) -> Result:
    from orchestrator.control.render import pairs

    if args.signal == "task":
        completed = args.complete is not None
        put = plane.signal_task(
            args.task_id,
            result=_json_argument(args.complete, "--complete") if completed else None,
            error=None if completed else args.fail,
            cause=args.cause,
            execution_arn=args.execution,
        )
        rows = [("task", args.task_id), ("put", put.detail_type), ("event id", put.event_id)]
        return put, pairs(rows)
    result = plane.signal_approval(args.key, approved=args.approve, decided_by=args.by, comment=args.comment)
    rows = [
        ("approval", args.key),
        ("decision", "approved" if args.approve else "rejected"),
        ("event id", result.event_id),
    ]
    return result, pairs(rows)


def pause(plane: Any, args: argparse.Namespace) -> Result:
    from orchestrator.control.render import pairs

    change = plane.pause(args.execution, paused_by=args.by, reason=args.reason)
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
    from orchestrator.control.render import pairs

    change = plane.resume(args.execution, resumed_by=args.by)
    record = change.record
    rows = [
        ("resumed" if change.changed else "already resumed (ExecutionResumed sent again)", record.execution_arn),
        ("pause id", record.pause_id),
        ("by", record.resumed_by),
    ]
    return change, pairs(rows)


def terminate(plane: Any, args: argparse.Namespace) -> Result:
    from orchestrator.control.render import pairs

    execution = plane.terminate(args.execution, args.reason)
    return execution, pairs([("terminated", execution.arn), ("status", execution.status), ("reason", args.reason)])


def redrive(plane: Any, args: argparse.Namespace) -> Result:
    from orchestrator.control.render import pairs

    execution = plane.redrive(args.execution)
    return execution, pairs([("redriven", execution.arn), ("status", execution.status)])


def breakers(plane: Any, args: argparse.Namespace) -> Result:
    from orchestrator.control.render import pairs, table

    if args.action == "list":
        states = plane.list_breakers()
        rows = [
            (s.breaker_id, s.state, s.version, len(s.failures), _epoch(s.opened_at), _epoch(s.updated_at))
            for s in states
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


def config(plane: Any, args: argparse.Namespace) -> Result:
    from orchestrator.control.render import flatten, table

    values = plane.config_show()
    return values, table(["SETTING", "VALUE"], flatten(values))


def replay(plane: Any, args: argparse.Namespace) -> Result:
    from orchestrator.control.render import pairs

    since = parse_time(args.since, "--since")
    until = parse_time(args.until, "--until") or datetime.datetime.now(datetime.UTC)
    if since is None:  # argparse requires it; mypy cannot know
        raise UsageError("--since is required")
    started = plane.replay(since, until, wait=not args.no_wait)
    rows = [
        ("replay", started.name),
        ("archive", started.archive),
        ("events from", started.events_from),
        ("events until", started.events_until),
        ("state", started.state),
    ]
    return started, pairs(rows)


def definitions(plane: Any, args: argparse.Namespace) -> Result:
    from orchestrator.control.render import pairs, table

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


COMMANDS: Final[dict[str, Callable[[Any, argparse.Namespace], Result]]] = {
    "put-event": put_event,
    "start": start,
    "list": list_executions,
    "describe": describe,
    "history": history,
    "signal": signal_command,
    "pause": pause,
    "resume": resume,
    "terminate": terminate,
    "redrive": redrive,
    "breakers": breakers,
    "config": config,
    "graph": graph,
    "definitions": definitions,
    "replay": replay,
    "replay-test": cli_events.replay_test,
    **cli_dag.COMMANDS,
}


def _json_argument(text: str, option: str) -> Any:
    """A JSON value given inline or as @FILE."""
    if text.startswith("@"):
        try:
            text = Path(text[1:]).read_text(encoding="utf-8")
        except OSError as error:
            raise UsageError(f"{option}: cannot read {text[1:]}: {error.strerror}") from None
    try:
        return json.loads(text)
    except json.JSONDecodeError as error:
        raise UsageError(f"{option} is not JSON: {error.msg} at line {error.lineno} column {error.colno}") from None


def parse_time(text: str | None, option: str) -> datetime.datetime | None:
    """An ISO 8601 time (UTC when it names no zone) or an age before now (`30m`, `2h`, `7d`)."""
    if text is None:
        return None
    if match := _RELATIVE.match(text):
        age = datetime.timedelta(**{_UNITS[match.group(2)]: int(match.group(1))})
        return datetime.datetime.now(datetime.UTC) - age
    try:
        moment = datetime.datetime.fromisoformat(text)
    except ValueError:
        raise UsageError(f"{option}: {text!r} is neither an ISO 8601 time nor an age like 30m, 2h, 7d") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=datetime.UTC)


def _took(started: datetime.datetime, stopped: datetime.datetime | None) -> float | None:
    return None if stopped is None else (stopped - started).total_seconds() * 1000


def _epoch(millis: int | None) -> datetime.datetime | None:
    return None if millis is None else datetime.datetime.fromtimestamp(millis / 1000, datetime.UTC)


# ---------------------------------------------------------------------------------------------------------------
# The local runtime


def local_up(assembly: Path, port: int, stage: str, *, synth: bool = False) -> int:
    from orchestrator.demo import synthesize
    from orchestrator.local.cloud import LocalCloud, PortInUseError

    if synth or not (assembly / "manifest.json").exists():
        print(f"synthesizing stage {stage} into {assembly} ...", flush=True)
        synthesize(stage, assembly)
    stop = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stop.set())
    try:
        cloud = LocalCloud.from_assembly(assembly, port=port)
        cloud.start()
    except PortInUseError as error:
        print(f"orch: {error.strerror}; pick another port with --port", file=sys.stderr)
        return 1
    try:
        print(f"local runtime up at {cloud.endpoint_url} (bus {cloud.bus_name})")
        for line in cloud.notice.lines():
            print(f"  {line}")
        print(
            f"try: orch --local list   or   aws --endpoint-url {cloud.endpoint_url} stepfunctions list-state-machines"
        )
        print("Ctrl-C stops it.", flush=True)
        stop.wait()
    finally:
        cloud.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
